// The agent's own endpoints on loopback: /metrics parsed as Prometheus text exposition,
// /healthz, and /readyz following a Splunk token problem, an output that keeps failing, and a
// Coder API input whose token is refused.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "agent/config/agent_config.h"
#include "agent/runtime.h"
#include "support/capabilities.h"
#include "support/fake_coder.h"
#include "support/http_server.h"
#include "support/runtime_agent.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;

namespace {

// A strict reader of the Prometheus text format (0.0.4): every line is a `# TYPE`/`# HELP`
// comment or a sample `name{label="value",...} number`, and every sample's family was typed first.
struct Exposition {
  std::map<std::string, double> samples;  // "name{labels}" → value
  std::set<std::string> typed, helped;    // families with # TYPE, with # HELP
  std::vector<std::string> errors;
};

Exposition parse_exposition(const std::string& text) {
  static const std::regex type_line(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$)");
  Exposition e;
  std::set<std::string> typed, histograms;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      e.helped.insert(rest.substr(0, rest.find(' ')));
      if (rest.find(' ') == std::string::npos) e.errors.push_back("HELP without text: " + line);
      continue;
    }
    if (std::regex_match(line, m, type_line)) {
      typed.insert(m[1]);
      e.typed.insert(m[1]);
      if (m[2] == "histogram") histograms.insert(m[1]);
      continue;
    }
    if (!std::regex_match(line, m, sample)) {
      e.errors.push_back("not a sample: " + line);
      continue;
    }
    // A histogram's samples are its family name plus _bucket (with le), _sum or _count.
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string base = family.size() > std::strlen(suffix)
                             ? family.substr(0, family.size() - std::strlen(suffix))
                             : "";
      if (family.ends_with(suffix) && histograms.count(base)) {
        if (std::string(suffix) == "_bucket" && line.find("le=\"") == std::string::npos)
          e.errors.push_back("bucket without le: " + line);
        family = base;
      }
    }
    if (!typed.count(family)) e.errors.push_back("sample before its # TYPE: " + line);
    e.samples[line.substr(0, line.rfind(' '))] = std::stod(line.substr(line.rfind(' ') + 1));
  }
  return e;
}

// A coder_api input "api" (audit stream, polled every 50 ms) on coder, into a file output.
std::string coder_api_to_file(const FakeCoder& coder, const std::string& options) {
  return "inputs:\n  - {name: api, type: coder_api, url: \"" + coder.url() +
         "\", token: secret-token, streams: [audit], interval: 50ms, " + options +
         "}\noutputs:\n  - {type: file, path: \"$DIR/out.ndjson\"}\n";
}

std::string lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s +=
        R"({"ts":"2025-09-16T12:00:00Z","level":"ERROR","msg":"workspace build error","logger_names":["coderd"],"fields":{"seq":)" +
        std::to_string(i) + "}}\n";
  return s;
}

}  // namespace

TEST(Server, MetricsAreValidExpositionAndCountWhatHappened) {
  Agent agent(R"(inputs:
  - {type: file, paths: ["$DIR/in/*.log"], format: slog_json, poll_interval: 10ms}
outputs:
  - {name: out, type: file, path: "$DIR/out.ndjson", batch: {max_delay: 10ms}}
)");
  ASSERT_GT(agent.rt->server_port(), 0);
  write_text(agent.dir / "in/a.log", lines(100));
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_output_events_sent_total", "output=\"out\"") >=
           100;
  }));
  EXPECT_EQ(agent.status("/healthz"), 200);
  auto r = agent.get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  Exposition e = parse_exposition(r->body);
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  EXPECT_EQ(e.samples["auditrelay_output_events_sent_total{output=\"out\"}"], 100) << r->body;
  // The delivery latency histogram: cumulative buckets, +Inf equal to the count, one per batch.
  const std::string h = "auditrelay_output_delivery_latency_seconds";
  double count = e.samples[h + "_count{output=\"out\"}"];
  EXPECT_GE(count, 1) << r->body;
  EXPECT_EQ(e.samples[h + "_bucket{output=\"out\",le=\"+Inf\"}"], count);
  EXPECT_EQ(count, e.samples["auditrelay_output_batches_sent_total{output=\"out\"}"]);
  double previous = 0;
  for (const char* le : {"0.005", "0.01", "0.1", "1", "10", "60"}) {
    double v = e.samples[h + "_bucket{output=\"out\",le=\"" + le + "\"}"];
    EXPECT_GE(v, previous) << le;
    previous = v;
  }
  EXPECT_GT(e.samples[h + "_sum{output=\"out\"}"], 0);
  // Everything written was read: no lag.
  ASSERT_TRUE(e.samples.count("auditrelay_read_lag_bytes{input=\"file\"}")) << r->body;
  EXPECT_EQ(e.samples["auditrelay_read_lag_bytes{input=\"file\"}"], 0);
  EXPECT_GE(e.samples.size(), 5u);
  EXPECT_EQ(agent.status("/readyz"), 200);
  EXPECT_EQ(agent.status("/nothing"), 404);
}

