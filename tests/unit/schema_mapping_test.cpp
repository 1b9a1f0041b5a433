// The OCSF and ECS encodings: every Coder event class (the samples and generated rows: every
// audit action × resource type × status, every connection type and status, boundary decisions,
// alert and plain logs) conforms to OCSF 1.2.0 (checked against ../shared/ocsf, skipped where
// that folder is absent) and to ECS's field reference; the mapping table itself; encoding once
// per schema after routing; redaction in every schema.
#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "coder/event/event_attributes.h"
#include "coder/schemas/ocsf_class.h"
#include "plugins/outputs/common/event_template.h"
#include "support/ecs_reference.h"
#include "support/normalize_helper.h"
#include "support/ocsf_schema.h"

namespace auditrelay::test {
namespace {

using nlohmann::json;

const char* const kActions[] = {"create",
                                "write",
                                "delete",
                                "start",
                                "stop",
                                "login",
                                "logout",
                                "register",
                                "request_password_reset",
                                "connect",
                                "disconnect",
                                "open",
                                "close",
                                "some_future_action"};
const char* const kResourceTypes[] = {"organization",
                                      "template",
                                      "template_version",
                                      "user",
                                      "workspace",
                                      "git_ssh_key",
                                      "api_key",
                                      "group",
                                      "workspace_build",
                                      "license",
                                      "workspace_proxy",
                                      "convert_login",
                                      "health_settings",
                                      "oauth2_provider_app",
                                      "oauth2_provider_app_secret",
                                      "custom_role",
                                      "organization_member",
                                      "notifications_settings",
                                      "notification_template",
                                      "idp_sync_settings_organization",
                                      "idp_sync_settings_group",
                                      "idp_sync_settings_role",
                                      "workspace_agent",
                                      "workspace_app",
                                      "prebuilds_settings",
                                      "task",
                                      "ai_seat",
                                      "chat",
                                      "ai_provider",
                                      "ai_provider_key",
                                      "ai_gateway_key",
                                      "mcp_server_config",
                                      "some_future_resource"};

json audit_row(const std::string& action, const std::string& type, int status, int variant) {
  json row = {{"id", "0c5b5f1e-0000-4000-8000-" + std::to_string(100000000000 + variant)},
              {"request_id", "4f1c2a3b-0000-4000-8000-000000000001"},
              {"time", "2025-09-16T18:00:00.4259Z"},
              {"ip", variant % 3 == 0   ? ""
                     : variant % 3 == 1 ? "10.1.2.3"
                                        : "2001:db8::7"},
              {"user_agent", variant % 2 ? "Mozilla/5.0" : ""},
              {"resource_type", type},
              {"resource_id", "47b539dd-f392-490e-83b3-632b42da0d88"},
              {"resource_target", variant % 4 == 3 ? "" : "target-name"},
              {"resource_icon", ""},
              {"action", action},
              {"diff", json::object()},
              {"status_code", status},
              {"additional_fields", json::object()},
              {"description", "{user} did it"},
              {"organization_id", "33187a44-c2da-42b5-b447-041287015d41"},
              {"user", nullptr}};
  if (variant % 2 == 0)
    row["user"] = {{"id", "8165e8e1-1005-4ec4-86c8-d7b79f52b29f"},
                   {"username", "bob"},
                   {"email", "bob@example.com"}};
  if (type == "user" && action == "write")
    row["diff"] = variant % 4 == 0   ? json{{"status", {{"old", "active"}, {"new", "suspended"}}}}
                  : variant % 4 == 2 ? json{{"hashed_password", {{"secret", true}}}}
                                     : json{{"name", {{"old", "a"}, {"new", "b"}}}};
  if (type == "workspace_build")
    row["additional_fields"] = {{"build_reason", variant % 2 ? "autostart" : "initiator"},
                                {"workspace_name", "dev"}};
  return row;
}

const char* const kConnectionTypes[] = {
    "ssh",           "vscode",          "jetbrains", "reconnecting_pty",
    "workspace_app", "port_forwarding", "tunnel",    "cursor"};

// A connection_log entry as coderd's JSON sink writes it.
std::string connection_line(const std::string& type, bool disconnected, int code, int variant) {
  bool web = type == "workspace_app" || type == "port_forwarding" || type == "tunnel";
  json fields = {{"request_id", "8cd3ee30-44f1-4d31-97ef-5b73f6b1c5a2"},
                 {"ID", "05d81e3a-2338-4b62-a110-" + std::to_string(700000000000 + variant)},
                 {"OrganizationID", "33187a44-c2da-42b5-b447-041287015d41"},
                 {"WorkspaceOwnerID", "8165e8e1-1005-4ec4-86c8-d7b79f52b29f"},
                 {"WorkspaceID", "74336b37-2cf0-4ea9-b9ff-05d13114c56d"},
                 {"WorkspaceName", "api-gateway"},
                 {"AgentName", "main"},
                 {"Type", type},
                 {"Code", variant % 5 == 0 ? json(nullptr) : json(code)},
                 {"Ip", variant % 2 ? "2001:db8:4f1a::23" : "192.0.2.10"},
                 {"UserAgent", web ? "Mozilla/5.0" : ""},
                 {"UserID", web ? json("8165e8e1-1005-4ec4-86c8-d7b79f52b29f") : json(nullptr)},
                 {"SlugOrPort", type == "port_forwarding" ? "8080"
                                : web                     ? "code-server"
                                                          : ""},
                 {"ConnectionID", web ? "" : "25fd79fc-fc48-45ba-a854-4d0a94cb0c87"},
                 {"DisconnectReason", disconnected ? "session closed by client" : ""},
                 {"Time", "2025-09-16T07:52:10.653897884Z"},
                 {"ConnectionStatus", disconnected ? "disconnected" : "connected"}};
  json line = {{"ts", "2025-09-16T07:52:10.663018221Z"},
               {"level", "INFO"},
               {"msg", "connection_log"},
               {"logger_names", {"coderd"}},
               {"fields", fields}};
  return line.dump() + "\n";
}

std::string boundary_line(const std::string& decision, const std::string& method,
                          const std::string& url) {
  json fields = {{"owner", "zachkipp"},
                 {"workspace_name", "upload-source"},
                 {"agent_name", "dev"},
                 {"decision", decision},
                 {"workspace_id", "b21d26f6-b45e-4d3d-b1b9-9ac9a7403626"},
                 {"http_method", method},
                 {"http_url", url},
                 {"event_time", "2026-02-10T15:50:31.252989316Z"},
                 {"request_id", "dfaf838f-37c7-4941-b5db-442ca000b797"}};
  if (decision == "allow") fields["matched_rule"] = "domain=sum.golang.org";
  json line = {{"ts", "2026-02-10T15:50:31.267415893Z"},
               {"level", "INFO"},
               {"msg", "boundary_request"},
               {"logger_names", {"coderd", "agentrpc"}},
               {"fields", fields}};
  return line.dump() + "\n";
}

// Every generated Coder event as (format, text) pairs.
std::vector<std::pair<std::string, std::string>> generated_inputs() {
  std::vector<std::pair<std::string, std::string>> in;
  std::string audit, connections, boundary;
  int variant = 0;
  for (const char* action : kActions)
    for (const char* type : kResourceTypes)
      for (int status : {200, 303, 401, 403, 500})
        audit += audit_row(action, type, status, variant++).dump() + "\n";
  for (const char* type : kConnectionTypes)
    for (bool disconnected : {false, true})
      for (int code : {0, 1, 101, 200, 403, 502})
        connections += connection_line(type, disconnected, code, variant++);
  for (const char* decision : {"allow", "deny"})
    for (const char* method : {"GET", "POST", "PATCH", "CONNECT", "DELETE"})
      for (const char* url : {"https://pastebin.com/api/api_post.php", "/lookup/x"})
        boundary += boundary_line(decision, method, url);
  in.emplace_back("api", audit);
  in.emplace_back("auto", connections);
  in.emplace_back("auto", boundary);
  for (const char* sample :
       {"coderd.json.log", "coderd.human.log", "container.cri.log", "container.docker.log"})
    in.emplace_back("auto", slurp(sample_path(sample)));
  in.emplace_back("api", slurp(sample_path("api.audit_logs.json")));
  in.emplace_back("api", slurp(sample_path("api.connection_logs.json")));
  return in;
}

// The API samples are whole responses; the api format reads rows one per line.
std::string as_rows(const std::string& format, const std::string& text) {
  if (format != "api" || text.empty() || text[0] != '{' ||
      text.find("\"audit_logs\"") == std::string::npos) {
    if (text.find("\"connection_logs\"") == std::string::npos || text[0] != '{') return text;
  }
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return text;
  std::string rows;
  for (const char* key : {"audit_logs", "connection_logs"})
    if (doc.contains(key))
      for (const auto& row : doc[key]) rows += row.dump() + "\n";
  return rows.empty() ? text : rows;
}

std::vector<json> encode_all(Schema schema) {
  std::vector<json> all;
  for (const auto& [format, text] : generated_inputs()) {
    auto events = normalize_text(as_rows(format, text), format, nullptr, 4096, schema);
    all.insert(all.end(), events.begin(), events.end());
  }
  return all;
}

std::string ocsf_dir() {
#ifdef AUDITRELAY_OCSF_DIR
  return AUDITRELAY_OCSF_DIR;
#else
  return std::string(AUDITRELAY_SAMPLES_DIR) + "/../../../shared/ocsf/1.2.0";
#endif
}

class OcsfConformance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(ocsf_dir() + "/dictionary.json")) return;
    schema_ = std::make_unique<OcsfSchema>(ocsf_dir());
  }
  void SetUp() override {
    if (!schema_)
      GTEST_SKIP() << "the OCSF 1.2.0 definitions are not at " << ocsf_dir()
                   << " (a clone on its own): conformance is not checked";
  }
  static inline std::unique_ptr<OcsfSchema> schema_;
};

