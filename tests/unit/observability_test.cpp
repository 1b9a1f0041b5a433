// The pieces of `auditrelay tap` and `top` without a server: a tap client's bounded queue, the
// processor's copies for each client's filter, the /metrics reader, the top table, and the
// readable tap line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/cli/metrics_text.h"
#include "agent/cli/tap_line.h"
#include "agent/cli/top_view.h"
#include "core/server/listen_address.h"
#include "core/server/tap_stream.h"
#include "coder/tap.h"
#include "support/normalize_helper.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {
constexpr std::chrono::milliseconds kNoWait{0};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  return out;
}
}  // namespace

TEST(TapStream, KeepsTheWholeLinesThatFitAndCountsTheRest) {
  TapStream s(100);
  EXPECT_EQ(s.push(std::string(60, 'a') + "\n"), 0u);
  // 39 bytes of room: the first of these three lines fits, the other two are dropped.
  EXPECT_EQ(s.push(std::string(30, 'b') + "\n" + std::string(30, 'c') + "\nd\n"), 2u);
  EXPECT_EQ(s.push("e\n"), 0u);
  std::string out;
  uint64_t dropped = 0;
  ASSERT_TRUE(s.take(out, dropped, kNoWait));
  EXPECT_EQ(out, std::string(60, 'a') + "\n" + std::string(30, 'b') + "\ne\n");
  EXPECT_EQ(dropped, 2u);
  ASSERT_TRUE(s.take(out, dropped, kNoWait));  // drained: nothing, nothing dropped
  EXPECT_EQ(out, "");
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(s.push(std::string(200, 'f') + "\n"), 1u);  // one line bigger than the queue
  s.count_dropped(3);
  ASSERT_TRUE(s.take(out, dropped, kNoWait));
  EXPECT_EQ(dropped, 4u);
}

TEST(TapStream, AClosedStreamEndsAtOnceWithItsReason) {
  TapStream s;
  s.push("x\n");
  s.close("a reload removed the output");
  EXPECT_EQ(s.push("y\n"), 0u);  // takes nothing, reports no drop
  std::string out;
  uint64_t dropped = 0;
  // What it held is not sent: a slow client must not hold up the agent's stop.
  EXPECT_FALSE(s.take(out, dropped, std::chrono::seconds(5)));
  EXPECT_EQ(out, "");
  EXPECT_EQ(s.close_reason(), "a reload removed the output");
}

// Each client gets what its filter asks for, from the processor, in its schema: an output's
// view (its route and schema), one input, a query.
TEST(TapHub, EachClientGetsWhatItsFilterMatchesInItsSchema) {
  Metrics metrics;
  coder::TapHub hub(metrics);
  coder::Transforms t;
  std::string err;
  t.routes.resize(2);
  ASSERT_TRUE(t.routes[0].add("severity:error", err)) << err;
  t.schemas = {Schema::Ocsf, Schema::AuditV1};
  t.tap = &hub;
  auto errors_output = std::make_shared<coder::TapClient>();
  errors_output->filter.output = 0;
  errors_output->filter.schema = Schema::Ocsf;
  auto other_input = std::make_shared<coder::TapClient>();
  other_input->filter.input = "other";
  auto infos_ecs = std::make_shared<coder::TapClient>();
  ASSERT_TRUE(infos_ecs->filter.match.add("severity:info", err)) << err;
  infos_ecs->filter.schema = Schema::Ecs;
  for (const auto& c : {errors_output, other_input, infos_ecs}) hub.subscribe(c);
  EXPECT_EQ(metrics.gauge("auditrelay_tap_clients").load(), 3);

  std::string text;
  for (int i = 0; i < 9; ++i)
    text += std::string(R"({"ts":"2025-09-16T12:00:00Z","level":")") + (i % 3 ? "INFO" : "ERROR") +
            R"(","msg":"m","logger_names":["coderd"]})" + "\n";
  normalize_text(text, "slog_json", &t);  // input "test"

  std::string lines;
  uint64_t dropped = 0;
  errors_output->stream->take(lines, dropped, kNoWait);
  ASSERT_EQ(split_lines(lines).size(), 3u) << lines;
  for (const auto& l : split_lines(lines)) EXPECT_TRUE(json::parse(l).contains("class_uid")) << l;
  other_input->stream->take(lines, dropped, kNoWait);
  EXPECT_EQ(lines, "");
  infos_ecs->stream->take(lines, dropped, kNoWait);
  ASSERT_EQ(split_lines(lines).size(), 6u) << lines;
  for (const auto& l : split_lines(lines)) EXPECT_TRUE(json::parse(l).contains("@timestamp")) << l;

  hub.unsubscribe(other_input);
  EXPECT_EQ(metrics.gauge("auditrelay_tap_clients").load(), 2);
  EXPECT_FALSE(other_input->stream->take(lines, dropped, kNoWait));  // closed

  hub.close_where([&](const coder::TapClient& c) { return c.filter.output == 0; }, "changed");
  EXPECT_EQ(metrics.gauge("auditrelay_tap_clients").load(), 1);
  EXPECT_EQ(errors_output->stream->close_reason(), "changed");
  EXPECT_FALSE(infos_ecs->stream->closed());
}

