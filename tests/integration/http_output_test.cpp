// HTTP and Splunk HEC outputs against real servers on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "agent/config/agent_config.h"
#include "core/registry/registry.h"
#include "agent/runtime.h"
#include "support/checkpoints.h"
#include "support/ecs_reference.h"
#include "support/ocsf_schema.h"
#include "tests/bench/generator.h"
#include "support/http_server.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

std::string line(int seq, const std::string& msg = "line", const std::string& level = "INFO") {
  return R"({"ts":"2025-09-16T12:00:00.123456Z","level":")" + level + R"(","msg":")" + msg +
         R"(","logger_names":["coderd"],"fields":{"seq":)" + std::to_string(seq) + "}}\n";
}

// Runs an agent (file input → the given output yaml) over `text` until `done` holds.
struct Agent {
  TempDir dir;
  std::unique_ptr<AgentConfig> cfg;
  std::unique_ptr<Runtime> rt;
  Agent(const std::string& text, const std::string& output_yaml) {
    std::filesystem::create_directories(dir / "in");
    write_text(dir / "in/a.log", text);
    cfg = std::make_unique<AgentConfig>();
    Diagnostics d("t");
    std::string yaml =
        "data_dir: " + dir / "data" +
        "\npipeline: {checkpoint_interval: 20ms}\ninputs:\n  - {type: file, paths: [\"" +
        dir / "in" + "/*.log\"], format: slog_json, poll_interval: 10ms}\noutputs:\n" + output_yaml;
    EXPECT_TRUE(load_config_text(yaml, "t", process_env(), *cfg, d)) << d.to_string();
    rt = std::make_unique<Runtime>(*cfg);
    std::string err;
    EXPECT_TRUE(rt->start(err)) << err;
  }
  ~Agent() { rt->stop(); }
  std::vector<std::string> dlq(const std::string& output) {
    return read_lines(dir / ("data/dlq/" + output + ".ndjson"));
  }
  // The agent has done all it can: the file read to its end (read lag 0), at least `lines` lines
  // read, every line read acknowledged by `output`, and the file's position saved at its end.
  bool caught_up(const std::string& output, uint64_t lines) {
    const Metrics& m = rt->metrics();
    if (m.value("auditrelay_read_lag_bytes", "input=\"file\"") != 0) return false;
    // Read before and after: equal to sent only if no line was read in between.
    uint64_t read = m.value("auditrelay_lines_read_total", "input=\"file\"");
    uint64_t sent = m.value("auditrelay_output_events_sent_total", "output=\"" + output + "\"");
    return read >= lines && sent == read &&
           m.value("auditrelay_lines_read_total", "input=\"file\"") == read &&
           saved_at_end(dir / "data", {dir / "in/a.log"});
  }
};

std::vector<json> ndjson_events(const std::vector<Recorded>& reqs) {
  std::vector<json> out;
  for (const auto& r : reqs) {
    std::istringstream in(r.body);
    std::string l;
    while (std::getline(in, l))
      if (!l.empty()) out.push_back(json::parse(l));
  }
  return out;
}

// Splits a HEC body into its envelopes (JSON objects back to back), returning their raw text.
std::vector<std::string> split_envelopes(const std::string& body) {
  std::vector<std::string> out;
  int depth = 0;
  bool in_str = false;
  size_t start = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_str) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_str = false;
      continue;
    }
    if (c == '"')
      in_str = true;
    else if (c == '{' && depth++ == 0)
      start = i;
    else if (c == '}' && --depth == 0)
      out.push_back(body.substr(start, i - start + 1));
  }
  EXPECT_EQ(depth, 0) << "unbalanced HEC body";
  return out;
}