TEST_F(OcsfConformance, EveryCoderEventHasEveryRequiredAttributeAndOnlyDefinedValues) {
  auto events = encode_all(Schema::Ocsf);
  ASSERT_GT(events.size(), 2000u);
  std::set<int> classes;
  size_t failures = 0;
  for (const auto& ev : events) {
    classes.insert(ev["class_uid"].get<int>());
    auto problems = schema_->check(ev);
    if (!problems.empty() && ++failures <= 5) {
      std::string all;
      for (const auto& p : problems) all += "\n  " + p;
      ADD_FAILURE() << ev.dump() << all;
    }
  }
  EXPECT_EQ(failures, 0u) << "of " << events.size() << " events";
  // Every class of the mapping occurred.
  EXPECT_EQ(classes, (std::set<int>{0, 2004, 3001, 3002, 3004, 4001, 4002, 4007, 6003, 6004}));
}

TEST_F(OcsfConformance, ClassNamesAreTheSchemasCaptions) {
  for (int uid : {0, 2004, 3001, 3002, 3004, 4001, 4002, 4007, 6003, 6004})
    EXPECT_EQ(std::string(coder::ocsf_class_info(static_cast<uint16_t>(uid)).caption),
              schema_->class_caption(uid))
        << uid;
}

TEST(EcsMapping, EveryCoderEventUsesOnlyEcsFieldsAndAllowedValues) {
  auto events = encode_all(Schema::Ecs);
  ASSERT_GT(events.size(), 2000u);
  size_t failures = 0;
  for (const auto& ev : events) {
    auto problems = check_ecs_event(ev);
    if (!problems.empty() && ++failures <= 5) {
      std::string all;
      for (const auto& p : problems) all += "\n  " + p;
      ADD_FAILURE() << ev.dump() << all;
    }
  }
  EXPECT_EQ(failures, 0u) << "of " << events.size() << " events";
}

