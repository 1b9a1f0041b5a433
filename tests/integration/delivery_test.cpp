// At-least-once delivery with real processes and real files: kill -9 at random points, restart,
// and check every line arrived; two outputs where one is slow.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "agent/config/agent_config.h"
#include "core/registry/registry.h"
#include "agent/runtime.h"
#include "support/accepted_seqs.h"
#include "support/checkpoints.h"
#include "support/http_server.h"
#include "support/process.h"
#include "support/stalling_output.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {

std::string json_line(int seq) {
  return R"({"ts":"2025-09-16T12:00:00.123456789Z","level":"INFO","msg":"line","logger_names":["coderd"],"fields":{"seq":)" +
         std::to_string(seq) +
         R"(,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}})" +
         "\n";
}

struct Delivered {
  std::map<int, std::string> first_id;  // seq → event_id of its first delivery
  size_t total = 0, duplicates = 0, torn = 0, without_seq = 0;
  bool ids_match = true;
};

Delivered scan(const std::string& path) {
  Delivered d;
  for (const auto& line : read_lines(path)) {
    json e = json::parse(line, nullptr, false);
    if (e.is_discarded()) {
      ++d.torn;  // a write cut by kill -9; it was not acknowledged
      continue;
    }
    ++d.total;
    if (!e.contains("fields") || !e["fields"].contains("seq")) {
      ++d.without_seq;  // not a whole entry (a broken piece of a split line)
      continue;
    }
    int seq = e["fields"]["seq"].get<int>();
    auto [it, inserted] = d.first_id.emplace(seq, e["event_id"].get<std::string>());
    if (!inserted) {
      ++d.duplicates;
      if (it->second != e["event_id"].get<std::string>()) d.ids_match = false;
    }
  }
  return d;
}

// Runs the agent on dir/cfg.yaml `rounds` times, killing it with SIGKILL each time once it has
// delivered something new to dir/out.ndjson (or everything: a slow machine may let a round
// finish the file first), after a random extra delay below max_delay_ms.
void kill_dash_nine_rounds(const TempDir& dir, int n, int rounds, unsigned max_delay_ms,
                           uint32_t seed) {
  std::mt19937 rng(seed);
  for (int round = 0; round < rounds; ++round) {
    Child c =
        spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml", "--log-format", "json"},
              dir / "stdout", dir / ("stderr" + std::to_string(round)));
    size_t before = count_lines(dir / "out.ndjson");
    ASSERT_TRUE(wait_until([&] {
      size_t now = count_lines(dir / "out.ndjson");
      // The full parse only once there are enough lines for everything to be out.
      return now > before || (now >= static_cast<size_t>(n) &&
                              scan(dir / "out.ndjson").first_id.size() >= static_cast<size_t>(n));
    })) << slurp(dir / ("stderr" + std::to_string(round)));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % max_delay_ms));
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
}

// A last run until every seq below n arrived, stopped cleanly.
void run_until_all_delivered(const TempDir& dir, int n) {
  Child last = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                     dir / "stderr-last");
  ASSERT_TRUE(wait_until([&] {
    return scan(dir / "out.ndjson").first_id.size() >= static_cast<size_t>(n);
  })) << slurp(dir / "stderr-last");
  last.signal(SIGTERM);
  EXPECT_EQ(last.wait(), 0);
}

// dir/in/coderd.log with n JSON lines, and dir/cfg.yaml: that file → dir/out.ndjson through a
// 1 MiB budget, checkpoints every 20 ms, the output batching as `batch` (a YAML flow mapping).
void write_file_to_file(const TempDir& dir, int n, const std::string& batch) {
  std::filesystem::create_directories(dir / "in");
  std::string text;
  text.reserve(static_cast<size_t>(n) * 200);
  for (int i = 0; i < n; ++i) text += json_line(i);
  write_text(dir / "in/coderd.log", text);
  write_text(dir / "cfg.yaml",
             "data_dir: " + dir / "data" +
                 "\npipeline: {checkpoint_interval: 20ms, max_in_flight: 1MiB}\n"
                 "inputs:\n  - {type: file, paths: [\"" +
                 dir / "in" +
                 "/*.log\"], format: slog_json, read_buffer: 64KiB, poll_interval: 10ms}\n"
                 "outputs:\n  - {type: file, path: " +
                 dir / "out.ndjson" + ", batch: " + batch + "}\n");
}

}  // namespace