// Strict HEC envelope checks; returns the events.
std::vector<json> hec_events(const std::vector<Recorded>& reqs, const std::string& token) {
  std::vector<json> out;
  static const std::regex kFixedPoint(R"re("time":(\d+(\.\d+)?),)re");
  for (const auto& r : reqs) {
    if (r.path != "/services/collector/event") continue;
    EXPECT_EQ(r.header("Authorization"), "Splunk " + token);
    for (const auto& raw : split_envelopes(r.body)) {
      std::smatch m;
      EXPECT_TRUE(std::regex_search(raw, m, kFixedPoint))
          << "time not fixed-point: " << raw.substr(0, 80);
      json env = json::parse(raw);
      EXPECT_TRUE(env["time"].is_number());
      EXPECT_TRUE(env["host"].is_string());
      EXPECT_TRUE(env["source"].is_string());
      EXPECT_EQ(env["sourcetype"], "coder:" + env["event"]["kind"].get<std::string>());
      for (const auto& [k, v] : env["fields"].items())
        EXPECT_TRUE(v.is_string()) << "field " << k << " not flat";
      EXPECT_EQ(env["fields"]["kind"], env["event"]["kind"]);
      EXPECT_EQ(env["event"]["schema"], "audit/v1");
      out.push_back(env);
    }
  }
  return out;
}

std::string lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += line(i);
  return s;
}

}  // namespace

TEST(HttpOutput, DeliversNdjsonExactlyOnceInOrder) {
  TestHttpServer server;
  Agent agent(lines(10000), "  - {type: http, url: \"" + server.url() +
                                "/ingest\", batch: {max_events: 500, max_delay: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return ndjson_events(server.requests()).size() >= 10000; }));
  // Every batch acknowledged: a resend would be among the requests by now.
  ASSERT_TRUE(wait_until([&] { return agent.caught_up("http", 10000); }));
  auto reqs = server.requests();
  auto evs = ndjson_events(reqs);
  ASSERT_EQ(evs.size(), 10000u);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(evs[static_cast<size_t>(i)]["fields"]["seq"], i);
  std::set<std::string> keys;
  for (const auto& r : reqs) {
    EXPECT_EQ(r.path, "/ingest");
    EXPECT_EQ(r.header("Content-Type"), "application/x-ndjson");
    keys.insert(r.header("Idempotency-Key"));
  }
  EXPECT_EQ(keys.size(), reqs.size()) << "each batch has its own idempotency key";
}

TEST(HttpOutput, JsonArrayGzipHeadersAndAuth) {
  TestHttpServer server;
  Agent agent(lines(100), "  - type: http\n    url: \"" + server.url() +
                              "/in\"\n    format: json_array\n    compression: gzip\n"
                              "    headers: {X-Team: platform}\n    auth: {bearer_token: t0k3n}\n  "
                              "  batch: {max_delay: 20ms}\n");
  ASSERT_TRUE(wait_until([&] {
    size_t n = 0;
    for (const auto& r : server.requests()) n += json::parse(r.body).size();
    return n >= 100;
  }));
  for (const auto& r : server.requests()) {
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("Content-Encoding"), "gzip");
    EXPECT_EQ(r.header("X-Team"), "platform");
    EXPECT_EQ(r.header("Authorization"), "Bearer t0k3n");
    EXPECT_TRUE(json::parse(r.body).is_array());
  }
}

TEST(HttpOutput, RetriesHonourRetryAfterAndKeepTheIdempotencyKey) {
  TestHttpServer server;
  server.script({503, "busy", "1"});
  server.script({429, "slow down", ""});
  Agent agent(lines(5), "  - {type: http, url: \"" + server.url() +
                            "/i\", batch: {max_delay: 10ms}, retry: {initial: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] { return server.requests().size() >= 3; }));
  auto reqs = server.requests();
  EXPECT_EQ(ndjson_events({reqs[2]}).size(), 5u);
  EXPECT_EQ(reqs[0].header("Idempotency-Key"), reqs[2].header("Idempotency-Key"));
  EXPECT_EQ(agent.rt->metrics().value("auditrelay_output_retries_total", "output=\"http\""), 2u);
}

TEST(HttpOutput, RetryAfterDelaysTheNextAttempt) {
  TestHttpServer server;
  server.script({503, "busy", "1"});
  Agent agent(lines(1), "  - {type: http, url: \"" + server.url() +
                            "/i\", batch: {max_delay: 10ms}, retry: {initial: 10ms}}\n");
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return server.requests().size() >= 1; }));
  t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return server.requests().size() >= 2; }));
  // Behaviour, not speed: the second attempt did not come before the server's Retry-After
  // (half of it, given jitter).
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(450));
}

