// Format quirks from FORMATS.md, one at a time.
#include <gtest/gtest.h>

#include "coder/normalizer.h"
#include "coder/processor.h"
#include "support/normalize_helper.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {
json one(const std::string& text, const std::string& format = "auto",
         const coder::Transforms* t = nullptr) {
  auto evs = normalize_text(text, format, t);
  EXPECT_EQ(evs.size(), 1u) << text;
  return evs.empty() ? json() : evs[0];
}
}  // namespace

TEST(Human, AnsiColourAndLauncherPrefixAreStripped) {
  json e =
      one("\x1b[0m\x1b[90m2025-09-16 02:14:09.511\x1b[0m \x1b[91m[erro]\x1b[0m  coderd: boom  "
          "\x1b[36merror\x1b[0m=\"x y\"\n");
  EXPECT_EQ(e["severity"], "error");
  EXPECT_EQ(e["logger"], "coderd");
  EXPECT_EQ(e["message"], "boom");
  EXPECT_EQ(e["error"], "x y");
  e = one("[API] 2025-09-16 08:44:19.305 [info]  coderd: hello  k=v\n");
  EXPECT_EQ(e["message"], "hello");
  EXPECT_EQ(e["fields"]["k"], "v");
}

TEST(Human, GoQuotedValuesNilNumbersAndJson) {
  json e =
      one("2025-09-16 12:00:00.000 [info]  coderd: m  a=\"tab\\there \\\"q\\\" \\u00e9 \\x41\"  "
          "b=<nil>  c=42  d=true  "
          "map={\"k\":\"v w\"}  e=\"\"  \"odd key\"=1\n");
  EXPECT_EQ(e["fields"]["a"], "tab\there \"q\" \xc3\xa9 A");
  EXPECT_FALSE(e["fields"].contains("b"));  // null-like values are unknown
  EXPECT_EQ(e["fields"]["c"], 42);
  EXPECT_EQ(e["fields"]["d"], true);
  EXPECT_EQ(e["fields"]["map"], json({{"k", "v w"}}));
  EXPECT_FALSE(e["fields"].contains("e"));
  EXPECT_EQ(e["fields"]["odd key"], 1);
}

// Bare numbers that no JSON consumer reads back (beyond 64-bit integers, a double that
// overflows) stay strings: written as numbers, simdjson and Go reject the whole event (found by
// fuzz_auto).
TEST(Human, NumbersBeyondPortableRangeStayStrings) {
  json e =
      one("2025-09-16 12:00:00.000 [info]  coderd: m  big=333333333333333333333333333330  "
          "exp=310472e492  u=18446744073709551615  neg=-9223372036854775808  f=1.5e300\n");
  EXPECT_EQ(e["fields"]["big"], "333333333333333333333333333330");
  EXPECT_EQ(e["fields"]["exp"], "310472e492");
  EXPECT_EQ(e["fields"]["u"], 18446744073709551615ULL);
  EXPECT_EQ(e["fields"]["neg"], INT64_MIN);
  EXPECT_EQ(e["fields"]["f"], 1.5e300);
}

TEST(Human, MessageWithDoubleSpacesAndEmptyMessage) {
  json e = one("2025-09-16 12:00:00.000 [info]  coderd: two  spaces here  k=v\n");
  EXPECT_EQ(e["message"], "two  spaces here");
  e = one("2025-09-16 12:00:00.000 [warn]    k=v\n");
  EXPECT_FALSE(e.contains("logger"));
  EXPECT_FALSE(e.contains("message"));
  EXPECT_EQ(e["fields"]["k"], "v");
  // An unnamed logger whose message looks like a name is not split.
  e = one("2025-09-16 12:00:00.000 [info]  oauth2: token refreshed\n");
  EXPECT_FALSE(e.contains("logger"));
  EXPECT_EQ(e["message"], "oauth2: token refreshed");
}