TEST(Delivery, KillDashNineFiveTimesLosesNothing) {
  TempDir dir;
  const int n = 200000;
  write_file_to_file(dir, n, "{max_events: 200, max_delay: 20ms}");
  ASSERT_NO_FATAL_FAILURE(kill_dash_nine_rounds(dir, n, 5, 150, 2024));
  ASSERT_NO_FATAL_FAILURE(run_until_all_delivered(dir, n));

  Delivered d = scan(dir / "out.ndjson");
  EXPECT_EQ(d.first_id.size(), static_cast<size_t>(n)) << "lines lost";
  EXPECT_TRUE(d.ids_match) << "a duplicate carried another event_id";
  // Duplicates come only from what was in flight at each kill: at most what the 1 MiB budget
  // holds, plus what was acknowledged since the last checkpoint write (20 ms at a few hundred
  // thousand lines/s). A restart from an older position would exceed it.
  const size_t in_flight_lines = (1u << 20) / json_line(0).size() + 1;
  const size_t per_kill = in_flight_lines + 10000;
  EXPECT_LT(d.duplicates, 5 * per_kill) << "duplicates " << d.duplicates;
  RecordProperty("duplicates", static_cast<int>(d.duplicates));
  RecordProperty("torn_lines", static_cast<int>(d.torn));
}

// Output batches larger than the whole 1 MiB budget: every batch leaves partial, because the
// input waits for memory and asks for it. kill -9 with such a batch being written and the input
// waiting, five times; after the restarts every line has arrived.
TEST(Delivery, SmallBudgetPartialBatchesSurviveKillDashNine) {
  TempDir dir;
  const int n = 100000;
  write_file_to_file(dir, n, "{max_events: 5000, max_delay: 2s}");
  ASSERT_NO_FATAL_FAILURE(kill_dash_nine_rounds(dir, n, 5, 100, 1796));
  ASSERT_NO_FATAL_FAILURE(run_until_all_delivered(dir, n));

  Delivered d = scan(dir / "out.ndjson");
  EXPECT_EQ(d.first_id.size(), static_cast<size_t>(n)) << "lines lost";
  EXPECT_TRUE(d.ids_match) << "a duplicate carried another event_id";
  EXPECT_EQ(d.without_seq, 0u);
}

// A container log whose stdout entries are split into CRI partials with stderr entries between
// the pieces: records of one stream wait for the other (events leave in first-line order), and
// the checkpoint must never pass a byte whose record is still waiting or partial. kill -9 at
// random points, restart: every entry arrives whole (a restart inside a partial would make its
// second piece a broken line and lose the entry's seq).
TEST(Delivery, InterleavedContainerStreamsSurviveKillDashNine) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 60000;
  {
    std::string text;
    auto cri = [](const char* stream, const char* tag, std::string_view content) {
      return "2025-09-16T12:00:00.123456789Z " + std::string(stream) + " " + tag + " " +
             std::string(content) + "\n";
    };
    for (int i = 0; i < n; i += 3) {
      std::string a = json_line(i), b = json_line(i + 1), c = json_line(i + 2);
      a.pop_back();
      b.pop_back();
      c.pop_back();
      text += cri("stdout", "P", std::string_view(a).substr(0, 70));
      text += cri("stderr", "F", b);
      text += cri("stderr", "F", c);
      text += cri("stdout", "F", std::string_view(a).substr(70));
    }
    write_text(dir / "in/pod.log", text);
  }
  write_text(dir / "cfg.yaml",
             "data_dir: " + dir / "data" +
                 "\npipeline: {checkpoint_interval: 20ms, max_in_flight: 1MiB}\n"
                 "inputs:\n  - {type: file, paths: [\"" +
                 dir / "in" +
                 "/*.log\"], format: cri, read_buffer: 16KiB, poll_interval: 10ms}\n"
                 "outputs:\n  - {type: file, path: " +
                 dir / "out.ndjson" + ", batch: {max_events: 100, max_delay: 20ms}}\n");
  ASSERT_NO_FATAL_FAILURE(kill_dash_nine_rounds(dir, n, 4, 100, 77));
  ASSERT_NO_FATAL_FAILURE(run_until_all_delivered(dir, n));
  Delivered d = scan(dir / "out.ndjson");
  EXPECT_EQ(d.first_id.size(), static_cast<size_t>(n)) << "entries lost";
  EXPECT_EQ(d.without_seq, 0u) << "pieces of split lines delivered as events";
  EXPECT_TRUE(d.ids_match) << "a duplicate carried another event_id";
  // Every event is a whole slog_json entry, never a raw piece of a split line, and (within one
  // run) they leave in first-line order: seq never goes back except at a restart.
  size_t raw = 0, backwards = 0;
  int prev = -1;
  for (const auto& line : read_lines(dir / "out.ndjson")) {
    json e = json::parse(line, nullptr, false);
    if (e.is_discarded()) continue;
    if (e["source"]["format"] != "slog_json") ++raw;
    int seq = e.contains("fields") ? e["fields"].value("seq", -1) : -1;
    if (seq < prev) ++backwards;
    prev = seq;
  }
  EXPECT_EQ(raw, 0u);
  EXPECT_LE(backwards, 5u)
      << "events out of first-line order (one jump back per restart is expected)";
}