TEST(TapHub, AFullClientQueueIsCountedAsDropped) {
  Metrics metrics;
  coder::TapHub hub(metrics);
  coder::Transforms t;
  t.tap = &hub;
  auto slow = std::make_shared<coder::TapClient>();
  slow->stream = std::make_shared<TapStream>(10);  // no event fits
  hub.subscribe(slow);
  normalize_text("{\"ts\":\"2025-09-16T12:00:00Z\",\"level\":\"INFO\",\"msg\":\"m\"}\n",
                 "slog_json", &t);
  EXPECT_EQ(metrics.value("auditrelay_tap_events_dropped_total"), 1u);
  std::string lines;
  uint64_t dropped = 0;
  slow->stream->take(lines, dropped, kNoWait);
  EXPECT_EQ(dropped, 1u);
}

TEST(MetricsText, ReadsSamplesWithLabelsAndSkipsComments) {
  auto s = parse_metrics_text(
      "# HELP a_total what\n# TYPE a_total counter\na_total 3\n"
      "b{output=\"x \\\"y\\\"\",le=\"+Inf\"} 2.5e3\nbroken{a=\"1\" 7\nc NaN\n");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].name, "a_total");
  EXPECT_EQ(s[0].value, 3);
  EXPECT_EQ(s[1].labels.at("output"), "x \"y\"");
  EXPECT_EQ(s[1].labels.at("le"), "+Inf");
  EXPECT_EQ(s[1].value, 2500);
  EXPECT_EQ(s[2].name, "c");
}

