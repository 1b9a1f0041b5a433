// The OCSF 1.2.0 conformance checker (support/ocsf_schema.h) itself: a hand-written valid event
// passes, and each kind of non-conformance is reported with its own message. Every test that
// expects errors compares the whole list, so a checker that misses the fault, misnames it, or
// flags something else too fails it.
//
// The schema is read from AUDITRELAY_OCSF_DIR if defined, else from
// AUDITRELAY_SOURCE_DIR "/../shared/ocsf/1.2.0", else relative to AUDITRELAY_SAMPLES_DIR (which
// tests/CMakeLists.txt defines for every test as <source>/config/samples). Without the folder (a
// clone on its own) the tests that need it are skipped.
#include "support/ocsf_schema.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using auditrelay::test::OcsfSchema;
using nlohmann::json;
using Errors = std::vector<std::string>;

namespace {

std::string schema_dir() {
#if defined(AUDITRELAY_OCSF_DIR)
  return AUDITRELAY_OCSF_DIR;
#elif defined(AUDITRELAY_SOURCE_DIR)
  return auditrelay::test::ocsf_schema_dir(AUDITRELAY_SOURCE_DIR);
#elif defined(AUDITRELAY_SAMPLES_DIR)
  return auditrelay::test::ocsf_schema_dir(AUDITRELAY_SAMPLES_DIR "/../..");
#else
  return "";
#endif
}

// Authentication (3002): a logon by alice to an identity provider. Holds every attribute the
// class requires (its own, base_event's and those of its objects), meets the class's constraint
// (service or dst_endpoint) and the objects' (an endpoint names itself), and some optional ones.
json valid_authentication() {
  return json::parse(R"({
    "class_uid": 3002,
    "category_uid": 3,
    "activity_id": 1,
    "type_uid": 300201,
    "time": 1718000000000,
    "severity_id": 1,
    "status_id": 1,
    "message": "alice logged on",
    "metadata": {
      "version": "1.2.0",
      "product": {"name": "auditrelay", "vendor_name": "Example Corp"}
    },
    "user": {"name": "alice", "uid": "1000"},
    "actor": {"user": {"name": "alice", "uid": "1000"}},
    "src_endpoint": {"ip": "192.0.2.10", "port": 51515},
    "dst_endpoint": {"hostname": "idp.example.com", "port": 443},
    "is_mfa": true,
    "logon_type_id": 3
  })");
}

// HTTP Activity (4002) with the security_control profile's action_id (required by the profile)
// and disposition_id: a GET that was allowed.
json http_activity_with_disposition() {
  return json::parse(R"({
    "class_uid": 4002,
    "category_uid": 4,
    "activity_id": 3,
    "type_uid": 400203,
    "time": 1718000000000,
    "severity_id": 1,
    "metadata": {
      "version": "1.2.0",
      "product": {"name": "auditrelay", "vendor_name": "Example Corp"},
      "profiles": ["security_control"]
    },
    "src_endpoint": {"ip": "192.0.2.10"},
    "dst_endpoint": {"ip": "198.51.100.7", "port": 443},
    "http_request": {"http_method": "GET", "url": {"path": "/index.html"}},
    "http_response": {"code": 200},
    "action_id": 1,
    "disposition_id": 1
  })");
}

std::string listed(const Errors& errors) {
  std::string out;
  for (const auto& e : errors) out += "\n  " + e;
  return out.empty() ? " (none)" : out;
}

class OcsfSchemaTest : public ::testing::Test {
 protected:
  // Loaded once: some 200 files.
  static void SetUpTestSuite() {
    const std::string dir = schema_dir();
    if (dir.empty() || !std::filesystem::is_directory(dir)) return;
    schema_ = std::make_unique<OcsfSchema>(dir);  // a broken schema folder fails, not skips
  }
  static void TearDownTestSuite() { schema_.reset(); }

  void SetUp() override {
    if (!schema_) {
      GTEST_SKIP() << "no OCSF 1.2.0 schema at '" << schema_dir()
                   << "' (../shared/ocsf/1.2.0 beside the source tree; set AUDITRELAY_OCSF_DIR)";
    }
  }

  static const OcsfSchema& schema() { return *schema_; }
  static Errors check(const json& event) { return schema_->check(event); }

 private:
  static inline std::unique_ptr<OcsfSchema> schema_;
};

TEST(OcsfSchemaLoad, MissingFolderThrowsNamingIt) {
  try {
    OcsfSchema schema("/nonexistent/ocsf/1.2.0");
    FAIL() << "loaded a schema from a folder that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ocsf/1.2.0"), std::string::npos) << e.what();
  }
}

TEST_F(OcsfSchemaTest, ClassesAreNumberedByCategory) {
  EXPECT_EQ(schema().class_caption(3002), "Authentication");
  EXPECT_EQ(schema().class_caption(4002), "HTTP Activity");
  EXPECT_EQ(schema().class_caption(6003), "API Activity");
  EXPECT_EQ(schema().class_caption(0), "Base Event");
  EXPECT_EQ(schema().class_caption(3), "");  // a uid without its category
}