json one(const json& row, Schema schema, const std::string& format = "api") {
  auto events = normalize_text(row.is_string() ? row.get<std::string>() : row.dump() + "\n", format,
                               nullptr, 4096, schema);
  EXPECT_EQ(events.size(), 1u);
  return events.empty() ? json() : events[0];
}

struct ClassCase {
  std::string action, type;
  int status;
  int class_uid, activity_id;
};

TEST(OcsfMapping, AuditActionsMapToTheirClassAndActivity) {
  const ClassCase cases[] = {
      {"login", "api_key", 200, 3002, 1},
      {"logout", "api_key", 200, 3002, 2},
      {"login", "api_key", 401, 3002, 1},
      {"register", "api_key", 200, 3001, 1},
      {"request_password_reset", "user", 200, 3001, 4},
      {"create", "user", 200, 3001, 1},
      {"delete", "user", 200, 3001, 6},
      {"create", "api_key", 200, 3004, 1},
      {"delete", "git_ssh_key", 200, 3004, 4},
      {"write", "custom_role", 200, 3004, 3},
      {"create", "oauth2_provider_app_secret", 200, 3004, 1},
      {"create", "workspace", 200, 6003, 1},
      {"write", "template", 200, 6003, 3},
      {"delete", "template_version", 200, 6003, 4},
      {"start", "workspace_build", 200, 6003, 3},
      {"stop", "workspace_build", 200, 6003, 3},
      {"connect", "workspace_agent", 200, 6003, 99},
      {"create", "license", 500, 6003, 1},
  };
  for (const auto& c : cases) {
    json ev = one(audit_row(c.action, c.type, c.status, 0), Schema::Ocsf);
    SCOPED_TRACE(c.action + " " + c.type);
    EXPECT_EQ(ev["class_uid"], c.class_uid);
    EXPECT_EQ(ev["activity_id"], c.activity_id);
    EXPECT_EQ(ev["type_uid"], c.class_uid * 100 + c.activity_id);
    EXPECT_EQ(ev["status_id"], c.status >= 400 ? 2 : 1);
    EXPECT_EQ(ev["status_code"], std::to_string(c.status));
    EXPECT_EQ(ev["metadata"]["uid"], "0c5b5f1e-0000-4000-8000-100000000000");
    EXPECT_EQ(ev["metadata"]["version"], "1.2.0");
    EXPECT_EQ(ev["metadata"]["product"]["name"], "auditrelay");
    EXPECT_EQ(ev["time"], 1758045600425);  // 2025-09-16T18:00:00.4259Z in epoch ms
  }
}