TEST(Delivery, CheckpointWaitsForTheSlowOutput) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  std::string text;
  for (int i = 0; i < 20000; ++i) text += json_line(i);
  write_text(dir / "in/a.log", text);
  AgentConfig cfg;
  Diagnostics diags("t");
  ASSERT_TRUE(load_config_text(
      "data_dir: " + dir / "data" + R"(
pipeline: {checkpoint_interval: 20ms, max_in_flight: 1MiB}
inputs:
  - {type: file, paths: [")" +
          dir / "in" + R"(/*.log"], format: slog_json, read_buffer: 64KiB, poll_interval: 10ms}
outputs:
  - {name: fast, type: file, path: )" +
          dir / "fast.ndjson" + R"(, batch: {max_delay: 10ms}}
  - {name: slow, type: test_stall, batch: {max_delay: 10ms}}
)",
      "t", process_env(), cfg, diags))
      << diags.to_string();
  g_stalling_output.stalled = true;
  g_stalling_output.delivered = 0;
  Runtime rt(cfg);
  std::string err;
  ASSERT_TRUE(rt.start(err)) << err;
  // The fast output gets events while the slow one is stuck...
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "fast.ndjson") > 0; }));
  // ...until the input waits for memory that only the slow output can give back (the budget
  // has no room for another 64 KiB read, and every line read is delivered to the fast one). An
  // input that is not held back reads the whole file instead.
  const Metrics& m = rt.metrics();
  const MemoryBudget& budget = rt.pipeline()->budget();
  auto lines_read = [&] { return m.value("auditrelay_lines_read_total", "input=\"file\""); };
  ASSERT_TRUE(wait_until([&] {
    uint64_t read = lines_read();
    if (read >= 20000u) return true;
    return m.value("auditrelay_input_waiting_for_memory", "input=\"file\"") == 1 &&
           budget.used() + 64 * 1024 > budget.limit() &&
           m.value("auditrelay_output_events_sent_total", "output=\"fast\"") == read &&
           lines_read() == read;
  }));
  // ...so it got only what the memory budget holds, and the checkpoint did not move.
  EXPECT_LT(lines_read(), 20000u) << "the input was not held back by the memory budget";
  EXPECT_LT(count_lines(dir / "fast.ndjson"), 20000u);
  std::string cp = slurp(dir / "data/checkpoints.json");
  EXPECT_EQ(cp.find("\"offset\":" + std::to_string(text.size())), std::string::npos);
  g_stalling_output.stalled = false;
  ASSERT_TRUE(wait_until([&] {
    return g_stalling_output.delivered.load() >= 20000u &&
           count_lines(dir / "fast.ndjson") >= 20000u;
  }));
  ASSERT_TRUE(wait_until([&] {
    return slurp(dir / "data/checkpoints.json").find("\"offset\":" + std::to_string(text.size())) !=
           std::string::npos;
  }));
  rt.stop();
  EXPECT_EQ(count_lines(dir / "fast.ndjson"), 20000u);
}