TEST(HttpOutput, PermanentRejectionGoesToDeadLetters) {
  TestHttpServer server;
  server.script({400, R"({"error":"schema mismatch"})", ""});
  Agent agent(lines(3), "  - {name: coll, type: http, url: \"" + server.url() +
                            "/i\", batch: {max_delay: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.dlq("coll").size() == 3; }));
  json d = json::parse(agent.dlq("coll")[0]);
  EXPECT_THAT(d["reason"].get<std::string>(),
              HasSubstr("HTTP 400: {\"error\":\"schema mismatch\"}"));
  EXPECT_EQ(d["event"]["fields"]["seq"], 0);
}

TEST(HttpOutput, ServerDownThenUpLosesNothing) {
  int port;
  {
    TestHttpServer probe;  // find a free port, then close it
    port = probe.port();
  }
  TempDir tmp;
  Agent agent(lines(200),
              "  - {type: http, url: \"http://127.0.0.1:" + std::to_string(port) +
                  "/i\", batch: {max_delay: 10ms}, retry: {initial: 20ms, max: 100ms}}\n");
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_output_retries_total", "output=\"http\"") >= 2;
  }));
  // Bring a server up on that port.
  httplib::Server srv;
  std::mutex mu;
  size_t got = 0;
  srv.Post(".*", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    got += static_cast<size_t>(std::count(req.body.begin(), req.body.end(), '\n'));
    res.status = 200;
  });
  ASSERT_TRUE(srv.bind_to_port("127.0.0.1", port));
  std::thread t([&] { srv.listen_after_bind(); });
  EXPECT_TRUE(wait_until([&] {
    std::lock_guard lock(mu);
    return got >= 200;
  }));
  srv.stop();
  t.join();
}

TEST(HttpOutput, TlsWithPrivateCaAndClientCertificate) {
  TempDir pki;
  std::string p = pki.path();
  std::string cmd = "cd " + p +
                    " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt "
                    "-days 2 -subj /CN=test-ca 2>/dev/null"
                    " && openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "
                    "/CN=127.0.0.1 2>/dev/null"
                    " && printf 'subjectAltName=IP:127.0.0.1' > san.ext"
                    " && openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                    "-out srv.crt -days 2 -extfile san.ext 2>/dev/null"
                    " && openssl req -newkey rsa:2048 -nodes -keyout cli.key -out cli.csr -subj "
                    "/CN=auditrelay 2>/dev/null"
                    " && openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                    "-out cli.crt -days 2 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  TestHttpServer server(p + "/srv.crt", p + "/srv.key", p + "/ca.crt");
  Agent agent(lines(10), "  - type: http\n    url: \"" + server.url(true) +
                             "/i\"\n    batch: {max_delay: 10ms}\n"
                             "    tls: {ca_file: " +
                             p + "/ca.crt, cert_file: " + p + "/cli.crt, key_file: " + p +
                             "/cli.key}\n");
  ASSERT_TRUE(wait_until([&] { return ndjson_events(server.requests()).size() >= 10; }));

  // Without the CA the server is not trusted: nothing is delivered, it is retried.
  TestHttpServer server2(p + "/srv.crt", p + "/srv.key");
  Agent untrusted(lines(1), "  - {type: http, url: \"" + server2.url(true) +
                                "/i\", batch: {max_delay: 10ms}, retry: {initial: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] {
    return untrusted.rt->metrics().value("auditrelay_output_retries_total", "output=\"http\"") >= 1;
  }));
  EXPECT_TRUE(server2.requests().empty());
}