TEST(OcsfMapping, FailedLoginKeepsTheReason) {
  json ev = one(audit_row("login", "api_key", 401, 2), Schema::Ocsf);
  EXPECT_EQ(ev["status"], "Failure");
  EXPECT_FALSE(ev["status_detail"].get<std::string>().empty());
  EXPECT_EQ(ev["user"]["name"], "bob");
  EXPECT_EQ(ev["src_endpoint"]["ip"], "2001:db8::7");
  json unknown_ip = one(audit_row("login", "api_key", 200, 0), Schema::Ocsf);
  EXPECT_EQ(unknown_ip["src_endpoint"]["name"], "unknown");
}

TEST(OcsfMapping, UserWritesAreDisableOrPasswordChange) {
  EXPECT_EQ(one(audit_row("write", "user", 200, 0), Schema::Ocsf)["activity_id"], 5);  // suspended
  EXPECT_EQ(one(audit_row("write", "user", 200, 2), Schema::Ocsf)["activity_id"], 3);  // password
  EXPECT_EQ(one(audit_row("write", "user", 200, 1), Schema::Ocsf)["activity_id"], 99);
}

TEST(OcsfMapping, AutomaticBuildsNameTheirReasonAsTheInvoker) {
  json autostart = one(audit_row("start", "workspace_build", 200, 1), Schema::Ocsf);
  EXPECT_EQ(autostart["actor"]["invoked_by"], "autostart");
  EXPECT_EQ(autostart["api"]["operation"], "start");
  EXPECT_EQ(autostart["unmapped"]["build_reason"], "autostart");
  json manual = one(audit_row("start", "workspace_build", 200, 0), Schema::Ocsf);
  EXPECT_FALSE(manual["actor"].contains("invoked_by"));
  EXPECT_EQ(manual["actor"]["user"]["name"], "bob");
}