namespace {

std::string json_lines(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += json_line(i);
  return text;
}

}  // namespace

// Issue 18's reproduction: at concurrency 4 with small batches, the one request that carries
// line 1500 fails forever while every other part of its read chunk (1 MiB, about 3,000 lines:
// the stuck part lies inside it and does not hold its last line) is delivered. kill -9 once
// nothing else arrives, heal the collector, restart on the same data_dir: every line arrives.
TEST(Delivery, StuckPartAtConcurrencyFourSurvivesKillDashNine) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 20000;
  write_text(dir / "in/coderd.log", json_lines(n));
  std::atomic<bool> healed{false};
  std::atomic<int> stuck_tries{0};
  Accepted accepted;
  TestHttpServer collector;
  collector.set_handler([&](const Recorded& r) -> Scripted {
    if (!healed && r.body.find("\"seq\":1500,") != std::string::npos) {
      ++stuck_tries;
      return {503, "busy", ""};
    }
    accepted.add(r.body);
    return {200, "", ""};
  });
  // The stuck part keeps the read chunks it holds events of in memory (two, if it straddles a
  // boundary: about 2.5 MiB each once encoded); 16 MiB lets the rest of the file flow past them.
  write_text(dir / "cfg.yaml",
             "data_dir: " + dir / "data" +
                 "\npipeline: {checkpoint_interval: 20ms, max_in_flight: 16MiB}\n"
                 "inputs:\n  - {type: file, paths: [\"" +
                 dir / "in" +
                 "/*.log\"], format: slog_json, read_buffer: 1MiB, poll_interval: 10ms}\n"
                 "outputs:\n  - {name: h, type: http, url: \"" +
                 collector.url() +
                 "/ingest\", concurrency: 4, batch: {max_events: 100, max_delay: 20ms},"
                 " retry: {initial: 50ms, max: 100ms}}\n");
  {
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                    dir / "stderr1");
    // Everything but the stuck request's events has arrived, and it was refused a few times.
    ASSERT_TRUE(wait_until([&] { return stuck_tries.load() >= 3 && accepted.size() >= n - 100u; }))
        << slurp(dir / "stderr1");
    ASSERT_FALSE(accepted.has(1500));
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
  healed = true;
  Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                  dir / "stderr2");
  ASSERT_TRUE(wait_until([&] { return accepted.size() == static_cast<size_t>(n); }))
      << "missing events after the restart; " << slurp(dir / "stderr2");
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait(), 0);
}