TEST(TopView, RatesFromTwoScrapesAndTroubleFirst) {
  auto before = parse_metrics_text(
      "auditrelay_lines_read_total{input=\"coderd\"} 100\n"
      "auditrelay_bytes_read_total{input=\"coderd\"} 1000\n"
      "auditrelay_read_lag_bytes{input=\"coderd\"} 0\n"
      "auditrelay_output_events_sent_total{output=\"a\"} 50\n"
      "auditrelay_output_events_sent_total{output=\"b\"} 10\n"
      "auditrelay_output_send_failures_total{output=\"b\"} 1\n");
  auto after = parse_metrics_text(
      "auditrelay_lines_read_total{input=\"coderd\"} 300\n"
      "auditrelay_bytes_read_total{input=\"coderd\"} 5000\n"
      "auditrelay_read_lag_bytes{input=\"coderd\"} 0\n"
      "auditrelay_output_events_sent_total{output=\"a\"} 250\n"
      "auditrelay_output_events_sent_total{output=\"b\"} 10\n"
      "auditrelay_output_send_failures_total{output=\"b\"} 5\n"
      "auditrelay_output_failing_seconds{output=\"b\"} 42\n"
      "auditrelay_buffer_bytes{output=\"b\"} 900\n"
      "auditrelay_buffer_max_bytes{output=\"b\"} 1000\n"
      "auditrelay_bytes_in_flight 1048576\nauditrelay_max_in_flight_bytes 4194304\n");
  TopView v = make_top_view(before, after, 2.0);
  ASSERT_EQ(v.rows.size(), 3u);
  EXPECT_EQ(v.rows[0].name, "b");  // two troubles: failing, buffer 90 % full
  EXPECT_EQ(v.rows[0].trouble,
            (std::vector<std::string>{"failing for 42 s", "disk buffer nearly full"}));
  EXPECT_EQ(v.rows[0].failures_per_s, 2);
  EXPECT_EQ(v.rows[1].name, "coderd");
  EXPECT_EQ(v.rows[1].events_per_s, 100);
  EXPECT_EQ(v.rows[1].bytes_per_s, 2000);
  EXPECT_EQ(v.rows[2].events_per_s, 100);
  v.ready = true;
  v.readiness = "ready";
  std::string table = render_top(v, "127.0.0.1:2020", false);
  EXPECT_NE(table.find("in flight 1.0 MiB of 4.0 MiB (25%)"), std::string::npos) << table;
  EXPECT_NE(table.find("failing for 42 s; disk buffer nearly full"), std::string::npos) << table;
  EXPECT_EQ(table.find("\033["), std::string::npos);  // no colour when asked for none
}

TEST(TopView, ACounterThatWentDownCountsFromZero) {
  auto before = parse_metrics_text("auditrelay_output_events_sent_total{output=\"a\"} 500\n");
  auto after = parse_metrics_text("auditrelay_output_events_sent_total{output=\"a\"} 20\n");
  EXPECT_EQ(make_top_view(before, after, 1.0).rows.at(0).events_per_s, 20);  // restarted agent
}

TEST(TapLine, AnAuditV1EventIsOneReadableLine) {
  auto events = normalize_text(
      R"({"ts":"2025-09-16T12:00:01.123456Z","level":"ERROR","msg":"workspace build error","logger_names":["coderd"],"fields":{"error":"boom"}})"
      "\n",
      "slog_json");
  ASSERT_EQ(events.size(), 1u);
  std::string line = readable_tap_line(events[0].dump(), false);
  EXPECT_EQ(line,
            "12:00:01.123 ERROR log        coderd  workspace build error  boom  "
            "[workspace_build_error]");
  EXPECT_NE(readable_tap_line(events[0].dump(), true).find("\033[31m"), std::string::npos);
  // What a log line carries cannot drive the terminal: control characters are shown escaped.
  auto hostile = normalize_text(
      R"({"ts":"2025-09-16T12:00:01Z","level":"INFO","msg":"a\u001b[2Jb\nc\u0085d","logger_names":["x"]})"
      "\n",
      "slog_json");
  std::string safe = readable_tap_line(hostile.at(0).dump(), false);
  EXPECT_NE(safe.find("a\\x1b[2Jb\\x0ac\\xc2\\x85d"), std::string::npos) << safe;
  EXPECT_EQ(safe.find('\033'), std::string::npos) << safe;
  EXPECT_EQ(readable_tap_line("{\"class_uid\":1}", false), "{\"class_uid\":1}");  // other schema
  EXPECT_EQ(readable_tap_line("not json", false), "not json");
}

TEST(ListenAddress, LoopbackIsOnlyWhatOnlyThisMachineReaches) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"})
    EXPECT_TRUE(is_loopback_host(host)) << host;
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "127.0.0.1.nip.io", "127.example.com",
                           "localhost.example.com", "::ffff:127.0.0.1", ""})
    EXPECT_FALSE(is_loopback_host(host)) << host;
}