TEST(SplunkHec, EnvelopesAreStrictAndComplete) {
  TestHttpServer hec;
  hec.set_default_body(R"({"text":"Success","code":0})");
  std::string text =
      lines(1000) +
      R"({"ts":"2025-09-16T12:00:00.5Z","level":"INFO","msg":"audit_log","fields":{"ID":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","Time":"2025-07-03T06:56:16.144719Z","Action":"write","ResourceType":"workspace"}})"
      "\n" +
      R"({"ts":"2025-09-16T12:00:00.5Z","level":"ERROR","msg":"failed to transition workspace","logger_names":["autobuild"]})"
      "\n" +
      R"({"ts":"2025-09-16T12:00:00.5Z","level":"INFO","msg":"boundary_request","logger_names":["coderd","agentrpc"],"fields":{"decision":"deny","http_method":"POST","http_url":"https://pastebin.com/api"}})"
      "\n";
  Agent agent(
      text, "  - {type: splunk_hec, url: \"" + hec.url() +
                "\", token: abc-123, index: coder, compression: gzip, batch: {max_delay: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return hec_events(hec.requests(), "abc-123").size() >= 1003; }));
  auto envs = hec_events(hec.requests(), "abc-123");
  ASSERT_EQ(envs.size(), 1003u);
  EXPECT_EQ(hec.requests()[0].path, "/services/collector/health");
  const json& audit = envs[1000];
  EXPECT_EQ(audit["sourcetype"], "coder:audit");
  EXPECT_EQ(audit["index"], "coder");
  EXPECT_EQ(audit["fields"]["action"], "write");
  EXPECT_EQ(audit["fields"]["resource_type"], "workspace");
  EXPECT_DOUBLE_EQ(audit["time"].get<double>(), 1751525776.144719);
  EXPECT_EQ(envs[1001]["fields"]["alert"], "autostart_failed");
  EXPECT_EQ(envs[1001]["fields"]["severity"], "error");
  EXPECT_EQ(envs[1002]["sourcetype"], "coder:boundary");
  EXPECT_EQ(envs[1002]["fields"]["action"], "deny");
  EXPECT_EQ(envs[0]["source"], "file");
}

TEST(SplunkHec, BadEventIsIsolatedAndTheRestDelivered) {
  TestHttpServer hec;
  hec.set_default_body(R"({"text":"Success","code":0})");
  hec.script({200, R"({"text":"Success","code":0})", ""});  // health
  hec.script({400, R"({"text":"Invalid data format","code":6,"invalid-event-number":2})", ""});
  Agent agent(lines(5), "  - {name: splunk, type: splunk_hec, url: \"" + hec.url() +
                            "\", token: t, batch: {max_delay: 20ms}}\n");
  ASSERT_TRUE(
      wait_until([&] { return agent.dlq("splunk").size() == 1 && hec.requests().size() >= 3; }));
  json d = json::parse(agent.dlq("splunk")[0]);
  EXPECT_EQ(d["event"]["fields"]["seq"], 2);
  EXPECT_THAT(d["reason"].get<std::string>(), HasSubstr("code 6"));
  auto second = hec_events({hec.requests()[2]}, "t");
  ASSERT_EQ(second.size(), 4u);
  for (const auto& e : second) EXPECT_NE(e["event"]["fields"]["seq"], 2);
}