// The same stuck part with two `auditrelay tap` clients attached to the output: one reading
// (the CLI), one that never reads (its queue overflows). kill -9 while the part is retried and
// the taps stream; heal and restart: every line arrives. A tap only ever copies events.
TEST(Delivery, StuckPartWithTapsAttachedSurvivesKillDashNine) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 20000;
  write_text(dir / "in/coderd.log", "");  // the lines come once the taps are attached
  // seqs_of's regex is compiled here, before the collector's threads use it: the first
  // compilation fills libstdc++'s locale cache, which TSan reports as a race between threads.
  ASSERT_EQ(seqs_of("\"seq\":7,"), std::vector<int>{7});
  std::atomic<bool> healed{false};
  std::atomic<int> stuck_tries{0};
  Accepted accepted;
  TestHttpServer collector;
  collector.set_handler([&](const Recorded& r) -> Scripted {
    if (!healed && r.body.find("\"seq\":1500,") != std::string::npos) {
      ++stuck_tries;
      return {503, "busy", ""};
    }
    accepted.add(r.body);
    return {200, "", ""};
  });
  write_text(dir / "cfg.yaml",
             "data_dir: " + dir / "data" +
                 "\nserver: {listen: \"127.0.0.1:0\"}"
                 "\npipeline: {checkpoint_interval: 20ms, max_in_flight: 16MiB}\n"
                 "inputs:\n  - {type: file, paths: [\"" +
                 dir / "in" +
                 "/*.log\"], format: slog_json, read_buffer: 1MiB, poll_interval: 10ms}\n"
                 "outputs:\n  - {name: h, type: http, url: \"" +
                 collector.url() +
                 "/ingest\", concurrency: 4, batch: {max_events: 100, max_delay: 20ms},"
                 " retry: {initial: 50ms, max: 100ms}}\n");
  {
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                    dir / "stderr1");
    // The server's port, from its log line (no std::regex here: its first use races with the
    // collector thread's inside libstdc++'s locale cache, which TSan reports).
    const std::string kServing = " on 127.0.0.1:";
    std::string log;
    size_t at = std::string::npos;
    ASSERT_TRUE(wait_until([&] {
      log = slurp(dir / "stderr1");
      size_t line = log.find("serving /metrics");
      at = line == std::string::npos ? line : log.find(kServing, line);
      return at != std::string::npos;
    })) << log;
    const int port = std::stoi(log.substr(at + kServing.size()));
    // The client that never reads: a request, then nothing.
    int stalled = ::socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    ::setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(stalled, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    const std::string request = "GET /tap HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ASSERT_EQ(::send(stalled, request.data(), request.size(), 0),
              static_cast<ssize_t>(request.size()));
    Child reading =
        spawn({AUDITRELAY_BINARY, "tap", "--url", "http://127.0.0.1:" + std::to_string(port),
               "--output", "h", "--format", "json"},
              dir / "tap.out", dir / "tap.err");
    httplib::Client agent("127.0.0.1", port);
    auto gauge = [&](const std::string& series) {
      auto r = agent.Get("/metrics");
      if (!r) return -1.0;
      size_t at = r->body.find("\n" + series + " ");
      return at == std::string::npos ? -1.0 : std::stod(r->body.substr(at + series.size() + 2));
    };
    ASSERT_TRUE(wait_until([&] { return gauge("auditrelay_tap_clients") == 2; }))
        << slurp(dir / "tap.err");
    write_text(dir / "in/coderd.log", json_lines(n));
    // The reading tap got events, and the stuck part is being retried.
    ASSERT_TRUE(wait_until([&] {
      return count_lines(dir / "tap.out") > 0 && stuck_tries.load() >= 3 &&
             accepted.size() >= n - 100u;
    })) << slurp(dir / "stderr1")
        << slurp(dir / "tap.err");
    ASSERT_FALSE(accepted.has(1500));
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
    EXPECT_EQ(reading.wait_for(std::chrono::seconds(60)), 1);  // its agent is gone
    ::close(stalled);
  }
  healed = true;
  Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                  dir / "stderr2");
  ASSERT_TRUE(wait_until([&] { return accepted.size() == static_cast<size_t>(n); }))
      << "missing events after the restart; " << slurp(dir / "stderr2");
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait(), 0);
}