// Before the first event: every family has help text, and what the config names (the output,
// the input, each alert rule, each format, the reload results) is there at 0.
TEST(Server, EveryMetricIsExportedFromTheStartWithHelp) {
  FakeCoder coder;
  Agent agent(R"(inputs:
  - {type: file, paths: ["$DIR/in/*.log"], format: slog_json, poll_interval: 10ms}
  - {name: api, type: coder_api, url: ")" +
              coder.url() + R"(", token: secret-token}
outputs:
  - {name: out, type: file, path: "$DIR/out.ndjson"}
)");
  const std::vector<std::string> expected = {
      "auditrelay_output_events_sent_total{output=\"out\"}",
      "auditrelay_output_events_dead_lettered_total{output=\"out\"}",
      "auditrelay_events_dropped_total{reason=\"filter\"}",
      "auditrelay_events_normalized_total",
      "auditrelay_lines_raw_total",
      "auditrelay_parse_failures_total",
      "auditrelay_deep_values_total",
      "auditrelay_events_parsed_total{format=\"slog_human\"}",
      "auditrelay_alert_events_total{rule=\"autostart_failed\"}",
      "auditrelay_config_reloads_total{result=\"failure\"}",
      "auditrelay_lines_read_total{input=\"file\"}",
      "auditrelay_coder_api_errors_total{input=\"api\",stream=\"audit\"}"};
  // The inputs make their series as their threads start; nothing has been read by then.
  std::string body;
  Exposition e;
  ASSERT_TRUE(wait_until([&] {
    auto r = agent.get("/metrics");
    if (!r) return false;
    body = r->body;
    e = parse_exposition(body);
    return std::all_of(expected.begin(), expected.end(),
                       [&](const std::string& s) { return e.samples.count(s) > 0; });
  })) << body;
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  EXPECT_EQ(e.typed, e.helped) << body;
  for (const auto& series : expected) EXPECT_EQ(e.samples[series], 0) << series;
  // A family whose labels are not known yet (a Kafka topic) is not declared here: no kafka output.
  EXPECT_FALSE(e.typed.count("auditrelay_kafka_messages_produced_total"));
}

// Coder unreachable (here: answering 500) makes /readyz fail after unready_after, counted as
// errors and not as pages; it is ready again with the first successful poll.
TEST(Server, ReadinessFailsWhileCoderKeepsFailing) {
  FakeCoder coder;
  std::atomic<bool> broken{true};
  coder.on_request([&](bool, int& status, std::string& body) {
    if (!broken) return false;
    status = 500;
    body = "oops";
    return true;
  });
  Agent agent(coder_api_to_file(coder, "unready_after: 100ms"));
  std::string why = agent.unready_reasons();
  ASSERT_FALSE(why.empty());
  EXPECT_NE(why.find("input api (audit): GET /api/v2/audit failing for"), std::string::npos) << why;
  EXPECT_NE(why.find("HTTP 500"), std::string::npos) << why;
  const std::string label = "input=\"api\",stream=\"audit\"";
  EXPECT_GE(agent.rt->metrics().value("auditrelay_coder_api_errors_total", label), 2u);
  EXPECT_EQ(agent.rt->metrics().value("auditrelay_coder_api_pages_total", label), 0u);
  broken = false;
  ASSERT_TRUE(wait_until([&] { return agent.status("/readyz") == 200; }));
  EXPECT_GE(agent.rt->metrics().value("auditrelay_coder_api_pages_total", label), 1u);
}

TEST(Server, ReadinessFailsWhileAMatchedFileCannotBeOpened) {
  WithoutPermissionOverride unprivileged;
  Agent agent(R"(inputs:
  - {type: file, paths: ["$DIR/in/*.log"], format: slog_json, poll_interval: 10ms, glob_interval: 50ms}
outputs:
  - {type: file, path: "$DIR/out.ndjson", batch: {max_delay: 10ms}}
)");
  std::string secret = agent.dir / "in/secret.log";
  write_text(agent.dir / "secret.tmp", lines(3));  // made unreadable before the agent sees it
  std::filesystem::permissions(agent.dir / "secret.tmp", std::filesystem::perms::none);
  std::filesystem::rename(agent.dir / "secret.tmp", secret);
  std::string why = agent.unready_reasons();
  ASSERT_FALSE(why.empty());
  EXPECT_NE(why.find("input file (" + secret + "): cannot open: Permission denied"),
            std::string::npos)
      << why;
  std::filesystem::permissions(secret, std::filesystem::perms::owner_read);
  ASSERT_TRUE(wait_until([&] { return agent.status("/readyz") == 200; }));
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_output_events_sent_total", "output=\"file\"") == 3;
  }));
}