TEST(OcsfMapping, SshSessionsOpenAndCloseWithReasonAndExitCode) {
  json open = one(json(connection_line("ssh", false, 0, 1)), Schema::Ocsf, "auto");
  EXPECT_EQ(open["class_uid"], 4007);
  EXPECT_EQ(open["activity_id"], 1);
  json close = one(json(connection_line("ssh", true, 130, 1)), Schema::Ocsf, "auto");
  EXPECT_EQ(close["activity_id"], 2);
  EXPECT_EQ(close["status_code"], "130");
  EXPECT_EQ(close["status_id"], 1);  // an exit code is not a failed connection
  EXPECT_EQ(close["status_detail"], "session closed by client");
  EXPECT_EQ(close["dst_endpoint"]["name"], "api-gateway.main");
  EXPECT_EQ(close["src_endpoint"]["ip"], "2001:db8:4f1a::23");
}

TEST(OcsfMapping, OtherConnectionsAreNetworkOrWebResourceAccess) {
  EXPECT_EQ(one(json(connection_line("vscode", false, 0, 1)), Schema::Ocsf, "auto")["class_uid"],
            4001);
  json app = one(json(connection_line("workspace_app", false, 403, 1)), Schema::Ocsf, "auto");
  EXPECT_EQ(app["class_uid"], 6004);
  EXPECT_EQ(app["activity_id"], 2);  // Access Deny
  EXPECT_EQ(app["web_resources"][0]["name"], "code-server");
  json pf = one(json(connection_line("port_forwarding", false, 200, 1)), Schema::Ocsf, "auto");
  EXPECT_EQ(pf["class_uid"], 4001);
  EXPECT_EQ(pf["dst_endpoint"]["port"], 8080);
  json tunnel = one(json(connection_line("tunnel", false, 403, 1)), Schema::Ocsf, "auto");
  EXPECT_EQ(tunnel["activity_id"], 5);  // Refuse
  EXPECT_EQ(tunnel["status_id"], 2);
}

TEST(OcsfMapping, BoundaryDecisionsAreHttpActivityWithTheSecurityControlProfile) {
  json allow = one(json(boundary_line("allow", "GET", "https://sum.golang.org/lookup/x")),
                   Schema::Ocsf, "auto");
  EXPECT_EQ(allow["class_uid"], 4002);
  EXPECT_EQ(allow["activity_id"], 3);  // Get
  EXPECT_EQ(allow["disposition_id"], 1);
  EXPECT_EQ(allow["action_id"], 1);
  EXPECT_EQ(allow["firewall_rule"]["name"], "domain=sum.golang.org");
  EXPECT_EQ(allow["http_request"]["url"]["hostname"], "sum.golang.org");
  EXPECT_EQ(allow["metadata"]["profiles"], json::array({"host", "security_control"}));
  EXPECT_EQ(allow["src_endpoint"]["uid"], "b21d26f6-b45e-4d3d-b1b9-9ac9a7403626");
  json deny = one(json(boundary_line("deny", "POST", "/api/x")), Schema::Ocsf, "auto");
  EXPECT_EQ(deny["activity_id"], 6);
  EXPECT_EQ(deny["disposition_id"], 2);
  EXPECT_EQ(deny["disposition"], "Blocked");
  EXPECT_EQ(deny["http_request"]["url"]["path"], "/api/x");
  EXPECT_FALSE(deny.contains("firewall_rule"));
}