// Splunk indexer acknowledgement that never comes: after kill -9 everything is sent again;
// sending goes on, SIGTERM returns within
// shutdown_timeout (not ack_timeout), and after a restart every unacknowledged event is sent
// again, to a receiver that acknowledges only once it has them all; then the checkpoint moves.
TEST(Delivery, NeverAcknowledgedHecBatchesAreSentAgainAfterARestart) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 2000;
  write_text(dir / "in/coderd.log", json_lines(n));
  auto config = [&](const std::string& url) {
    write_text(dir / "cfg.yaml",
               "data_dir: " + dir / "data" +
                   "\npipeline: {checkpoint_interval: 20ms, shutdown_timeout: 1s}\n"
                   "inputs:\n  - {type: file, paths: [\"" +
                   dir / "in" +
                   "/*.log\"], format: slog_json, poll_interval: 10ms}\n"
                   "outputs:\n  - {name: s, type: splunk_hec, url: \"" +
                   url +
                   "\", token: t, indexer_ack: true, ack_poll_interval: 50ms,"
                   " batch: {max_delay: 20ms}}\n");
  };
  Accepted killed, first, again;  // events each receiver got
  // ack: whether ids are ever reported indexed; they are only once every event has arrived, so
  // the agent must have gone on sending while all its batches awaited acknowledgement.
  auto hec_answer = [](bool ack, Accepted& received) {
    return [ack, &received,
            next = std::make_shared<std::atomic<int>>(0)](const Recorded& r) -> Scripted {
      if (r.path == "/services/collector/event") {
        received.add(r.body);
        return {200, R"({"text":"Success","code":0,"ackId":)" + std::to_string((*next)++) + "}",
                ""};
      }
      if (r.path == "/services/collector/ack") {
        json answer = {{"acks", json::object()}};
        json asked = json::parse(r.body);
        bool indexed = ack && received.size() == static_cast<size_t>(n);
        for (const auto& id : asked["acks"])
          answer["acks"][std::to_string(id.get<int>())] = indexed;
        return {200, answer.dump(), ""};
      }
      return {200, R"({"text":"HEC is healthy","code":17})", ""};
    };
  };
  {
    // kill -9 while every batch awaits acknowledgement (its events in the spill, its shares
    // holding the checkpoint): nothing was acknowledged, so the next run sends it all again.
    TestHttpServer never;
    never.set_handler(hec_answer(false, killed));
    config(never.url());
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                    dir / "stderr0");
    ASSERT_TRUE(wait_until([&] { return killed.size() == static_cast<size_t>(n); }))
        << slurp(dir / "stderr0");
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
  {
    TestHttpServer never;
    never.set_handler(hec_answer(false, first));
    config(never.url());
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                    dir / "stderr1");
    ASSERT_TRUE(wait_until([&] { return first.size() == static_cast<size_t>(n); }))
        << slurp(dir / "stderr1");
    c.signal(SIGTERM);
    // The bound is far above shutdown_timeout (1 s) and far below ack_timeout (300 s).
    EXPECT_EQ(c.wait_for(std::chrono::seconds(30)), 0) << slurp(dir / "stderr1");
  }
  TestHttpServer healthy;
  healthy.set_handler(hec_answer(true, again));
  config(healthy.url());
  Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                  dir / "stderr2");
  ASSERT_TRUE(wait_until([&] { return again.size() == static_cast<size_t>(n); }))
      << "unacknowledged events were not sent again; " << slurp(dir / "stderr2");
  // Acknowledged at last: the saved position reaches the end of the file.
  ASSERT_TRUE(wait_until([&] {
    return SavedPositions(dir / "data").at_end(dir / "in/coderd.log");
  })) << slurp(dir / "stderr2");
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait(), 0);
}

namespace {

// Plain log lines (OCSF Base Event) and failed logins (OCSF Authentication), alternating.
std::string mixed_class_lines(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      text += json_line(i);
      continue;
    }
    char id[40];
    std::snprintf(id, sizeof id, "aaaaaaaa-aaaa-4aaa-8aaa-%012d", i);
    text +=
        std::string(
            R"({"ts":"2025-09-16T12:00:00.5Z","level":"INFO","msg":"audit_log","fields":{"ID":")") +
        id +
        R"(","Time":"2025-07-03T06:56:16.144719Z","Action":"login","ResourceType":"api_key","StatusCode":401,"seq":)" +
        std::to_string(i) + "}}\n";
  }
  return text;
}

// Every HEC envelope's sourcetype against its event's class ("ocsf:authentication" with
// class_uid 3002, "ocsf:base_event" with 0); the number that disagree.
size_t sourcetype_mismatches(const std::string& body) {
  static const std::regex kPair(R"re("sourcetype":"([^"]+)"|"class_uid":(\d+))re");
  size_t bad = 0;
  std::string sourcetype;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), kPair);
       it != std::sregex_iterator(); ++it) {
    if ((*it)[1].matched) {
      sourcetype = (*it)[1];
      continue;
    }
    std::string expected = (*it)[2] == "3002" ? "ocsf:authentication" : "ocsf:base_event";
    if (sourcetype != expected) ++bad;
  }
  return bad;
}

// The seqs of the whole ECS events in a file (a line cut by kill -9 was never acknowledged).
std::set<int> ecs_seqs(const std::string& path, size_t& not_ecs) {
  std::set<int> seqs;
  for (const auto& line : read_lines(path)) {
    json e = json::parse(line, nullptr, false);
    if (e.is_discarded()) continue;
    if (!e.contains("@timestamp") || !e.contains("ecs")) ++not_ecs;
    if (e["coder"]["fields"].contains("seq")) seqs.insert(e["coder"]["fields"]["seq"].get<int>());
  }
  return seqs;
}

}  // namespace

