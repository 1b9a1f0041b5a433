#include <gtest/gtest.h>

#include "coder/query.h"

using namespace auditrelay;
using namespace auditrelay::coder;

namespace {
std::string compile_error(const std::string& q) {
  std::string err;
  auto c = Query::compile(q, err);
  return c ? std::string() : err;
}
bool match(const std::string& q, const Event& e) {
  std::string err;
  auto c = Query::compile(q, err);
  EXPECT_TRUE(c) << err;
  return c && c->matches(e);
}
Event audit_event() {
  Event e;
  e.kind = Kind::Audit;
  e.action = "write";
  e.resource.type = "workspace";
  e.actor.username = "Alice";
  e.severity = Severity::Info;
  e.logger = "coderd";
  e.message = "audit_log";
  parse_rfc3339("2025-09-16T07:46:02.436764Z", e.time);
  return e;
}
}  // namespace

TEST(Query, ErrorsNameTheTermLikeCoder) {
  EXPECT_EQ(compile_error("action:"), "Query element \"action:\" cannot start or end with ':'");
  EXPECT_EQ(compile_error("a:b:c"), "Query element \"a:b:c\" can only contain 1 ':' (quote values that contain ':')");
  EXPECT_EQ(compile_error("colour:red"), "Query param \"colour\" is not a valid query param");
  EXPECT_EQ(compile_error("actoin:write"), "Query param \"actoin\" is not a valid query param (did you mean \"action\"?)");
  EXPECT_EQ(compile_error("date_from:yesterday"),
            "Query param \"date_from\" must be a valid date format (2006-01-02): \"yesterday\"");
  EXPECT_EQ(compile_error("justaword"), "Query element \"justaword\" is not a key:value term");
  EXPECT_EQ(compile_error("connected_after:\"2025-09-16T00:00:00Z\""), "");
}

TEST(Query, SameKeyIsOrDifferentKeysAreAnd) {
  Event e = audit_event();
  EXPECT_TRUE(match("kind:audit kind:connection", e));
  EXPECT_TRUE(match("kind:audit action:write", e));
  EXPECT_FALSE(match("kind:audit action:delete", e));
  EXPECT_TRUE(match("action:delete action:WRITE", e));
  EXPECT_TRUE(match("username:alice", e));  // case-insensitive
  EXPECT_TRUE(match("", e));                // empty query matches all
}

TEST(Query, SeverityThresholdLoggerSuffixAndDates) {
  Event e = audit_event();
  e.kind = Kind::Log;
  e.severity = Severity::Error;
  e.logger = "coderd.autobuild";
  e.message = "workspace build error";
  EXPECT_TRUE(match("severity:>=warn", e));
  EXPECT_FALSE(match("severity:warn", e));
  EXPECT_FALSE(match("severity:>=critical", e));
  EXPECT_TRUE(match("logger:autobuild", e));
  EXPECT_FALSE(match("logger:build", e));  // whole components only
  EXPECT_TRUE(match("message:\"workspace build error\"", e));
  EXPECT_TRUE(match("date_from:2025-09-16 date_to:2025-09-16", e));
  EXPECT_FALSE(match("date_from:2025-09-17", e));
  EXPECT_FALSE(match("date_to:2025-09-15", e));
}

TEST(Query, AlertAndConnectionStatus) {
  Event e;
  e.kind = Kind::Connection;
  e.action = "disconnect";
  e.connection.status = "disconnected";
  EXPECT_TRUE(match("status:completed", e));
  EXPECT_FALSE(match("status:ongoing", e));
  EXPECT_FALSE(match("alert:true", e));
  e.alert_rule = "autostart_failed";
  EXPECT_TRUE(match("alert:true", e));
  EXPECT_TRUE(match("alert:autostart_failed", e));
}

// Agent Boundaries decisions (audit-schema.md "kind boundary") are found by kind, decision,
// method, host and owner.
TEST(Query, BoundaryDecisionsByKindActionHostAndOwner) {
  Event e;
  e.kind = Kind::Boundary;
  e.action = "deny";
  e.boundary.decision = "deny";
  e.http.method = "POST";
  e.http.host = "pastebin.com";
  e.workspace.owner_username = "alice";
  e.workspace.id = "c02d7594-55c5-43c0-8204-1ef19c710298";
  EXPECT_TRUE(match("kind:boundary action:deny", e));
  EXPECT_TRUE(match("kind:boundary decision:deny http_method:post", e));
  EXPECT_TRUE(match("http_host:pastebin.com workspace_owner:alice", e));
  EXPECT_TRUE(match("workspace_id:c02d7594-55c5-43c0-8204-1ef19c710298", e));
  EXPECT_FALSE(match("kind:boundary action:allow", e));
  EXPECT_FALSE(match("kind:audit", e));
  EXPECT_FALSE(match("http_host:github.com", e));
  EXPECT_EQ(compile_error("kind:firewall"),
            "Query param \"kind\" has invalid value: \"firewall\" is not audit, connection, boundary or log");
}
