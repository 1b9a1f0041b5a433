// Tests of the ECS 8.17 event checker in tests/support/ecs_reference.h.
#include "tests/support/ecs_reference.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

using auditrelay::test::check_ecs_event;
using auditrelay::test::EcsType;
using auditrelay::test::find_ecs_category;
using auditrelay::test::find_ecs_field;
using auditrelay::test::is_ip_address;
using auditrelay::test::is_rfc3339;
using nlohmann::json;

namespace {

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += "\n  " + e;
  return out.empty() ? " (none)" : out;
}

// The number of errors that start with `field + ":"` and contain `needle`.
int count_errors(const std::vector<std::string>& errors, std::string_view field,
                 std::string_view needle) {
  int n = 0;
  const std::string head = std::string(field) + ":";
  for (const auto& e : errors)
    if (e.rfind(head, 0) == 0 && e.find(needle) != std::string::npos) ++n;
  return n;
}

// An audit event as auditrelay emits it: nested objects, one dotted key, arrays, and the
// project's own coder.* fields and labels.
json valid_event() {
  return json::parse(R"({
    "@timestamp": "2025-09-16T08:00:00.231Z",
    "message": "user alice logged in",
    "labels": {"env": "prod", "team": "infra"},
    "tags": ["audit", "coder"],
    "ecs": {"version": "8.17.0"},
    "event": {
      "kind": "event",
      "category": ["authentication", "session"],
      "type": ["start", "info"],
      "action": "login",
      "outcome": "success",
      "dataset": "coder.audit",
      "module": "coder",
      "provider": "coderd",
      "id": "5f0c8a1e-0b9e-4c43-9d2a-3a1d2c1f6e7b",
      "created": "2025-09-16T08:00:00.5+02:00",
      "ingested": "2025-09-16T06:00:01Z",
      "original": "{\"msg\":\"login\"}",
      "reason": "password accepted",
      "severity": 3,
      "code": "4624",
      "duration": 1500000,
      "start": "2025-09-16T08:00:00Z",
      "end": "2025-09-16T08:00:00.001Z"
    },
    "log": {"level": "info", "logger": "coderd.api", "file": {"path": "/var/log/coder.log"}},
    "user": {
      "id": "u-1", "name": "alice", "email": "alice@example.com",
      "target": {"id": "u-2", "name": "bob", "email": "bob@example.com"},
      "changes": {"name": "robert"}
    },
    "group": {"id": "g-1", "name": "admins"},
    "source": {"ip": "192.0.2.10", "address": "192.0.2.10", "port": 51514},
    "destination": {"address": "coder.example.com", "domain": "coder.example.com",
                    "ip": "2001:db8::1", "port": 443},
    "user_agent": {"original": "Mozilla/5.0"},
    "host": {"name": "node-1", "hostname": "node-1.example.com", "id": "abc123"},
    "orchestrator": {"type": "kubernetes", "namespace": "coder",
                     "resource": {"name": "coder-0", "type": "pod"},
                     "cluster": {"name": "prod-eu"}},
    "container": {"name": "coder", "id": "c0ffee"},
    "http": {"request": {"method": "POST", "id": "req-1"}, "response": {"status_code": 200}},
    "url": {"original": "/api/v2/users/login", "full": "https://coder.example.com/api/v2/users/login",
            "domain": "coder.example.com", "path": "/api/v2/users/login", "scheme": "https",
            "port": 443},
    "rule": {"name": "r", "id": "1", "description": "d", "ruleset": "rs"},
    "error": {"message": "none", "code": "E0", "type": "none"},
    "trace": {"id": "4bf92f3577b34da6a3ce929d0e0e4736"},
    "span": {"id": "00f067aa0ba902b7"},
    "network": {"protocol": "http", "type": "ipv4", "transport": "tcp"},
    "process": {"exit_code": 0},
    "service": {"name": "coderd", "type": "coder"},
    "observer": {"product": "auditrelay", "vendor": "example", "type": "forwarder"},
    "agent": {"name": "auditrelay", "type": "auditrelay", "version": "1.0.0"},
    "related": {"user": ["alice", "bob"], "ip": ["192.0.2.10", "2001:db8::1"],
                "hosts": ["node-1"]},
    "file": {"path": "/etc/coder.yaml", "name": "coder.yaml"},
    "coder.request_id": "abc",
    "coder": {"workspace": {"id": "w-1", "build": 7}, "audit": true}
  })");
}

}  // namespace