TEST(Human, MultiLineMessageAndFieldBlocks) {
  auto evs = normalize_text(
      "2025-09-16 12:00:00.000 [warn]  coderd: ...  wowow=\"me\\nyou\"\n"
      "    msg= line1\n"
      "\n"
      "         line2\n"
      "2025-09-16 11:30:07.912 [debu]  coderd.provisionerd-x: job log  job_id=1  stage=\"Plan\" "
      "...\n"
      "    output= Terraform 1.9.8\n"
      "            Initializing the backend...\n"
      "\n"
      "            Initializing provider plugins...\n"
      "2025-09-16 12:00:01.000 [info]  coderd: next\n",
      "auto", nullptr, 7);  // tiny chunks: blocks cross read boundaries
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0]["message"], "line1\n\nline2");
  EXPECT_EQ(evs[0]["fields"]["wowow"], "me\nyou");
  EXPECT_EQ(evs[1]["fields"]["output"],
            "Terraform 1.9.8\nInitializing the backend...\n\nInitializing provider plugins...");
  EXPECT_EQ(evs[1]["fields"]["stage"], "Plan");
  EXPECT_EQ(evs[2]["message"], "next");
}

TEST(Human, UnknownLevelKeepsItsText) {
  json e = one("2025-09-16 12:00:00.000 [unkn]  coderd: odd\n");
  EXPECT_EQ(e["severity"], "info");
  EXPECT_EQ(e["fields"]["level"], "unkn");
  e = one(R"J({"ts":"2025-09-16T12:00:00Z","level":"slog.Level(12)","msg":"odd"})J"
          "\n");
  EXPECT_EQ(e["severity"], "info");
  EXPECT_EQ(e["fields"]["level"], "slog.Level(12)");
}

TEST(Json, DuplicateKeysKeepTheLastAndKeysAreCaseInsensitive) {
  json e = one(
      R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"connection_log","fields":{"ID":"11111111-1111-1111-1111-111111111111","IP":"10.0.0.1","Type":"ssh","ConnectionID":"22222222-2222-2222-2222-222222222222","ConnectionStatus":"connected","x":1,"x":2,"Ip":"10.0.0.9"}})"
      "\n");
  EXPECT_EQ(e["actor"]["ip"], "10.0.0.9");
  EXPECT_EQ(e["fields"]["x"], 2);
  EXPECT_EQ(e["event_id"], "11111111-1111-1111-1111-111111111111");
}

TEST(Json, LegacyWrappersAreUnwrapped) {
  json e = one(
      R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"audit_log","fields":{"ID":"33333333-3333-3333-3333-333333333333","Ip":"{IPNet:{IP:10.0.4.17 Mask:ffffffff} Valid:true}","UserAgent":"{String:Mozilla/5.0 (X11) {braces} Valid:true}","Action":"write","RequestID":"{UUID:44444444-4444-4444-4444-444444444444 Valid:true}","StatusCode":"{Int32:0 Valid:false}"}})"
      "\n");
  EXPECT_EQ(e["actor"]["ip"], "10.0.4.17");
  EXPECT_EQ(e["actor"]["user_agent"], "Mozilla/5.0 (X11) {braces}");
  EXPECT_EQ(e["request_id"], "44444444-4444-4444-4444-444444444444");
  EXPECT_FALSE(e.contains("status_code"));
}

TEST(Json, V1NestedAuditEntryAndActionMapping) {
  json e = one(
      R"({"ts":"2021-01-01T00:00:00Z","level":"INFO","msg":"audit_log","fields":{"audit_log":{"id":"55555555-5555-5555-5555-555555555555","time":"2021-01-01T00:00:00.5Z","action":"auto_start","resource_type":"workspace","user_id":"66666666-6666-6666-6666-666666666666"}}})"
      "\n");
  EXPECT_EQ(e["kind"], "audit");
  EXPECT_EQ(e["action"], "start");
  EXPECT_EQ(e["build_reason"], "autostart");
  EXPECT_EQ(e["time"], "2021-01-01T00:00:00.5Z");
  EXPECT_EQ(e["event_id"], "55555555-5555-5555-5555-555555555555");
  EXPECT_EQ(e["resource"]["type"], "workspace");
  e = one(
      R"({"ts":"2021-01-01T00:00:00Z","level":"INFO","msg":"audit_log","fields":{"audit_log":{"action":"ssh"}}})"
      "\n");
  EXPECT_EQ(e["action"], "connect");
}

