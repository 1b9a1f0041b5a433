// `auditrelay tap` against a running agent on loopback: the filter, the output's view and its
// schema, a stalled client that must not slow delivery and learns what it missed, and who may
// tap at all (loopback by default, server.tap and server.token otherwise).
#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/process.h"
#include "support/runtime_agent.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {

// n slog JSON lines numbered from first; every third one an ERROR "workspace build error".
std::string mixed_lines(int first, int n) {
  std::string s;
  for (int i = first; i < first + n; ++i) {
    bool error = i % 3 == 0;
    s += std::string(R"({"ts":"2025-09-16T12:00:00Z","level":")") + (error ? "ERROR" : "INFO") +
         R"(","msg":")" + (error ? "workspace build error" : "request served") +
         R"(","logger_names":["coderd"],"fields":{"seq":)" + std::to_string(i) + "}}\n";
  }
  return s;
}

uint64_t sent(Agent& agent, const std::string& output) {
  return agent.rt->metrics().value("auditrelay_output_events_sent_total",
                                   "output=\"" + output + "\"");
}

bool tap_clients_are(Agent& agent, int64_t n) {
  return wait_until(
      [&] { return agent.rt->metrics().gauge("auditrelay_tap_clients").load() == n; });
}

std::string url_of(Agent& agent) {
  return "http://127.0.0.1:" + std::to_string(agent.rt->server_port());
}

const char* const kFileToTwoOutputs = R"(inputs:
  - {name: coderd, type: file, paths: ["$DIR/in/*.log"], format: slog_json, poll_interval: 10ms}
outputs:
  - {name: errors, type: file, path: "$DIR/errors.ndjson", match: "severity:error", schema: ocsf}
  - {name: all, type: file, path: "$DIR/all.ndjson"}
)";

}  // namespace

// The CLI prints what the filter matches and nothing else, while lines keep coming.
TEST(Tap, PrintsExactlyTheEventsItsFilterMatchesUnderLoad) {
  Agent agent(kFileToTwoOutputs);
  TempDir out;
  Child tap = spawn({AUDITRELAY_BINARY, "tap", "--url", url_of(agent), "--match",
                     "severity:error logger:coderd", "--format", "json", "--limit", "1000"},
                    out / "tap.out", out / "tap.err");
  ASSERT_TRUE(tap_clients_are(agent, 1));
  for (int chunk = 0; chunk < 30; ++chunk)
    write_text(agent.dir / "in/a.log", mixed_lines(chunk * 100, 100), true);
  ASSERT_TRUE(wait_until([&] { return sent(agent, "all") == 3000; }));
  ASSERT_EQ(tap.wait_for(std::chrono::seconds(60)), 0) << slurp(out / "tap.err");
  std::set<int> seqs;
  for (const auto& line : read_lines(out / "tap.out")) {
    json e = json::parse(line);
    EXPECT_EQ(e["schema"], "audit/v1");
    EXPECT_EQ(e["severity"], "error") << line;
    EXPECT_EQ(e["alert"]["rule"], "workspace_build_error") << line;
    seqs.insert(e["fields"]["seq"].get<int>());
  }
  ASSERT_EQ(seqs.size(), 1000u);  // --limit: the 1,000 errors of the 3,000 lines, each once
  for (int seq : seqs) EXPECT_EQ(seq % 3, 0) << seq;
  EXPECT_TRUE(tap_clients_are(agent, 0));  // the server noticed the client leave
}

// --output: that output's routing (its match) and its schema (OCSF), as the file received it.
TEST(Tap, OutputShowsWhatThatOutputReceivesInItsSchema) {
  Agent agent(kFileToTwoOutputs);
  TempDir out;
  Child tap = spawn(
      {AUDITRELAY_BINARY, "tap", "--url", url_of(agent), "--output", "errors", "--limit", "100"},
      out / "tap.out", out / "tap.err");
  ASSERT_TRUE(tap_clients_are(agent, 1));
  write_text(agent.dir / "in/a.log", mixed_lines(0, 300), true);
  ASSERT_EQ(tap.wait_for(std::chrono::seconds(60)), 0) << slurp(out / "tap.err");
  ASSERT_TRUE(wait_until([&] { return sent(agent, "errors") == 100; }));
  std::vector<std::string> tapped = read_lines(out / "tap.out");
  std::vector<std::string> delivered = read_lines(agent.dir / "errors.ndjson");
  ASSERT_EQ(tapped.size(), 100u);
  std::multiset<std::string> a(tapped.begin(), tapped.end()), b(delivered.begin(), delivered.end());
  EXPECT_EQ(a, b);                                            // byte for byte what the output wrote
  EXPECT_EQ(json::parse(tapped.front())["class_uid"], 2004);  // an OCSF Detection Finding
}