TEST(EcsReference, ValidEventPasses) {
  const auto errors = check_ecs_event(valid_event());
  EXPECT_TRUE(errors.empty()) << joined(errors);
}

TEST(EcsReference, DottedAndNestedNamesAreTheSameField) {
  // The same field spelled flat must be checked exactly as when nested.
  json flat = {{"@timestamp", "2025-01-01T00:00:00Z"}, {"source.port", "22"}};
  json nested = {{"@timestamp", "2025-01-01T00:00:00Z"}, {"source", {{"port", "22"}}}};
  EXPECT_EQ(check_ecs_event(flat), check_ecs_event(nested));
  EXPECT_EQ(count_errors(check_ecs_event(flat), "source.port", "expected long"), 1)
      << joined(check_ecs_event(flat));
}

TEST(EcsReference, UnknownFieldIsReported) {
  json e = valid_event();
  e["user"]["nickname"] = "al";
  e["log"]["offset"] = 1234;       // a Filebeat field, not ECS
  e["session"] = {{"id", "s-1"}};  // ECS 8.17 has no session.id
  const auto errors = check_ecs_event(e);
  EXPECT_EQ(count_errors(errors, "user.nickname", "unknown field"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "log.offset", "unknown field"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "session.id", "unknown field"), 1) << joined(errors);
  EXPECT_EQ(errors.size(), 3u) << joined(errors);
}

TEST(EcsReference, BadIpIsReported) {
  json e = valid_event();
  e["source"]["ip"] = "999.1.1.1";
  e["destination"]["ip"] = "coder.example.com";
  e["related"]["ip"] = {"192.0.2.10", "2001:db8::zz"};
  const auto errors = check_ecs_event(e);
  EXPECT_EQ(count_errors(errors, "source.ip", "expected ip"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "destination.ip", "expected ip"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "related.ip", "2001:db8::zz"), 1) << joined(errors);
  EXPECT_EQ(errors.size(), 3u) << joined(errors);

  EXPECT_TRUE(is_ip_address("10.0.0.1"));
  EXPECT_TRUE(is_ip_address("::ffff:10.0.0.1"));
  EXPECT_FALSE(is_ip_address("10.0.0"));
  EXPECT_FALSE(is_ip_address(""));
}

TEST(EcsReference, DisallowedCategorizationValuesAreReported) {
  json e = valid_event();
  e["event"]["category"] = {"authentication", "audit"};  // "audit" is not an ECS category
  e["event"]["kind"] = "log";
  e["event"]["outcome"] = "ok";
  e["event"]["type"] = {"start", "login"};
  const auto errors = check_ecs_event(e);
  EXPECT_EQ(count_errors(errors, "event.category", "\"audit\" is not an allowed value"), 1)
      << joined(errors);
  EXPECT_EQ(count_errors(errors, "event.kind", "\"log\" is not an allowed value"), 1)
      << joined(errors);
  EXPECT_EQ(count_errors(errors, "event.outcome", "\"ok\" is not an allowed value"), 1)
      << joined(errors);
  EXPECT_EQ(count_errors(errors, "event.type", "\"login\" is not an allowed value"), 1)
      << joined(errors);
  EXPECT_EQ(errors.size(), 4u) << joined(errors);
}