TEST(Json, StackdriverLines) {
  json e = one(
      R"({"logging.googleapis.com/severity":"WARNING","severity":"WARNING","message":"connection_log","timestampSeconds":1758005836,"timestampNanos":151872655,"logging.googleapis.com/sourceLocation":{"file":"x.go","line":"38","function":"f"},"logging.googleapis.com/operation":{"producer":"coderd"},"ID":"77777777-7777-7777-7777-777777777777","Type":"ssh","ConnectionStatus":"disconnected","Code":0})"
      "\n");
  EXPECT_EQ(e["source"]["format"], "stackdriver");
  EXPECT_EQ(e["severity"], "warn");
  EXPECT_EQ(e["logger"], "coderd");
  EXPECT_EQ(e["action"], "disconnect");
  EXPECT_EQ(e["status_code"], 0);
  EXPECT_EQ(e["time"], "2025-09-16T06:57:16.151872655Z");
}

TEST(Json, ErrorShapes) {
  auto err = [](const std::string& v) {
    return one(R"({"ts":"2025-09-16T12:00:00Z","level":"ERROR","msg":"m","fields":{"error":)" + v +
               "}}\n")
        .value("error", "");
  };
  EXPECT_EQ(err(R"("plain")"), "plain");
  EXPECT_EQ(err(R"([{"msg":"a"},{"msg":"b"},"cause"])"), "a: b: cause");
  EXPECT_EQ(err(R"([{"msg":"a"},{"msg":"b"},null])"), "a: b");
  EXPECT_EQ(err(R"({"message":"Internal error.","detail":"connection refused"})"),
            "Internal error.: connection refused");
  EXPECT_EQ(err(R"({"code":7})"), R"({"code":7})");
  EXPECT_EQ(err("null"), "");
}

TEST(Containers, CriPartialsPerStreamAndInterleaving) {
  auto evs = normalize_text(
      "2025-09-16T06:56:16.1Z stdout P {\"ts\":\"2025-09-16T06:56:16Z\",\"lev\n"
      "2025-09-16T06:56:16.2Z stderr F "
      "{\"ts\":\"2025-09-16T06:56:17Z\",\"level\":\"WARN\",\"msg\":\"other\"}\n"
      "2025-09-16T06:56:16.3Z stdout F el\":\"INFO\",\"msg\":\"joined\"}\n"
      "2025-09-16T06:56:16.4Z stdout F not coder at all\n",
      "cri");
  ASSERT_EQ(evs.size(), 3u);
  // In the order of their first line in the file: the stdout entry started first.
  EXPECT_EQ(evs[0]["message"], "joined");
  EXPECT_EQ(evs[0]["time"], "2025-09-16T06:56:16Z");  // the inner entry's time, not the wrapper's
  EXPECT_EQ(evs[1]["message"], "other");
  EXPECT_EQ(evs[2]["message"], "not coder at all");
  EXPECT_EQ(evs[2]["source"]["format"], "raw");
  EXPECT_EQ(evs[2]["time"], "2025-09-16T06:56:16.4Z");  // raw: the wrapper's time
}

TEST(Containers, DockerRecordsWithoutNewlineAreJoined) {
  auto evs = normalize_text(
      R"({"log":"{\"ts\":\"2025-09-16T01:00:00Z\",\"level\":\"ERROR\",","stream":"stderr","time":"2025-09-16T01:00:00.5Z"})"
      "\n"
      R"({"log":"\"msg\":\"split\"}\n","stream":"stderr","time":"2025-09-16T01:00:00.6Z"})"
      "\n",
      "docker");
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0]["message"], "split");
  EXPECT_EQ(evs[0]["severity"], "error");
}

TEST(Containers, HumanBlockAcrossCriRecords) {
  auto evs = normalize_text(
      "2025-09-16T06:00:00.1Z stderr F 2025-09-16 06:00:00.231 [erro]  autobuild: failed to "
      "transition workspace  workspace_id=w ...\n"
      "2025-09-16T06:00:00.1Z stderr F     error= transition workspace:\n"
      "2025-09-16T06:00:00.1Z stderr F                github.com/x.f\n"
      "2025-09-16T06:00:00.1Z stderr F              - sql: no rows in result set\n"
      "2025-09-16T06:00:00.2Z stderr F 2025-09-16 06:00:00.300 [info]  coderd: after\n",
      "cri");
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0]["error"], "transition workspace: sql: no rows in result set");
  EXPECT_EQ(evs[0]["alert"]["rule"], "autostart_failed");
  EXPECT_EQ(evs[1]["message"], "after");
}