// A client that stops reading: its queue overflows and is dropped for it alone; every line is
// still delivered while it is stalled; when it reads again it is told how many it missed, and
// what it received plus what it was told it missed is every event.
TEST(Tap, AStalledClientDoesNotSlowDeliveryAndLearnsWhatItMissed) {
  Agent agent(R"(inputs:
  - {name: coderd, type: file, paths: ["$DIR/in/*.log"], format: slog_json, poll_interval: 10ms}
outputs:
  - {name: all, type: file, path: "$DIR/all.ndjson"}
)");
  constexpr int kLines = 50000;  // ~22 MB of events: more than the socket buffers (~4 MB) hold
  std::mutex mu;
  std::condition_variable cv;
  bool stalled = true;
  uint64_t events = 0, dropped = 0;
  std::string partial;
  const int port = agent.rt->server_port();
  std::thread client([&] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(std::chrono::seconds(120));
    // A small receive buffer (which turns the kernel's autotuning off): what the stalled client
    // cannot take fills the agent's queue for it, whatever tcp_rmem allows on this machine.
    c.set_socket_options([](socket_t sock) {
      int bytes = 16 * 1024;
      ::setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    });
    c.Get("/tap", [&](const char* data, size_t size) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return !stalled; });  // not reading: the socket fills up
      partial.append(data, size);
      for (size_t nl; (nl = partial.find('\n')) != std::string::npos; partial.erase(0, nl + 1)) {
        std::string line = partial.substr(0, nl);
        if (line.rfind("{\"auditrelay_tap\":", 0) == 0) {
          json notice = json::parse(line)["auditrelay_tap"];
          if (notice.contains("dropped")) dropped += notice["dropped"].get<uint64_t>();
        } else if (!line.empty()) {
          ++events;
        }
      }
      cv.notify_all();
      return events + dropped < kLines;
    });
  });
  // Whatever fails below, the client is let go and joined (a running std::thread at the end of
  // the test would terminate the program).
  auto release = [&] {
    {
      std::lock_guard lock(mu);
      stalled = false;
    }
    cv.notify_all();
  };
  struct Joiner {
    std::function<void()> release;
    std::thread& t;
    ~Joiner() {
      release();
      if (t.joinable()) t.join();
    }
  } joiner{release, client};
  ASSERT_TRUE(tap_clients_are(agent, 1));
  write_text(agent.dir / "in/a.log", mixed_lines(0, kLines), true);
  // Delivery completes while the client reads nothing, and the agent dropped events for it.
  EXPECT_TRUE(wait_until([&] {
    return sent(agent, "all") == kLines &&
           agent.rt->metrics().value("auditrelay_tap_events_dropped_total") > 0;
  }));
  EXPECT_EQ(read_lines(agent.dir / "all.ndjson").size(), static_cast<size_t>(kLines));
  release();
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(120), [&] { return events + dropped >= kLines; }));
    EXPECT_GT(dropped, 0u);
    EXPECT_GT(events, 0u);
    EXPECT_EQ(events + dropped, static_cast<uint64_t>(kLines));
    EXPECT_EQ(dropped, agent.rt->metrics().value("auditrelay_tap_events_dropped_total"));
  }
}

TEST(Tap, IsRefusedOnAListenerOtherMachinesReachUnlessEnabled) {
  const std::string body =
      "inputs:\n  - {type: file, paths: [\"$DIR/in/*.log\"]}\n"
      "outputs:\n  - {type: file, path: \"$DIR/out.ndjson\"}\n";
  Agent open_to_all(body, "{listen: \"0.0.0.0:0\"}");
  auto r = open_to_all.get("/tap");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("server.tap: true"), std::string::npos) << r->body;
  EXPECT_EQ(open_to_all.status("/metrics"), 200);  // the rest is served as before

  Agent off(body, "{listen: \"127.0.0.1:0\", tap: false}");
  EXPECT_EQ(off.status("/tap"), 403);
}

TEST(Tap, WithATokenARequestWithoutItGets401) {
  Agent agent(
      "inputs:\n  - {type: file, paths: [\"$DIR/in/*.log\"], poll_interval: 10ms}\n"
      "outputs:\n  - {type: file, path: \"$DIR/out.ndjson\"}\n",
      "{listen: \"0.0.0.0:0\", tap: true, token: s3cret}");
  auto r = agent.get("/tap");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");

  TempDir out;
  write_text(out / "wrong", "guess\n");
  Child refused = spawn({AUDITRELAY_BINARY, "tap", "--url", url_of(agent), "--token-file",
                         out / "wrong", "--limit", "1"},
                        out / "refused.out", out / "refused.err");
  EXPECT_EQ(refused.wait_for(std::chrono::seconds(60)), 1);
  EXPECT_NE(slurp(out / "refused.err").find("401"), std::string::npos);

  write_text(out / "token", "s3cret\n");
  Child tap = spawn({AUDITRELAY_BINARY, "tap", "--url", url_of(agent), "--token-file",
                     out / "token", "--format", "json", "--limit", "5"},
                    out / "tap.out", out / "tap.err");
  ASSERT_TRUE(tap_clients_are(agent, 1));
  write_text(agent.dir / "in/a.log", mixed_lines(0, 5), true);
  ASSERT_EQ(tap.wait_for(std::chrono::seconds(60)), 0) << slurp(out / "tap.err");
  EXPECT_EQ(read_lines(out / "tap.out").size(), 5u);
}