TEST_F(OcsfSchemaTest, EnumsMergeTheClassWithTheDictionary) {
  EXPECT_TRUE(schema().enum_value_defined(3002, "activity_id", 1));   // Logon, from the class
  EXPECT_TRUE(schema().enum_value_defined(3002, "activity_id", 99));  // Other, from base_event
  EXPECT_FALSE(schema().enum_value_defined(3002, "activity_id", 7));
  // Through objects: endpoint's type_id lists 1..11, the dictionary's type_id 0 and 99.
  EXPECT_TRUE(schema().enum_value_defined(3002, "src_endpoint.type_id", 1));
  EXPECT_TRUE(schema().enum_value_defined(3002, "src_endpoint.type_id", 99));
  EXPECT_FALSE(schema().enum_value_defined(3002, "src_endpoint.type_id", 12));
  EXPECT_FALSE(schema().enum_value_defined(3002, "message", "anything"));  // no enum
}

TEST_F(OcsfSchemaTest, ValidAuthenticationConforms) {
  EXPECT_EQ(check(valid_authentication()), Errors{}) << listed(check(valid_authentication()));
}

TEST_F(OcsfSchemaTest, MissingRequiredAttribute) {
  json event = valid_authentication();
  event.erase("user");
  EXPECT_EQ(check(event), Errors{"user: required attribute missing"});
}

TEST_F(OcsfSchemaTest, MissingRequiredAttributeOfANestedObject) {
  json event = valid_authentication();
  event["metadata"]["product"].erase("vendor_name");
  EXPECT_EQ(check(event), Errors{"metadata.product.vendor_name: required attribute missing"});
}

TEST_F(OcsfSchemaTest, UndefinedEnumValue) {
  json event = valid_authentication();
  event["activity_id"] = 7;
  event["type_uid"] = 300207;  // consistent, so only the enum is wrong
  EXPECT_EQ(check(event), Errors{"activity_id: 7 is not defined for class 3002"});
}

TEST_F(OcsfSchemaTest, UndefinedEnumValueInAnObject) {
  json event = valid_authentication();
  event["src_endpoint"]["type_id"] = 12;
  EXPECT_EQ(check(event),
            Errors{"src_endpoint.type_id: 12 is not defined for object network_endpoint"});
}

TEST_F(OcsfSchemaTest, WrongTypes) {
  json event = valid_authentication();
  event["time"] = "2024-06-10T06:13:20Z";   // timestamp_t is epoch milliseconds
  event["actor"]["user"]["uid"] = 1000;     // string_t
  event["src_endpoint"]["port"] = "51515";  // port_t is an integer
  event["is_mfa"] = "yes";                  // boolean_t
  EXPECT_EQ(check(event),
            (Errors{"actor.user.uid: expected string", "is_mfa: expected boolean",
                    "src_endpoint.port: expected integer", "time: expected integer"}));
}

TEST_F(OcsfSchemaTest, PortOutsideItsRange) {
  json event = valid_authentication();
  event["dst_endpoint"]["port"] = 70000;
  EXPECT_EQ(check(event), Errors{"dst_endpoint.port: 70000 is outside port_t range 0..65535"});
}

TEST_F(OcsfSchemaTest, ArraysAndTheirElements) {
  json event = valid_authentication();
  event["metadata"]["labels"] = "one";  // is_array
  event["metadata"]["profiles"] = json::array({"datetime", 5});
  EXPECT_EQ(check(event),
            (Errors{"metadata.labels: expected array", "metadata.profiles[1]: expected string"}));
}

TEST_F(OcsfSchemaTest, BadTypeUid) {
  json event = valid_authentication();
  event["type_uid"] = 300299;
  EXPECT_EQ(check(event), Errors{"type_uid: 300299 is not class_uid * 100 + activity_id = 300201"});
}

TEST_F(OcsfSchemaTest, CategoryOfAnotherClass) {
  json event = valid_authentication();
  event["category_uid"] = 4;
  EXPECT_EQ(check(event), Errors{"category_uid: 4 does not match class 3002 (category 3)"});
}

TEST_F(OcsfSchemaTest, UnknownOrMissingClass) {
  json event = valid_authentication();
  event["class_uid"] = 3999;
  EXPECT_EQ(check(event), Errors{"class_uid: 3999 is not an OCSF 1.2.0 class"});
  event.erase("class_uid");
  EXPECT_EQ(check(event), Errors{"class_uid: required attribute missing"});
}

TEST_F(OcsfSchemaTest, UnknownAttributes) {
  json event = valid_authentication();
  event["colour"] = "red";
  event["user"]["shoe_size"] = 42;
  EXPECT_EQ(check(event), (Errors{"colour: not defined for class 3002",
                                  "user.shoe_size: not defined for object user"}));
}

TEST_F(OcsfSchemaTest, ObjectConstraintViolation) {
  json event = valid_authentication();
  event["src_endpoint"] = json::object();
  EXPECT_EQ(check(event), Errors{"src_endpoint: none of ip, uid, name, hostname, svc_name, "
                                 "instance_uid, interface_uid, interface_name present"});
}