TEST(EcsReference, TypeNotExpectedForCategoryIsReported) {
  json e = valid_event();
  e["event"]["category"] = "file";
  e["event"]["type"] = {"start", "creation"};  // file expects access/change/creation/deletion/info
  auto errors = check_ecs_event(e);
  EXPECT_EQ(
      count_errors(errors, "event.type", "\"start\" is not expected for event.category [file]"), 1)
      << joined(errors);
  EXPECT_EQ(errors.size(), 1u) << joined(errors);

  // Expected for one of several categories is enough.
  e["event"]["category"] = {"file", "process"};
  errors = check_ecs_event(e);
  EXPECT_TRUE(errors.empty()) << joined(errors);
}

TEST(EcsReference, MissingTimestampIsReported) {
  json e = valid_event();
  e.erase("@timestamp");
  auto errors = check_ecs_event(e);
  EXPECT_EQ(count_errors(errors, "@timestamp", "missing"), 1) << joined(errors);
  EXPECT_EQ(errors.size(), 1u) << joined(errors);

  e["@timestamp"] = nullptr;  // null is absent, as in Elasticsearch
  errors = check_ecs_event(e);
  EXPECT_EQ(count_errors(errors, "@timestamp", "missing"), 1) << joined(errors);

  e["@timestamp"] = "2025-09-16 08:00:00";  // not RFC 3339: no "T", no offset
  errors = check_ecs_event(e);
  EXPECT_EQ(count_errors(errors, "@timestamp", "expected date"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "@timestamp", "missing"), 0) << joined(errors);
}

TEST(EcsReference, LongGivenAsStringIsReported) {
  json e = valid_event();
  e["source"]["port"] = "51514";
  e["http"]["response"]["status_code"] = 200.0;
  e["event"]["duration"] = 18446744073709551615ull;  // beyond a signed 64-bit long
  const auto errors = check_ecs_event(e);
  EXPECT_EQ(count_errors(errors, "source.port", "expected long, got string"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "http.response.status_code", "expected long, got number"), 1)
      << joined(errors);
  EXPECT_EQ(count_errors(errors, "event.duration", "out of range"), 1) << joined(errors);
  EXPECT_EQ(errors.size(), 3u) << joined(errors);
}

TEST(EcsReference, OtherTypeMismatchesAreReported) {
  json e = valid_event();
  e["user"]["name"] = {{"first", "alice"}};  // an object where a keyword belongs
  e["host"]["name"] = 7;
  e["tags"] = {"audit", 1};
  e["labels"] = "prod";
  const auto errors = check_ecs_event(e);
  EXPECT_EQ(count_errors(errors, "user.name", "expected keyword, got object"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "host.name", "expected keyword, got number"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "tags", "expected keyword, got number"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "labels", "expected object, got string"), 1) << joined(errors);
  EXPECT_EQ(errors.size(), 4u) << joined(errors);
}

TEST(EcsReference, FreePrefixesAreAccepted) {
  json e = {{"@timestamp", "2025-01-01T00:00:00Z"},
            {"coder", {{"anything", {{"deep", {1, 2}}}}}},
            {"coder.other", nullptr},
            {"labels", {{"x", 42}}}};
  auto errors = check_ecs_event(e);
  EXPECT_TRUE(errors.empty()) << joined(errors);

  // Without free prefixes coder.* is unknown and labels.* must be keywords.
  errors = check_ecs_event(e, {});
  EXPECT_EQ(count_errors(errors, "coder.anything.deep", "unknown field"), 1) << joined(errors);
  EXPECT_EQ(count_errors(errors, "labels.x", "expected keyword, got number"), 1) << joined(errors);
  EXPECT_EQ(errors.size(), 2u) << joined(errors);

  // A prefix is matched on the dotted name, so "coder." does not cover "coderx".
  e["coderx"] = "y";
  errors = check_ecs_event(e);
  EXPECT_EQ(count_errors(errors, "coderx", "unknown field"), 1) << joined(errors);
  EXPECT_EQ(errors.size(), 1u) << joined(errors);
}