TEST(OcsfMapping, AlertLogsAreDetectionFindingsAndPlainLogsBaseEvents) {
  auto events =
      normalize_text(slurp(sample_path("coderd.json.log")), "auto", nullptr, 4096, Schema::Ocsf);
  auto audit = normalize_text(slurp(sample_path("coderd.json.log")));
  ASSERT_EQ(events.size(), audit.size());
  int findings = 0, base = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (audit[i]["kind"] != "log") continue;
    if (audit[i].contains("alert")) {
      ++findings;
      EXPECT_EQ(events[i]["class_uid"], 2004);
      EXPECT_EQ(events[i]["finding_info"]["analytic"]["name"], audit[i]["alert"]["rule"]);
      EXPECT_EQ(events[i]["finding_info"]["title"], audit[i]["alert"]["summary"]);
      EXPECT_EQ(events[i]["finding_info"]["uid"], audit[i]["event_id"]);
    } else {
      ++base;
      EXPECT_EQ(events[i]["class_uid"], 0);
      EXPECT_EQ(events[i]["type_uid"], 99);
    }
    EXPECT_EQ(events[i]["message"], audit[i]["message"]);
  }
  EXPECT_GT(findings, 0);
  EXPECT_GT(base, 0);
}

// Nothing of the audit/v1 event is lost: what has no OCSF attribute is under unmapped.
TEST(OcsfMapping, UnmappedKeepsWhatHasNoOcsfAttribute) {
  json row = audit_row("write", "workspace", 200, 0);
  row["diff"] = {{"ttl", {{"old", 1}, {"new", 2}}}};
  row["additional_fields"] = {{"automatic_actor", "coder"}};
  json ev = one(row, Schema::Ocsf);
  EXPECT_EQ(ev["unmapped"]["diff"]["ttl"]["new"], 2);
  EXPECT_EQ(ev["unmapped"]["additional_fields"]["automatic_actor"], "coder");
  EXPECT_EQ(ev["unmapped"]["organization_id"], "33187a44-c2da-42b5-b447-041287015d41");
  EXPECT_EQ(ev["unmapped"]["source"]["input"], "test");
  EXPECT_EQ(ev["resources"][0]["name"], "target-name");
}

TEST(EcsMapping, AuditLoginIsAuthenticationWithOutcome) {
  json ev = one(audit_row("login", "api_key", 401, 1), Schema::Ecs);
  EXPECT_EQ(ev["event"]["category"], json::array({"authentication"}));
  EXPECT_EQ(ev["event"]["type"], json::array({"start"}));
  EXPECT_EQ(ev["event"]["outcome"], "failure");
  EXPECT_EQ(ev["event"]["dataset"], "coder.audit");
  EXPECT_EQ(ev["source"]["ip"], "10.1.2.3");
  EXPECT_EQ(ev["user_agent"]["original"], "Mozilla/5.0");
  EXPECT_EQ(ev["@timestamp"], "2025-09-16T18:00:00.4259Z");
  EXPECT_EQ(ev["ecs"]["version"], "8.17.0");
}

TEST(EcsMapping, UserChangesAreIamWithTheTargetUser) {
  json ev = one(audit_row("delete", "user", 200, 0), Schema::Ecs);
  EXPECT_EQ(ev["event"]["category"], json::array({"iam"}));
  EXPECT_EQ(ev["event"]["type"], json::array({"user", "deletion"}));
  EXPECT_EQ(ev["user"]["name"], "bob");
  EXPECT_EQ(ev["user"]["target"]["name"], "target-name");
}