TEST(SplunkHec, BadEventWithoutIndexIsFoundByBisection) {
  TestHttpServer hec;
  hec.set_default_body(R"({"text":"Success","code":0})");
  hec.script({200, "", ""});                                            // health
  hec.script({400, R"({"text":"Invalid data format","code":6})", ""});  // all 4
  hec.script({200, R"({"text":"Success","code":0})", ""});              // first half ok
  hec.script({400, R"({"text":"Invalid data format","code":6})", ""});  // second half bad
  hec.script({200, R"({"text":"Success","code":0})", ""});              // event 2 ok
  hec.script({400, R"({"text":"Invalid data format","code":6})", ""});  // event 3 bad
  Agent agent(lines(4), "  - {name: splunk, type: splunk_hec, url: \"" + hec.url() +
                            "\", token: t, batch: {max_delay: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.dlq("splunk").size() == 1; }));
  EXPECT_EQ(json::parse(agent.dlq("splunk")[0])["event"]["fields"]["seq"], 3);
}

TEST(SplunkHec, RetryableCodesAndTokenErrorsKeepEventsQueued) {
  TestHttpServer hec;
  hec.set_default_body(R"({"text":"Success","code":0})");
  hec.script({200, "", ""});  // health
  hec.script({503, R"({"text":"Server is busy","code":9})", ""});
  hec.script({403, R"({"text":"Invalid token","code":4})", ""});
  Agent agent(lines(3), "  - {name: splunk, type: splunk_hec, url: \"" + hec.url() +
                            "\", token: t, pause_on_auth_error: 100ms, batch: {max_delay: 20ms}, "
                            "retry: {initial: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] { return hec.requests().size() >= 4; }));
  EXPECT_EQ(hec_events({hec.requests()[3]}, "t").size(), 3u);
  EXPECT_TRUE(agent.dlq("splunk").empty());
}

TEST(SplunkHec, HundredThousandEventsExactlyOnce) {
  TestHttpServer hec;
  hec.set_default_body(R"({"text":"Success","code":0})");
  Agent agent(lines(100000), "  - {type: splunk_hec, url: \"" + hec.url() +
                                 "\", token: t, batch: {max_events: 1000, max_delay: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return hec_events(hec.requests(), "t").size() >= 100000; }));
  ASSERT_TRUE(wait_until([&] { return agent.caught_up("splunk_hec", 100000); }));
  auto envs = hec_events(hec.requests(), "t");
  ASSERT_EQ(envs.size(), 100000u);
  for (int i = 0; i < 100000; ++i)
    ASSERT_EQ(envs[static_cast<size_t>(i)]["event"]["fields"]["seq"], i);
}

TEST(SplunkHec, IndexerAcknowledgementGatesDelivery) {
  TestHttpServer hec;
  std::atomic<int> next_ack{0}, ack_polls{0};
  std::set<std::string> channels;
  hec.set_handler([&](const Recorded& r) -> Scripted {
    channels.insert(r.header("X-Splunk-Request-Channel"));
    if (r.path == "/services/collector/event")
      return {200, R"({"text":"Success","code":0,"ackId":)" + std::to_string(next_ack++) + "}", ""};
    if (r.path == "/services/collector/ack") {
      // Not indexed on the first poll, indexed afterwards.
      json body = json::parse(r.body);
      bool done = ack_polls++ > 0;
      json answer = {{"acks", json::object()}};
      for (const auto& id : body["acks"]) answer["acks"][std::to_string(id.get<int>())] = done;
      return {200, answer.dump(), ""};
    }
    return {200, "{}", ""};
  });
  Agent agent(
      lines(50),
      "  - {type: splunk_hec, url: \"" + hec.url() +
          "\", token: t, indexer_ack: true, ack_poll_interval: 20ms, batch: {max_delay: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return ack_polls.load() >= 2; }));
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_output_events_sent_total",
                                     "output=\"splunk_hec\"") >= 50;
  }));
  channels.erase("");  // the health probe carries none
  EXPECT_EQ(channels.size(), 1u) << "one channel per agent";
  EXPECT_EQ(hec_events(hec.requests(), "t").size(), 50u);  // acknowledged without a resend
}

TEST(SplunkHec, UnacknowledgedBatchIsResentAfterTheTimeout) {
  TestHttpServer hec;
  std::atomic<int> posts{0};
  hec.set_handler([&](const Recorded& r) -> Scripted {
    if (r.path == "/services/collector/event") {
      ++posts;
      return {200, R"({"text":"Success","code":0,"ackId":1})", ""};
    }
    if (r.path == "/services/collector/ack")
      return {200, posts.load() >= 2 ? R"({"acks":{"1":true}})" : R"({"acks":{"1":false}})", ""};
    return {200, "{}", ""};
  });
  Agent agent(lines(5),
              "  - {type: splunk_hec, url: \"" + hec.url() +
                  "\", token: t, indexer_ack: true, ack_poll_interval: 10ms, ack_timeout: 100ms, "
                  "batch: {max_delay: 10ms}, retry: {initial: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_output_events_sent_total",
                                     "output=\"splunk_hec\"") >= 5;
  }));
  EXPECT_GE(posts.load(), 2) << "the unacknowledged batch was sent again";
}