TEST_F(OcsfSchemaTest, ClassConstraintViolation) {
  json event = valid_authentication();
  event.erase("dst_endpoint");  // Authentication needs a service or a dst_endpoint
  EXPECT_EQ(check(event), Errors{"class 3002: none of service, dst_endpoint present"});
}

TEST_F(OcsfSchemaTest, JustOneConstraint) {
  // An auth_factor names exactly one of email_addr, phone_number and security_questions.
  json event = valid_authentication();
  event["auth_factors"] = json::parse(R"([
    {"factor_type_id": 3, "email_addr": "alice@example.com"},
    {"factor_type_id": 1, "email_addr": "alice@example.com", "phone_number": "+15555550100"},
    {"factor_type_id": 6}
  ])");
  EXPECT_EQ(check(event), (Errors{"auth_factors[1]: exactly one of email_addr, phone_number, "
                                  "security_questions expected, found 2",
                                  "auth_factors[2]: exactly one of email_addr, phone_number, "
                                  "security_questions expected, found 0"}));
}

TEST_F(OcsfSchemaTest, NullIsAbsence) {
  json event = valid_authentication();
  event["message"] = nullptr;  // optional: fine
  EXPECT_EQ(check(event), Errors{}) << listed(check(event));
  event["user"] = nullptr;  // required: missing, not "expected object"
  EXPECT_EQ(check(event), Errors{"user: required attribute missing"});
}

TEST_F(OcsfSchemaTest, ProfileAttributesNeedTheProfile) {
  EXPECT_EQ(check(http_activity_with_disposition()), Errors{})
      << listed(check(http_activity_with_disposition()));

  json without = http_activity_with_disposition();
  without["metadata"].erase("profiles");
  EXPECT_EQ(check(without),
            (Errors{"action_id: not defined for class 4002 unless metadata.profiles lists "
                    "security_control",
                    "disposition_id: not defined for class 4002 unless metadata.profiles lists "
                    "security_control"}));
}

TEST_F(OcsfSchemaTest, AnAppliedProfileRequiresItsRequiredAttributes) {
  json event = http_activity_with_disposition();
  event.erase("action_id");
  EXPECT_EQ(check(event), Errors{"action_id: required attribute missing"});

  // base_event's cloud profile: "cloud" is required once the event applies the profile.
  event = valid_authentication();
  event["metadata"]["profiles"] = {"cloud"};
  EXPECT_EQ(check(event), Errors{"cloud: required attribute missing"});
  event["cloud"] = {{"provider", "AWS"}, {"region", "eu-west-1"}};
  EXPECT_EQ(check(event), Errors{}) << listed(check(event));
}

TEST_F(OcsfSchemaTest, AClassCanTakeAnAttributeOutOfItsProfile) {
  // iam includes the host profile (device, actor), but Authentication's actor says
  // "profile": null: actor needs no profile there, device does.
  json event = valid_authentication();
  event["device"] = {{"hostname", "laptop-7"}, {"type_id", 3}};
  EXPECT_EQ(check(event),
            Errors{"device: not defined for class 3002 unless metadata.profiles lists host"});
  event["metadata"]["profiles"] = {"host"};
  EXPECT_EQ(check(event), Errors{}) << listed(check(event));
}

TEST_F(OcsfSchemaTest, UnknownProfile) {
  json event = valid_authentication();
  event["metadata"]["profiles"] = {"host", "bogus"};
  EXPECT_EQ(check(event), Errors{"metadata.profiles[1]: unknown profile \"bogus\""});
}

TEST_F(OcsfSchemaTest, DatetimeSiblingsComeWithTheDatetimeProfile) {
  json event = valid_authentication();
  event["time_dt"] = "2024-06-10T06:13:20Z";
  EXPECT_EQ(check(event),
            Errors{"time_dt: not defined for class 3002 unless metadata.profiles lists datetime"});
  event["metadata"]["profiles"] = {"datetime"};
  EXPECT_EQ(check(event), Errors{}) << listed(check(event));
}

TEST_F(OcsfSchemaTest, ObservableTypeIdsComeFromTypesAndObjects) {
  json event = valid_authentication();
  event["observables"] = json::parse(R"([
    {"name": "src_endpoint.ip", "type_id": 2, "value": "192.0.2.10"},
    {"name": "user", "type_id": 21},
    {"name": "dst_endpoint.hostname", "type_id": 1234}
  ])");
  EXPECT_EQ(check(event),
            Errors{"observables[2].type_id: 1234 is not defined for object observable"});
}

TEST_F(OcsfSchemaTest, UnmappedHoldsAnything) {
  json event = valid_authentication();
  event["unmapped"] = json::parse(R"({
    "colour": "red", "n": 1, "nested": {"deeper": [1, "two", {"three": null}]}, "flag": false
  })");
  EXPECT_EQ(check(event), Errors{}) << listed(check(event));
  event["unmapped"] = "not an object";  // its type is the generic object
  EXPECT_EQ(check(event), Errors{"unmapped: expected object"});
}

}  // namespace