// OCSF to Splunk through a disk buffer with indexer acknowledgement, and ECS to a file, killed
// with SIGKILL at random moments (batches in the disk buffer, acknowledgements pending): every
// line arrives at both after the restarts, in its schema, and every HEC event read back from
// the disk buffer still carries its class's sourcetype.
TEST(Delivery, SchemasSurviveKillDashNineWithADiskBufferAndPendingAcks) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 6000;
  write_text(dir / "in/coderd.log", mixed_class_lines(n));
  Accepted hec_seqs;
  std::atomic<size_t> mismatches{0};
  // An id is reported indexed only the second time it is asked for, so every kill finds some
  // acknowledgements pending.
  auto asked = std::make_shared<std::map<int, int>>();
  auto next_id = std::make_shared<std::atomic<int>>(0);
  TestHttpServer hec;
  hec.set_handler([&, asked, next_id](const Recorded& r) -> Scripted {
    if (r.path == "/services/collector/event") {
      hec_seqs.add(r.body);
      mismatches += sourcetype_mismatches(r.body);
      return {200, R"({"text":"Success","code":0,"ackId":)" + std::to_string((*next_id)++) + "}",
              ""};
    }
    if (r.path == "/services/collector/ack") {
      json answer = {{"acks", json::object()}};
      const json asked_for = json::parse(r.body);  // kept alive for the loop below
      for (const auto& id : asked_for["acks"])
        answer["acks"][std::to_string(id.get<int>())] = ++(*asked)[id.get<int>()] >= 2;
      return {200, answer.dump(), ""};
    }
    return {200, R"({"text":"HEC is healthy","code":17})", ""};
  });
  write_text(dir / "cfg.yaml",
             "data_dir: " + dir / "data" +
                 "\npipeline: {checkpoint_interval: 20ms, max_in_flight: 1MiB}\n"
                 "inputs:\n  - {type: file, paths: [\"" +
                 dir / "in" +
                 "/*.log\"], format: slog_json, read_buffer: 64KiB, poll_interval: 10ms}\n"
                 "outputs:\n"
                 "  - {name: s, type: splunk_hec, schema: ocsf, url: \"" +
                 hec.url() +
                 "\", token: t, indexer_ack: true, ack_poll_interval: 20ms, buffer: {type: disk},"
                 " batch: {max_events: 100, max_delay: 20ms}}\n"
                 "  - {name: f, type: file, schema: ecs, path: " +
                 dir / "out.ndjson" + ", batch: {max_events: 200, max_delay: 20ms}}\n");
  std::mt19937 rng(77);
  for (int round = 0; round < 4; ++round) {
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                    dir / ("stderr" + std::to_string(round)));
    size_t before = hec_seqs.size();
    ASSERT_TRUE(wait_until([&] {
      return hec_seqs.size() > before || hec_seqs.size() == static_cast<size_t>(n);
    })) << slurp(dir / ("stderr" + std::to_string(round)));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
  Child last = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                     dir / "stderr-last");
  size_t not_ecs = 0;
  ASSERT_TRUE(wait_until([&] {
    return hec_seqs.size() == static_cast<size_t>(n) &&
           ecs_seqs(dir / "out.ndjson", not_ecs).size() == static_cast<size_t>(n) &&
           SavedPositions(dir / "data").at_end(dir / "in/coderd.log");
  })) << "splunk got "
      << hec_seqs.size() << "; " << slurp(dir / "stderr-last");
  last.signal(SIGTERM);
  EXPECT_EQ(last.wait(), 0);
  EXPECT_EQ(mismatches.load(), 0u) << "events whose sourcetype is not their OCSF class's";
  not_ecs = 0;
  EXPECT_EQ(ecs_seqs(dir / "out.ndjson", not_ecs).size(), static_cast<size_t>(n));
  EXPECT_EQ(not_ecs, 0u);
}