TEST(SplunkHec, RawEndpointCarriesMetadataInTheQuery) {
  TestHttpServer hec;
  hec.set_default_body(R"({"text":"Success","code":0})");
  Agent agent(lines(3),
              "  - {type: splunk_hec, url: \"" + hec.url() +
                  "\", token: t, endpoint: raw, index: coder, batch: {max_delay: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] {
    for (const auto& r : hec.requests())
      if (r.path == "/services/collector/raw") return true;
    return false;
  }));
  for (const auto& r : hec.requests()) {
    if (r.path != "/services/collector/raw") continue;
    EXPECT_FALSE(r.header("X-Splunk-Request-Channel").empty());
    EXPECT_EQ(r.params.find("sourcetype")->second, "coder:log");
    EXPECT_EQ(r.params.find("index")->second, "coder");
    EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 3);
    EXPECT_EQ(json::parse(r.body.substr(0, r.body.find('\n')))["schema"], "audit/v1");
  }
}

// One request per kind on the raw endpoint: every kind gets there (boundary events once did
// not, while the batch was reported delivered).
TEST(SplunkHec, RawEndpointCarriesEveryKind) {
  TestHttpServer hec;
  hec.set_default_body(R"({"text":"Success","code":0})");
  std::string connection;
  {
    std::ifstream in(std::string(AUDITRELAY_SAMPLES_DIR) + "/coderd.json.log");
    for (std::string line; std::getline(in, line) && connection.empty();)
      if (line.find("\"msg\":\"connection_log\"") != std::string::npos) connection = line;
  }
  ASSERT_FALSE(connection.empty());
  std::string text =
      lines(1) + connection + "\n" +
      R"({"ts":"2025-09-16T12:00:00.5Z","level":"INFO","msg":"audit_log","fields":{"ID":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","Action":"write","ResourceType":"workspace"}})"
      "\n"
      R"({"ts":"2025-09-16T12:00:00.5Z","level":"INFO","msg":"boundary_request","logger_names":["coderd","agentrpc"],"fields":{"decision":"deny","http_method":"POST","http_url":"https://pastebin.com/api"}})"
      "\n";
  Agent agent(text, "  - {type: splunk_hec, url: \"" + hec.url() +
                        "\", token: t, endpoint: raw, batch: {max_delay: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_output_events_sent_total",
                                     "output=\"splunk_hec\"") >= 4;
  }));
  std::map<std::string, std::string> kind_by_sourcetype;
  for (const auto& r : hec.requests()) {
    if (r.path != "/services/collector/raw") continue;
    json first = json::parse(r.body.substr(0, r.body.find('\n')));
    kind_by_sourcetype[r.params.find("sourcetype")->second] = first["kind"];
  }
  EXPECT_EQ(kind_by_sourcetype, (std::map<std::string, std::string>{
                                    {"coder:audit", "audit"},
                                    {"coder:boundary", "boundary"},
                                    {"coder:connection", "connection"},
                                    {"coder:log", "log"}}));
}

// Raw endpoint with schema: ocsf: one request per OCSF sourcetype, each holding only events of
// its class (a user override by class name included), every event once.
TEST(SplunkHec, RawEndpointGroupsOcsfEventsByClass) {
  TestHttpServer hec;
  hec.set_default_body(R"({"text":"Success","code":0})");
  std::string text;
  for (int i = 0; i < 30; ++i) {
    text += lines(1);
    text += R"({"ts":"2025-09-16T12:00:00.5Z","level":"INFO","msg":"audit_log","fields":{"ID":"aaaaaaaa-aaaa-aaaa-aaaa-0000000000)" +
            std::to_string(10 + i) + R"(","Action":"write","ResourceType":"workspace"}})" "\n";
    text += R"({"ts":"2025-09-16T12:00:00.5Z","level":"INFO","msg":"boundary_request","logger_names":["coderd","agentrpc"],"fields":{"decision":"deny","http_method":"POST","http_url":"https://pastebin.com/api"}})" "\n";
  }
  Agent agent(text, "  - {type: splunk_hec, schema: ocsf, url: \"" + hec.url() +
                        "\", token: t, endpoint: raw, sourcetypes: {http_activity: \"boundary:ocsf\"},"
                        " batch: {max_delay: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.caught_up("splunk_hec", 90); }));
  std::map<std::string, size_t> events_by_sourcetype;
  for (const auto& r : hec.requests()) {
    if (r.path != "/services/collector/raw") continue;
    const std::string sourcetype = r.params.find("sourcetype")->second;
    std::istringstream in(r.body);
    for (std::string l; std::getline(in, l);) {
      if (l.empty()) continue;
      int cls = json::parse(l)["class_uid"].get<int>();
      EXPECT_EQ(sourcetype, cls == 6003 ? "ocsf:api_activity" : cls == 4002 ? "boundary:ocsf" : "ocsf:base_event");
      ++events_by_sourcetype[sourcetype];
    }
  }
  EXPECT_EQ(events_by_sourcetype, (std::map<std::string, size_t>{
                                      {"ocsf:api_activity", 30}, {"boundary:ocsf", 30}, {"ocsf:base_event", 30}}));
}