TEST(EcsReference, Rfc3339) {
  EXPECT_TRUE(is_rfc3339("2025-07-03T06:56:16Z"));
  EXPECT_TRUE(is_rfc3339("2025-07-03t06:56:16.151872655z"));
  EXPECT_TRUE(is_rfc3339("2025-07-03T08:56:16+02:00"));
  EXPECT_TRUE(is_rfc3339("2024-02-29T00:00:00-05:30"));
  EXPECT_TRUE(is_rfc3339("2016-12-31T23:59:60Z"));   // leap second
  EXPECT_FALSE(is_rfc3339("2025-02-29T00:00:00Z"));  // not a leap year
  EXPECT_FALSE(is_rfc3339("2025-13-03T06:56:16Z"));
  EXPECT_FALSE(is_rfc3339("2025-07-03T24:00:00Z"));
  EXPECT_FALSE(is_rfc3339("2025-07-03T06:56:16"));   // offset required
  EXPECT_FALSE(is_rfc3339("2025-07-03 06:56:16Z"));  // the ABNF requires "T"
  EXPECT_FALSE(is_rfc3339("2025-07-03T06:56:16.Z"));
  EXPECT_FALSE(is_rfc3339("2025-07-03T06:56:16+0200"));
  EXPECT_FALSE(is_rfc3339("2025-07-03T06:56:16Zjunk"));
  EXPECT_FALSE(is_rfc3339("1751525776"));
}

TEST(EcsReference, TableMatchesPublishedReference) {
  // Spot checks of types that are easy to get wrong.
  struct Expect {
    std::string_view name;
    EcsType type;
  };
  for (const Expect& x :
       {Expect{"message", EcsType::MatchOnlyText}, Expect{"error.message", EcsType::MatchOnlyText},
        Expect{"url.original", EcsType::Wildcard}, Expect{"url.path", EcsType::Wildcard},
        Expect{"url.domain", EcsType::Keyword}, Expect{"event.duration", EcsType::Long},
        Expect{"event.original", EcsType::Keyword}, Expect{"event.ingested", EcsType::Date},
        Expect{"related.ip", EcsType::Ip}, Expect{"labels", EcsType::Object}}) {
    const auto* f = find_ecs_field(x.name);
    ASSERT_NE(f, nullptr) << x.name;
    EXPECT_EQ(f->type, x.type) << x.name;
  }
  EXPECT_EQ(find_ecs_field("labels")->object_type, EcsType::Keyword);
  EXPECT_TRUE(find_ecs_field("event.category")->array);
  EXPECT_FALSE(find_ecs_field("event.kind")->array);
  EXPECT_EQ(find_ecs_field("log.offset"), nullptr);
  EXPECT_EQ(find_ecs_field("session.id"), nullptr);

  std::set<std::string_view> names;
  for (const auto& f : auditrelay::test::kEcsFields)
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate " << f.name;

  // Every expected event type is itself an allowed event.type; categories are unique.
  std::set<std::string_view> cats;
  for (const auto& c : auditrelay::test::kEcsEventCategories) {
    EXPECT_TRUE(cats.insert(c.name).second) << "duplicate " << c.name;
    EXPECT_FALSE(c.expected_types[0].empty()) << c.name;
    for (std::string_view t : c.expected_types) {
      if (t.empty()) continue;
      EXPECT_TRUE(auditrelay::test::ecs_value_in(auditrelay::test::kEcsEventTypes, t))
          << c.name << ": " << t;
    }
  }
  EXPECT_EQ(cats.size(), 20u);
  EXPECT_EQ(std::size(auditrelay::test::kEcsEventTypes), 17u);
  // "device" became an event.type value only in ECS 9.2; 8.17 does not allow it.
  EXPECT_FALSE(auditrelay::test::ecs_value_in(auditrelay::test::kEcsEventTypes, "device"));
  ASSERT_NE(find_ecs_category("web"), nullptr);
  EXPECT_FALSE(auditrelay::test::ecs_type_expected_for(*find_ecs_category("web"), "start"));
  EXPECT_TRUE(auditrelay::test::ecs_type_expected_for(*find_ecs_category("api"), "user"));
}