TEST(Server, ReadinessFollowsASplunkTokenProblem) {
  TestHttpServer hec;
  std::atomic<bool> token_ok{false};
  hec.set_handler([&](const Recorded& r) {
    if (r.path == "/services/collector/health")
      return Scripted{200, R"({"text":"HEC is healthy","code":17})"};
    if (!token_ok) return Scripted{403, R"({"text":"Invalid token","code":4})"};
    return Scripted{200, R"({"text":"Success","code":0})"};
  });
  Agent agent(R"(inputs:
  - {type: file, paths: ["$DIR/in/*.log"], format: slog_json, poll_interval: 10ms}
outputs:
  - {name: splunk, type: splunk_hec, url: ")" +
              hec.url() + R"(", token: t, pause_on_auth_error: 100ms, batch: {max_delay: 10ms}}
)");
  write_text(agent.dir / "in/a.log", lines(10));
  std::string why = agent.unready_reasons();
  ASSERT_FALSE(why.empty());
  EXPECT_NE(why.find("output splunk"), std::string::npos) << why;
  EXPECT_NE(why.find("token"), std::string::npos) << why;
  EXPECT_EQ(agent.status("/healthz"), 200);  // alive, only not ready
  token_ok = true;
  ASSERT_TRUE(wait_until([&] { return agent.status("/readyz") == 200; }));
  EXPECT_EQ(agent.rt->metrics().value("auditrelay_output_events_sent_total", "output=\"splunk\""),
            10u);
}

TEST(Server, ReadinessFailsWhileAnOutputKeepsFailing) {
  TestHttpServer sink;
  std::atomic<bool> down{true};
  sink.set_handler([&](const Recorded&) {
    return down ? Scripted{503, "busy"} : Scripted{200, ""};
  });
  Agent agent(R"(inputs:
  - {type: file, paths: ["$DIR/in/*.log"], format: slog_json, poll_interval: 10ms}
outputs:
  - {name: collector, type: http, url: ")" +
              sink.url() + R"(/in", retry: {initial: 50ms, max: 200ms}, batch: {max_delay: 10ms}}
)");
  write_text(agent.dir / "in/a.log", lines(5));
  std::string why = agent.unready_reasons();
  ASSERT_FALSE(why.empty());
  EXPECT_NE(why.find("output collector: failing for"), std::string::npos) << why;
  // The same on /metrics, for alert rules and `auditrelay top`.
  Exposition e = parse_exposition(agent.get("/metrics")->body);
  EXPECT_EQ(e.samples["auditrelay_ready"], 0);
  EXPECT_GT(e.samples["auditrelay_output_failing_seconds{output=\"collector\"}"], 1);
  down = false;
  ASSERT_TRUE(wait_until([&] { return agent.status("/readyz") == 200; }));
  e = parse_exposition(agent.get("/metrics")->body);
  EXPECT_EQ(e.samples["auditrelay_ready"], 1);
  EXPECT_EQ(e.samples["auditrelay_output_failing_seconds{output=\"collector\"}"], 0);
}

TEST(Server, ReadinessFailsWhileTheCoderTokenIsRefused) {
  FakeCoder coder;
  coder.set_token("other");
  Agent agent(coder_api_to_file(coder, "auth_retry: 50ms"));
  std::string why = agent.unready_reasons();
  ASSERT_FALSE(why.empty());
  EXPECT_NE(why.find("input api (audit)"), std::string::npos) << why;
  coder.set_token("secret-token");
  ASSERT_TRUE(wait_until([&] { return agent.status("/readyz") == 200; }));
}

TEST(Server, AnAddressInUseIsAStartError) {
  httplib::Server other;  // another process's server on the port
  int port = other.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { other.listen_after_bind(); });
  // stop() before the server runs would be lost and join() would hang.
  ASSERT_TRUE(wait_until([&] { return other.is_running(); }));
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  write_text(dir / "in/a.log", lines(10));
  AgentConfig cfg;
  Diagnostics d("t");
  ASSERT_TRUE(load_config_text("data_dir: " + dir / "data" +
                                   "\nserver: {listen: \"127.0.0.1:" + std::to_string(port) +
                                   "\"}\ninputs: [{type: file, paths: [\"" + dir / "in/*.log" +
                                   "\"], poll_interval: 10ms}]\noutputs: [{type: file, path: \"" +
                                   dir / "out.ndjson" + "\", batch: {max_delay: 10ms}}]\n",
                               "t", process_env(), cfg, d))
      << d.to_string();
  Runtime rt(cfg);
  std::string err;
  EXPECT_FALSE(rt.start(err));
  EXPECT_NE(
      err.find("cannot listen on 127.0.0.1:" + std::to_string(port) + ": Address already in use"),
      std::string::npos)
      << err;
  // Nothing was read or sent before the start failed: stopping (which would drain whatever was
  // in flight) leaves no output and no saved position.
  rt.stop();
  EXPECT_FALSE(std::filesystem::exists(dir / "out.ndjson"));
  EXPECT_FALSE(std::filesystem::exists(dir / "data/checkpoints.json"));
  other.stop();
  serving.join();
}