// Splunk restarted while batches awaited acknowledgement: its ackIds start over at 0, and the
// ids it gave before are forgotten. The new ids must not complete the old batches (whose events
// were never indexed): those are sent again after ack_timeout, and every event arrives after
// the restart.
TEST(SplunkHec, AckIdsStartingOverDoNotCompleteBatchesFromBeforeTheRestart) {
  TestHttpServer hec;
  std::mutex mu;
  bool restarted = false, agent_saw_restart = false;
  int posts_before = 0, next_id_after = 0;
  std::set<int> seqs_after;
  hec.set_handler([&](const Recorded& r) -> Scripted {
    std::lock_guard lock(mu);
    if (r.path == "/services/collector/event") {
      int id = restarted ? next_id_after++ : posts_before++;
      if (restarted)
        for (const auto& e : split_envelopes(r.body))
          seqs_after.insert(json::parse(e)["event"]["fields"]["seq"].get<int>());
      return {200, R"({"text":"Success","code":0,"ackId":)" + std::to_string(id) + "}", ""};
    }
    if (r.path == "/services/collector/ack") {
      json asked = json::parse(r.body);
      json answer = {{"acks", json::object()}};
      // Only ids given since the restart are known, and they are indexed at once (once the
      // agent has seen the ids start over: a poll it sent before that is not its business).
      for (const auto& id : asked["acks"])
        answer["acks"][std::to_string(id.get<int>())] =
            restarted && agent_saw_restart && id.get<int>() < next_id_after;
      return {200, answer.dump(), ""};
    }
    return {200, "{}", ""};
  });
  Agent agent(lines(30),
              "  - {type: splunk_hec, url: \"" + hec.url() +
                  "\", token: t, indexer_ack: true, ack_poll_interval: 20ms, ack_timeout: 3s,"
                  " batch: {max_events: 10, max_delay: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mu);
    return posts_before >= 3;
  }));
  {
    std::lock_guard lock(mu);
    restarted = true;
  }
  std::string more;
  for (int i = 30; i < 60; ++i) more += line(i);
  write_text(agent.dir / "in/a.log", more, true);
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_splunk_ack_id_resets_total",
                                     "output=\"splunk_hec\"") > 0;
  }));
  {
    std::lock_guard lock(mu);
    agent_saw_restart = true;
  }
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mu);
    return seqs_after.size() == 60u;
  })) << "events from before the restart were taken as indexed";
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_output_events_sent_total",
                                     "output=\"splunk_hec\"") >= 60;
  }));
}

// HTTP 413 (the request is larger than Splunk's max_content_length): the batch is split until
// the parts fit; nothing is dead-lettered.
TEST(SplunkHec, RequestTooLargeIsSplit) {
  TestHttpServer hec;
  hec.set_handler([&](const Recorded& r) -> Scripted {
    if (r.path != "/services/collector/event") return {200, "{}", ""};
    if (split_envelopes(r.body).size() > 3) return {413, R"({"text":"Content too large"})", ""};
    return {200, R"({"text":"Success","code":0})", ""};
  });
  Agent agent(lines(20), "  - {type: splunk_hec, url: \"" + hec.url() +
                             "\", token: t, batch: {max_events: 20, max_delay: 10ms}}\n");
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_output_events_sent_total",
                                     "output=\"splunk_hec\"") >= 20;
  }));
  EXPECT_TRUE(agent.dlq("splunk_hec").empty());
  std::set<int> seqs;
  for (const auto& r : hec.requests())
    if (r.path == "/services/collector/event" && split_envelopes(r.body).size() <= 3)
      for (const auto& e : split_envelopes(r.body))
        seqs.insert(json::parse(e)["event"]["fields"]["seq"].get<int>());
  EXPECT_EQ(seqs.size(), 20u);
}