TEST(EcsMapping, SessionsBoundaryAndKubernetes) {
  json ssh = one(json(connection_line("ssh", true, 0, 1)), Schema::Ecs, "auto");
  EXPECT_EQ(ssh["event"]["category"], json::array({"session", "network"}));
  EXPECT_EQ(ssh["event"]["type"], json::array({"end"}));
  EXPECT_EQ(ssh["coder"]["workspace"]["name"], "api-gateway");
  json deny =
      one(json(boundary_line("deny", "POST", "https://pastebin.com/x")), Schema::Ecs, "auto");
  EXPECT_EQ(deny["event"]["type"], json::array({"denied", "access"}));
  EXPECT_EQ(deny["url"]["domain"], "pastebin.com");
  EXPECT_EQ(deny["http"]["request"]["method"], "POST");
  auto cri =
      normalize_text(slurp(sample_path("container.cri.log")), "auto", nullptr, 4096, Schema::Ecs);
  ASSERT_FALSE(cri.empty());
}

TEST(EcsMapping, AnAddressThatIsNotAnIpIsNotWrittenAsOne) {
  json row = audit_row("create", "workspace", 200, 1);
  row["ip"] = "not-an-ip";
  json ev = one(row, Schema::Ecs);
  EXPECT_FALSE(ev["source"].contains("ip"));
  EXPECT_EQ(ev["source"]["address"], "not-an-ip");
}

TEST(SchemaEncoding, RedactionAppliesInEverySchema) {
  coder::Transforms t;
  t.redaction = Redaction({"token"});
  for (Schema s : {Schema::AuditV1, Schema::Ocsf, Schema::Ecs}) {
    t.routes.clear();
    t.routes.emplace_back();
    t.schemas = {s};
    json row = audit_row("write", "workspace", 200, 0);
    row["diff"] = {{"token", {{"old", "s3cret-old"}, {"new", "s3cret-new"}}}};
    row["additional_fields"] = {{"token", "s3cret-af"}};
    auto events = normalize_text(row.dump() + "\n", "api", &t, 4096, s);
    ASSERT_EQ(events.size(), 1u);
    std::string text = events[0].dump();
    EXPECT_EQ(text.find("s3cret"), std::string::npos) << schema_name(s) << ": " << text;
    EXPECT_NE(text.find("[REDACTED]"), std::string::npos) << schema_name(s);
  }
}

// One API row through the processor, as a worker runs it; the number of events kept.
size_t process_row(coder::Processor& p, const json& row, EncodedBatch& enc) {
  RecordBatch batch;
  batch.source = std::make_shared<SourceInfo>();
  batch.observed = Timestamp{1'800'000'000, 0, 9};
  BatchSink sink(&batch);
  LineReader reader(Registry::instance().format("api")->make_framer(), 1 << 20);
  std::string text = row.dump() + "\n";
  reader.feed(text, 0, sink);
  reader.finish(sink);
  return p.process(batch, enc);
}

// An event is encoded once per schema its outputs receive, however many outputs share it, and
// not at all in a schema none of its outputs receives.
TEST(SchemaEncoding, OncePerSchemaAfterRouting) {
  coder::Transforms t;
  std::string err;
  t.routes.resize(4);
  t.routes[3].add("kind:connection", err);  // the ecs output wants connections only
  t.schemas = {Schema::Ocsf, Schema::AuditV1, Schema::Ocsf, Schema::Ecs};
  coder::Processor p(t, nullptr);
  EncodedBatch enc;
  ASSERT_EQ(process_row(p, audit_row("create", "workspace", 200, 0), enc), 1u);
  const EncodedEvent& e = enc.events[0];
  EXPECT_EQ(e.routes, 0b0111u);
  size_t ocsf = e.json[static_cast<size_t>(Schema::Ocsf)].size;
  size_t audit = e.json[static_cast<size_t>(Schema::AuditV1)].size;
  EXPECT_GT(ocsf, 0u);
  EXPECT_GT(audit, 0u);
  EXPECT_EQ(e.json[static_cast<size_t>(Schema::Ecs)].size, 0u);
  EXPECT_EQ(enc.json.size(), ocsf + audit);  // two encodings for three outputs
  EXPECT_EQ(json::parse(enc.event_json(e, Schema::Ocsf))["class_uid"], 6003);
  EXPECT_EQ(json::parse(enc.event_json(e))["schema"], "audit/v1");
  EXPECT_EQ(ocsf_class(e.meta), 6003);
}

}  // namespace
}  // namespace auditrelay::test