TEST(Auto, MixedFormatsInOneFile) {
  auto evs = normalize_text(
      "{\"ts\":\"2025-09-16T01:00:00Z\",\"level\":\"INFO\",\"msg\":\"json line\"}\n"
      "2025-09-16 01:00:01.000 [info]  coderd: human line\n"
      "panic: runtime error: invalid memory address\n"
      "\tgoroutine 1 [running]:\n");
  ASSERT_EQ(evs.size(), 4u);
  EXPECT_EQ(evs[0]["source"]["format"], "slog_json");
  EXPECT_EQ(evs[1]["source"]["format"], "slog_human");
  EXPECT_EQ(evs[2]["source"]["format"], "raw");
  EXPECT_EQ(evs[2]["message"], "panic: runtime error: invalid memory address");
}

TEST(Normalize, DerivedEventIdsAreStableAndPositional) {
  std::string text = "a line\nanother line\n";
  auto first = normalize_text(text);
  auto again = normalize_text(text);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0]["event_id"], again[0]["event_id"]);
  EXPECT_NE(first[0]["event_id"], first[1]["event_id"]);
  EXPECT_EQ(first[1]["source"]["offset"], 7);
}

TEST(Transforms, RedactionAlertsAndDrop) {
  coder::Transforms t;
  t.redaction = Redaction({"hashed_password", "api_secret", "ttl"});
  std::string err;
  ASSERT_TRUE(t.drop.add("severity:debug", err));
  t.alerts = coder::AlertRules();
  t.alerts.add_builtin(1);  // autostart_failed only
  t.alerts.add_user("big_delete", coder::Query::compile("kind:audit action:delete", err),
                    "Something was deleted");
  auto evs = normalize_text(
      R"({"ts":"2025-09-16T12:00:00Z","level":"DEBUG","msg":"noise"})"
      "\n"
      R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"audit_log","fields":{"ID":"88888888-8888-8888-8888-888888888888","Action":"delete","Diff":{"ttl":{"Old":1,"New":2,"Secret":false},"hashed_password":{"Old":"x","New":"y","Secret":true}},"AdditionalFields":{"nested":{"API_SECRET":"s"}},"api_secret":"top"}})"
      "\n"
      R"({"ts":"2025-09-16T12:00:00Z","level":"ERROR","msg":"workspace build error","logger_names":["coderd"]})"
      "\n",
      "auto", &t);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0]["diff"]["ttl"], json({{"old", "[REDACTED]"}, {"new", "[REDACTED]"}}));
  EXPECT_EQ(evs[0]["diff"]["hashed_password"], json({{"secret", true}}));
  EXPECT_EQ(evs[0]["additional_fields"]["nested"]["API_SECRET"], "[REDACTED]");
  EXPECT_EQ(evs[0]["fields"]["api_secret"], "[REDACTED]");
  EXPECT_EQ(evs[0]["alert"]["rule"], "big_delete");
  EXPECT_FALSE(evs[1].contains("alert"));  // workspace_build_error was not enabled
}

// A derived id's name (input, source identity, offset) is never cut: an input name and identity
// of hundreds of bytes used to overrun its buffer (ASan) and, once guarded, lost the offset, so
// that every line of the file got the same id.
TEST(DerivedEventId, VeryLongInputNameAndIdentityKeepTheOffset) {
  SourceInfo source;
  source.input = std::string(600, 'i');
  source.identity = std::string(600, 'p');
  coder::RecordContext ctx;
  ctx.source = &source;
  ctx.offset = 123456789;
  Event a, b, c;
  coder::derive_event_id(ctx, a);
  coder::derive_event_id(ctx, b);
  ASSERT_EQ(a.event_id.size(), 36u);
  EXPECT_EQ(a.event_id, b.event_id);
  EXPECT_EQ(a.event_id[14], '5');  // UUID version 5
  ctx.offset = 123456790;          // the next line: its own id
  coder::derive_event_id(ctx, c);
  EXPECT_NE(a.event_id, c.event_id);
}