namespace {

std::string ocsf_dir() { return AUDITRELAY_OCSF_DIR; }

// Realistic Coder service-log lines (audit, connection, boundary-free app lines), 10,000 of them.
std::string coder_lines(int n) {
  bench::CoderLineGenerator gen(7, bench::Mix::heavy);
  std::string text;
  for (int i = 0; i < n; ++i) gen.json_line(text);
  return text;
}

}  // namespace

// The same 10,000 lines reach an http output and a splunk_hec output in OCSF and a file output
// in ECS: every event delivered once to each, every one valid in its schema.
TEST(Schemas, OcsfToHttpAndSplunkAndEcsToAFileAllDeliveredAndValid) {
  constexpr int kLines = 10000;
  TestHttpServer http, hec;
  hec.set_default_body(R"({"text":"Success","code":0})");
  TempDir out;
  const std::string ecs_path = out / "ecs.ndjson";
  Agent agent(coder_lines(kLines),
              "  - {name: h, type: http, schema: ocsf, url: \"" + http.url() +
                  "/ingest\", batch: {max_delay: 20ms}}\n"
                  "  - {name: s, type: splunk_hec, schema: ocsf, url: \"" + hec.url() +
                  "\", token: t, batch: {max_delay: 20ms}}\n"
                  "  - {name: f, type: file, schema: ecs, path: \"" + ecs_path +
                  "\", batch: {max_delay: 20ms}}\n");
  for (const char* name : {"h", "s", "f"})
    ASSERT_TRUE(wait_until([&] { return agent.caught_up(name, kLines); })) << name;

  std::unique_ptr<OcsfSchema> schema;
  if (std::filesystem::exists(ocsf_dir() + "/dictionary.json"))
    schema = std::make_unique<OcsfSchema>(ocsf_dir());
  else
    std::cerr << "the OCSF definitions are not at " << ocsf_dir()
              << ": OCSF events are checked for their shape only\n";
  auto check_ocsf = [&](const json& ev) {
    EXPECT_TRUE(ev["class_uid"].is_number_integer()) << ev.dump();
    if (!schema) return;
    auto problems = schema->check(ev);
    EXPECT_TRUE(problems.empty()) << ev.dump() << "\n" << problems.front();
  };

  auto from_http = ndjson_events(http.requests());
  ASSERT_EQ(from_http.size(), static_cast<size_t>(kLines));
  std::set<std::string> ids;
  for (const auto& ev : from_http) {
    check_ocsf(ev);
    ids.insert(ev["metadata"]["uid"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kLines));

  size_t from_hec = 0;
  std::set<std::string> sourcetypes;
  for (const auto& r : hec.requests()) {
    if (r.path != "/services/collector/event") continue;
    for (const auto& raw : split_envelopes(r.body)) {
      json env = json::parse(raw);
      const json& ev = env["event"];
      check_ocsf(ev);
      std::string key = ev["class_name"].get<std::string>();
      for (char& c : key) c = c == ' ' ? '_' : static_cast<char>(std::tolower(c));
      EXPECT_EQ(env["sourcetype"], "ocsf:" + key);
      sourcetypes.insert(env["sourcetype"]);
      ++from_hec;
    }
  }
  EXPECT_EQ(from_hec, static_cast<size_t>(kLines));
  EXPECT_GE(sourcetypes.size(), 3u);  // audit, connection and log classes

  auto from_file = read_lines(ecs_path);
  ASSERT_EQ(from_file.size(), static_cast<size_t>(kLines));
  std::set<std::string> kinds;
  for (const auto& l : from_file) {
    json ev = json::parse(l);
    auto problems = check_ecs_event(ev);
    EXPECT_TRUE(problems.empty()) << l << "\n" << problems.front();
    kinds.insert(ev["coder"]["kind"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"audit", "connection", "log"}));
}