TEST(Tap, ABadRequestIsRefusedWithTheReason) {
  Agent agent(kFileToTwoOutputs);
  TempDir out;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{{{"--match", "severty:error"}, "did you mean"},
                                         {{"--output", "nowhere"}, "no output named"},
                                         {{"--input", "nothing"}, "no input named"}}) {
    std::vector<std::string> args = {AUDITRELAY_BINARY, "tap", "--url", url_of(agent)};
    args.insert(args.end(), c.args.begin(), c.args.end());
    Child tap = spawn(args, out / "tap.out", out / "tap.err");
    EXPECT_EQ(tap.wait_for(std::chrono::seconds(60)), 1) << c.says;
    std::string err = slurp(out / "tap.err");
    EXPECT_NE(err.find("400"), std::string::npos) << err;
    EXPECT_NE(err.find(c.says), std::string::npos) << err;
  }
}

// The agent stops while a client streams: the stream ends and the client exits 0.
TEST(Tap, StoppingTheAgentEndsTheStream) {
  auto agent = std::make_unique<Agent>(kFileToTwoOutputs);
  TempDir out;
  Child tap = spawn({AUDITRELAY_BINARY, "tap", "--url", url_of(*agent), "--format", "json"},
                    out / "tap.out", out / "tap.err");
  ASSERT_TRUE(tap_clients_are(*agent, 1));
  agent.reset();
  EXPECT_EQ(tap.wait_for(std::chrono::seconds(60)), 0) << slurp(out / "tap.err");
}

// Each tap holds one of the server's threads: a fifth is refused, and /metrics is still served.
TEST(Tap, AFifthClientIsRefusedAndTheRestIsStillServed) {
  Agent agent(kFileToTwoOutputs);
  std::vector<std::thread> clients;
  const int port = agent.rt->server_port();
  for (int i = 0; i < HealthServer::kMaxTaps; ++i)
    clients.emplace_back([port] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(std::chrono::seconds(120));
      c.Get("/tap", [](const char*, size_t) { return true; });  // until the agent stops
    });
  ASSERT_TRUE(tap_clients_are(agent, HealthServer::kMaxTaps));
  auto fifth = agent.get("/tap");
  ASSERT_TRUE(fifth);
  EXPECT_EQ(fifth->status, 503);
  EXPECT_EQ(agent.status("/metrics"), 200);
  agent.rt->stop();  // ends the four streams
  for (auto& t : clients) t.join();
}

// A reload that removes the output a tap follows ends that tap with the reason; a tap on
// everything goes on.
TEST(Tap, AReloadThatRemovesTheTappedOutputEndsItsTap) {
  Agent agent(kFileToTwoOutputs);
  TempDir out;
  std::string url = url_of(agent);
  Child on_errors = spawn({AUDITRELAY_BINARY, "tap", "--url", url, "--output", "errors"},
                          out / "errors.out", out / "errors.err");
  ASSERT_TRUE(tap_clients_are(agent, 1));
  Child on_all = spawn({AUDITRELAY_BINARY, "tap", "--url", url, "--format", "json", "--limit", "3"},
                       out / "all.out", out / "all.err");
  ASSERT_TRUE(tap_clients_are(agent, 2));
  AgentConfig next;
  Diagnostics d("t");
  std::string yaml =
      "data_dir: " + agent.dir / "data" +
      "\nserver: {listen: \"127.0.0.1:0\"}\ninputs:\n  - {name: coderd, type: file, "
      "paths: [\"" +
      agent.dir / "in/*.log" +
      "\"], format: slog_json, poll_interval: 10ms}\noutputs:\n  - {name: all, type: "
      "file, path: \"" +
      agent.dir / "all.ndjson" + "\"}\n";
  ASSERT_TRUE(load_config_text(yaml, "t", process_env(), next, d)) << d.to_string();
  std::string report;
  ASSERT_TRUE(agent.rt->reload(std::move(next), report)) << report;
  EXPECT_EQ(on_errors.wait_for(std::chrono::seconds(60)), 1);
  EXPECT_NE(slurp(out / "errors.err").find("a reload changed or removed this output"),
            std::string::npos)
      << slurp(out / "errors.err");
  write_text(agent.dir / "in/a.log", mixed_lines(0, 3), true);
  EXPECT_EQ(on_all.wait_for(std::chrono::seconds(60)), 0) << slurp(out / "all.err");
  EXPECT_EQ(read_lines(out / "all.out").size(), 3u);
}