namespace auditrelay::test {
namespace {

// One event encoded in `schema`, as an output of that schema receives it.
struct OneOut {
  EncodedBatch enc;
  OutEvent out;
  OneOut(const json& row, Schema schema) {
    coder::Processor p(transforms_for(schema), nullptr);
    process_row(p, row, enc);
    out = OutEvent{enc.event_json(enc.events.at(0), schema), &enc.events.at(0).meta, &enc};
  }
};

TEST(SchemaTemplates, AuditPathsAreReadWhereTheSchemaKeepsThem) {
  json row = audit_row("create", "workspace", 200, 0);
  row["additional_fields"] = {{"workspace_name", "dev"}};
  simdjson::dom::parser parser;
  std::string out;
  for (Schema s : {Schema::AuditV1, Schema::Ocsf, Schema::Ecs}) {
    OneOut ev(row, s);
    EventTemplate t(
        "coder.{kind}.{ocsf.class}.{additional_fields.workspace_name}.{organization_id}",
        {.schema = s});
    EXPECT_TRUE(t.render(ev.out, parser, out, "unknown")) << schema_name(s) << ": " << out;
    EXPECT_EQ(out, "coder.audit.api_activity.dev.33187a44-c2da-42b5-b447-041287015d41")
        << schema_name(s);
  }
  OneOut ecs(row, Schema::Ecs);
  EventTemplate user("{actor.username}", {.schema = Schema::Ecs});
  EXPECT_TRUE(user.render(ecs.out, parser, out));
  EXPECT_EQ(out, "bob");  // from ECS's user.name
}

// A slot a reload freed routes nothing and costs no encoding.
TEST(SchemaEncoding, FreeSlotsAreNeitherRoutedNorEncoded) {
  coder::Transforms t;
  t.routes.resize(3);
  t.schemas = {Schema::AuditV1, Schema::Ocsf, Schema::Ocsf};
  t.free_slots = 0b001;
  coder::Processor p(t, nullptr);
  EncodedBatch enc;
  ASSERT_EQ(process_row(p, audit_row("create", "workspace", 200, 0), enc), 1u);
  EXPECT_EQ(enc.events[0].routes, 0b110u);
  EXPECT_EQ(enc.events[0].json[static_cast<size_t>(Schema::AuditV1)].size, 0u);
  EXPECT_EQ(enc.json.size(), enc.events[0].json[static_cast<size_t>(Schema::Ocsf)].size);
}

TEST(SchemaTemplates, AnAuditPathWithNoFixedPlaceIsRefused) {
  std::string why = EventTemplate::problem("coder.{actor.username}", {.schema = Schema::Ocsf});
  EXPECT_NE(why.find("no fixed place in ocsf"), std::string::npos) << why;
  EXPECT_EQ(EventTemplate::problem("coder.{actor.username}", {.schema = Schema::Ecs}), "");
  EXPECT_EQ(EventTemplate::problem("coder.{workspace.name}", {.schema = Schema::Ocsf}), "");
  // The schema's own paths are the user's to name (not audit/v1 fields).
  EXPECT_EQ(EventTemplate::problem("{class_name}", {.schema = Schema::Ocsf}), "");
  EXPECT_EQ(EventTemplate::problem("{class_name}", {.schema_only = true, .schema = Schema::Ocsf}),
            "");
  EXPECT_NE(EventTemplate::problem("{class_name}", {.schema_only = true}), "");
}

}  // namespace
}  // namespace auditrelay::test
