// The pipeline end to end on real files: file input → workers → file output and test outputs.
// No timing assertions: waits are bounded only so that a broken build cannot hang CI.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <fstream>
#include <thread>

#include "agent/config/agent_config.h"
#include "core/registry/registry.h"
#include "agent/runtime.h"
#include "support/checkpoints.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {

// Test outputs, controlled through this shared state.
struct TestOutputState {
  std::mutex mu;
  std::condition_variable cv;
  bool stall = false;
  int fail_next = 0;  // sends to fail with a retryable error
  std::vector<std::string> delivered;
  int sends = 0;
};
TestOutputState& state() {
  static TestOutputState s;
  return s;
}

class TestOutput final : public Output {
 public:
  SendResult send(const OutBatch& b) override {
    auto& s = state();
    std::unique_lock lock(s.mu);
    ++s.sends;
    s.cv.wait(lock, [&] { return !s.stall; });
    if (s.fail_next > 0) {
      --s.fail_next;
      return SendResult::retry("induced failure", std::chrono::milliseconds(10));
    }
    std::vector<size_t> rejected;
    for (size_t i = 0; i < b.events.size(); ++i) {
      if (b.events[i].json.find("reject-me") != std::string_view::npos) rejected.push_back(i);
      else s.delivered.emplace_back(b.events[i].json);
    }
    if (!rejected.empty()) return SendResult::rejected_events(rejected, "test receiver refuses reject-me");
    return SendResult::delivered();
  }
};

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "test_capture",
    .summary = "test output",
    .make_output = [](const PluginContext&, const Options&) -> std::unique_ptr<Output> {
      return std::make_unique<TestOutput>();
    },
});

// An output that declares concurrent sends: one instance takes every batch in flight.
struct SharedOutputState {
  std::mutex mu;
  std::condition_variable cv;
  int instances = 0, starts = 0, stops = 0, sending = 0, max_sending = 0;
  std::vector<std::string> delivered;
};
SharedOutputState& shared_state() {
  static SharedOutputState s;
  return s;
}

class SharedTestOutput final : public Output {
 public:
  SharedTestOutput() {
    std::lock_guard g(shared_state().mu);
    ++shared_state().instances;
  }
  void start() override {
    std::lock_guard g(shared_state().mu);
    ++shared_state().starts;
  }
  void stop() override {
    std::lock_guard g(shared_state().mu);
    ++shared_state().stops;
  }
  SendResult send(const OutBatch& b) override {
    auto& s = shared_state();
    std::unique_lock lock(s.mu);
    ++s.sending;
    s.max_sending = std::max(s.max_sending, s.sending);
    s.cv.notify_all();
    // Holds the batch until a second send is in progress (bounded, so a driver that never sends
    // concurrently fails the test instead of hanging it).
    s.cv.wait_for(lock, std::chrono::seconds(5), [&] { return s.max_sending >= 2; });
    for (const auto& e : b.events) s.delivered.emplace_back(e.json);
    --s.sending;
    return SendResult::delivered();
  }
};

const bool kSharedRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "test_shared",
    .summary = "test output taking concurrent sends",
    .make_output = [](const PluginContext&, const Options&) -> std::unique_ptr<Output> {
      return std::make_unique<SharedTestOutput>();
    },
    .concurrent_send = true,
    .default_concurrency = 4,
});

std::string json_line(int seq) {
  return R"({"ts":"2025-09-16T12:00:00.123456789Z","level":"INFO","msg":"line","logger_names":["coderd"],"fields":{"seq":)" +
         std::to_string(seq) + R"(,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}})" + "\n";
}

std::string lines(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i) s += json_line(i);
  return s;
}

AgentConfig load(const std::string& yaml) {
  AgentConfig cfg;
  Diagnostics d("test");
  EXPECT_TRUE(load_config_text(yaml, "test", process_env(), cfg, d)) << d.to_string();
  return cfg;
}


std::vector<int> seqs_of(const std::vector<std::string>& out) {
  std::vector<int> v;
  for (const auto& l : out) v.push_back(json::parse(l)["fields"]["seq"].get<int>());
  return v;
}

std::string file_config(const TempDir& dir, const std::string& extra_output = "") {
  return "data_dir: " + dir / "data" + R"(
pipeline: {workers: 2, checkpoint_interval: 100ms, shutdown_timeout: 5s}
inputs:
  - name: coderd
    type: file
    paths: [")" + dir / "in" + R"(/*.log"]
    format: slog_json
    glob_interval: 100ms
    poll_interval: 20ms
outputs:
  - name: out
    type: file
    path: )" + dir / "out.ndjson" + R"(
    batch: {max_delay: 50ms}
)" + extra_output;
}

// The head of a config reading dir/in/*.log through a 1 MiB budget (outputs follow).
std::string one_mib_budget_config(const TempDir& dir) {
  return "data_dir: " + dir / "data" + R"(
pipeline: {workers: 2, max_in_flight: 1MiB}
inputs:
  - {type: file, paths: [")" +
         dir / "in" + R"(/*.log"], format: slog_json, read_buffer: 64KiB, poll_interval: 10ms}
outputs:
)";
}

// Empties what the test outputs delivered; `stall` holds their sends until it is cleared.
void reset_test_output(bool stall) {
  std::lock_guard lock(state().mu);
  state().stall = stall;
  state().delivered.clear();
}

}  // namespace

TEST(Pipeline, FileToFileDeliversEveryLineOnceAndInOrder) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 100000;
  write_text(dir / "in/a.log", lines(0, n));
  AgentConfig cfg = load(file_config(dir));
  {
    Runtime rt(cfg);
    std::string err;
    ASSERT_TRUE(rt.start(err)) << err;
    ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") >= static_cast<size_t>(n); }));
    // Appended data and a file that appears later are followed too.
    write_text(dir / "in/a.log", lines(n, n + 500), true);
    write_text(dir / "in/b.log", lines(0, 10));
    ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") >= static_cast<size_t>(n + 510); }));
    rt.stop();
  }
  auto out = read_lines(dir / "out.ndjson");
  ASSERT_EQ(out.size(), static_cast<size_t>(n + 510));
  std::vector<int> a, b;
  for (const auto& l : out) {
    json e = json::parse(l);
    (e["source"]["path"].get<std::string>().ends_with("a.log") ? a : b).push_back(e["fields"]["seq"].get<int>());
  }
  ASSERT_EQ(a.size(), static_cast<size_t>(n + 500));
  for (int i = 0; i < n + 500; ++i) ASSERT_EQ(a[static_cast<size_t>(i)], i) << "order broken at " << i;
  ASSERT_EQ(b.size(), 10u);

  // The checkpoint covers everything, so a restart delivers only what is new.
  write_text(dir / "in/a.log", lines(n + 500, n + 600), true);
  {
    Runtime rt(cfg);
    std::string err;
    ASSERT_TRUE(rt.start(err)) << err;
    ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") >= static_cast<size_t>(n + 610); }));
    // Both files read to their ends, all this run read acknowledged and both positions saved at
    // the ends: a re-delivery (a saved position not honoured) would be in the output by now.
    ASSERT_TRUE(wait_until([&] {
      const Metrics& m = rt.metrics();
      if (m.value("auditrelay_read_lag_bytes", "input=\"coderd\"") != 0) return false;
      uint64_t read = m.value("auditrelay_lines_read_total", "input=\"coderd\"");
      return read >= 100 &&
             m.value("auditrelay_output_events_sent_total", "output=\"out\"") == read &&
             m.value("auditrelay_lines_read_total", "input=\"coderd\"") == read &&
             saved_at_end(dir / "data", {dir / "in/a.log", dir / "in/b.log"});
    }));
    rt.stop();
  }
  EXPECT_EQ(count_lines(dir / "out.ndjson"), static_cast<size_t>(n + 610));
}

TEST(Pipeline, MemoryBudgetPausesInputsWhileAnOutputStalls) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 200000;  // ~40 MB, far more than the 1 MiB budget
  write_text(dir / "in/a.log", lines(0, n));
  size_t file_size = std::filesystem::file_size(dir / "in/a.log");
  reset_test_output(true);
  AgentConfig cfg = load(one_mib_budget_config(dir) + R"(
  - {type: test_capture, batch: {max_events: 100, max_delay: 10ms}}
)");
  auto rss_kib = [] {
    std::ifstream in("/proc/self/status");
    std::string key;
    long value = 0;
    while (in >> key) {
      if (key == "VmRSS:") {
        in >> value;
        return value;
      }
      in.ignore(4096, '\n');
    }
    return value;
  };
  Runtime rt(cfg);
  std::string err;
  ASSERT_TRUE(rt.start(err)) << err;
  [[maybe_unused]] long rss_start = rss_kib();
  auto& read = rt.metrics().counter("auditrelay_bytes_read_total", "input=\"file\"");
  // Wait until reading has stopped moving: the inputs are paused by the budget.
  uint64_t last = 0;
  int stable = 0;
  ASSERT_TRUE(wait_until([&] {
    uint64_t now = read.load();
    stable = (now == last && now > 0) ? stable + 1 : 0;
    last = now;
    return stable >= 25;
  }));
  EXPECT_LT(read.load(), file_size / 4) << "the input kept reading while nothing was delivered";
  // Budget plus what workers force for encoded batches in flight.
  EXPECT_LE(rt.pipeline()->budget().used(), size_t{4} << 20);
  // Resident memory stayed bounded while the output was stalled (the file is ~40 MB). Not under
  // ThreadSanitizer, whose shadow memory grows with every byte touched and says nothing of ours.
#if !defined(__SANITIZE_THREAD__)
  EXPECT_LT(rss_kib() - rss_start, 24 * 1024) << "RSS grew by " << (rss_kib() - rss_start) << " KiB";
#endif
  {
    std::lock_guard lock(state().mu);
    state().stall = false;
  }
  state().cv.notify_all();
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(state().mu);
    return state().delivered.size() >= static_cast<size_t>(n);
  }));
  rt.stop();
  std::lock_guard lock(state().mu);
  auto seqs = seqs_of(state().delivered);
  ASSERT_EQ(seqs.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ASSERT_EQ(seqs[static_cast<size_t>(i)], i);
}

// Output batches larger than the whole memory budget can never fill, and max_delay is an hour:
// each batch leaves because the input, waiting for memory, asks for it. Two outputs, each
// holding its share of every pipeline batch.
TEST(Pipeline, BatchesLargerThanTheBudgetLeaveWhenTheInputWaitsForMemory) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 40000;          // ~8 MB, eight budgets
  const int max_events = 5000;  // ~5 MB of encoded events: never fits in 1 MiB
  write_text(dir / "in/a.log", lines(0, n));
  reset_test_output(false);
  AgentConfig cfg = load(one_mib_budget_config(dir) + R"(
  - {name: capture, type: test_capture, batch: {max_events: )" +
                         std::to_string(max_events) + R"(, max_delay: 1h}}
  - {name: file, type: file, path: )" +
                         dir / "out.ndjson" + R"(, batch: {max_events: )" +
                         std::to_string(max_events) + R"(, max_delay: 1h}}
)");
  Runtime rt(cfg);
  std::string err;
  ASSERT_TRUE(rt.start(err)) << err;
  // Only the last, partial batch may wait for max_delay (the input is at the end of the file
  // and waits for nothing); the shutdown sends it.
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(state().mu);
    return state().delivered.size() >= static_cast<size_t>(n - max_events);
  })) << "batches waited for max_delay while the input waited for memory";
  ASSERT_TRUE(wait_until(
      [&] { return count_lines(dir / "out.ndjson") >= static_cast<size_t>(n - max_events); }));
  rt.stop();
  EXPECT_EQ(count_lines(dir / "out.ndjson"), static_cast<size_t>(n));
  std::lock_guard lock(state().mu);
  auto seqs = seqs_of(state().delivered);
  ASSERT_EQ(seqs.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ASSERT_EQ(seqs[static_cast<size_t>(i)], i);
}

TEST(Pipeline, RetriesUntilDeliveredAndDeadLettersRejects) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  std::string text = lines(0, 50);
  text += R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"reject-me","fields":{"seq":50}})" "\n";
  text += lines(51, 100);
  write_text(dir / "in/a.log", text);
  {
    std::lock_guard lock(state().mu);
    state().delivered.clear();
    state().fail_next = 3;
  }
  AgentConfig cfg = load("data_dir: " + dir / "data" + R"(
pipeline: {checkpoint_interval: 50ms}
inputs:
  - {type: file, paths: [")" + dir / "in" + R"(/*.log"], format: slog_json, poll_interval: 10ms}
outputs:
  - {name: cap, type: test_capture, batch: {max_events: 10, max_delay: 10ms}, retry: {initial: 10ms, max: 50ms}}
)");
  {
    Runtime rt(cfg);
    std::string err;
    ASSERT_TRUE(rt.start(err)) << err;
    ASSERT_TRUE(wait_until([&] {
      std::lock_guard lock(state().mu);
      return state().delivered.size() >= 99;
    }));
    EXPECT_EQ(rt.metrics().value("auditrelay_output_retries_total", "output=\"cap\""), 3u);
    EXPECT_EQ(rt.metrics().value("auditrelay_output_events_dead_lettered_total", "output=\"cap\""), 1u);
    rt.stop();
  }
  auto dlq = read_lines(dir / "data/dlq/cap.ndjson");
  ASSERT_EQ(dlq.size(), 1u);
  json d = json::parse(dlq[0]);
  EXPECT_EQ(d["reason"], "test receiver refuses reject-me");
  EXPECT_EQ(d["event"]["message"], "reject-me");
  std::lock_guard lock(state().mu);
  EXPECT_EQ(state().delivered.size(), 99u);
  // The checkpoint moved past the rejected event: everything is acknowledged.
  std::string cp = slurp(dir / "data/checkpoints.json");
  EXPECT_NE(cp.find("\"offset\":" + std::to_string(std::filesystem::file_size(dir / "in/a.log"))), std::string::npos) << cp;
}

TEST(Pipeline, RoutesByMatchQuery) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  write_text(dir / "in/a.log",
             R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"audit_log","fields":{"ID":"99999999-9999-9999-9999-999999999999","Action":"write"}})" "\n"
             R"({"ts":"2025-09-16T12:00:00Z","level":"ERROR","msg":"oops"})" "\n");
  AgentConfig cfg = load("data_dir: " + dir / "data" + R"(
inputs:
  - {type: file, paths: [")" + dir / "in" + R"(/*.log"], poll_interval: 10ms}
outputs:
  - {name: audits, type: file, path: )" + dir / "audit.ndjson" + R"(, match: "kind:audit", batch: {max_delay: 10ms}}
  - {name: errors, type: file, path: )" + dir / "errors.ndjson" + R"(, match: "severity:>=error", batch: {max_delay: 10ms}}
)");
  Runtime rt(cfg);
  std::string err;
  ASSERT_TRUE(rt.start(err)) << err;
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "audit.ndjson") == 1 && count_lines(dir / "errors.ndjson") == 1; }));
  rt.stop();
  EXPECT_EQ(json::parse(read_lines(dir / "audit.ndjson")[0])["kind"], "audit");
  EXPECT_EQ(json::parse(read_lines(dir / "errors.ndjson")[0])["message"], "oops");
}

TEST(Pipeline, MatchAndDropTakeListsOfQueriesAnyOfWhichMayHold) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  write_text(dir / "in/a.log",
             R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"audit_log","fields":{"ID":"99999999-9999-9999-9999-999999999999","Action":"write"}})" "\n"
             R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"audit_log","fields":{"ID":"99999999-9999-9999-9999-999999999998","Action":"delete"}})" "\n"
             R"({"ts":"2025-09-16T12:00:00Z","level":"ERROR","msg":"oops"})" "\n"
             R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"hello"})" "\n"
             R"({"ts":"2025-09-16T12:00:00Z","level":"DEBUG","msg":"noise"})" "\n");
  AgentConfig cfg = load("data_dir: " + dir / "data" + R"(
inputs:
  - {type: file, paths: [")" + dir / "in" + R"(/*.log"], poll_interval: 10ms}
transforms:
  drop: ["severity:debug", "kind:audit action:delete"]
outputs:
  - name: either
    type: file
    path: )" + dir / "either.ndjson" + R"(
    match: ["kind:audit", "severity:>=error"]
    batch: {max_delay: 10ms}
  - {name: all, type: file, path: )" + dir / "all.ndjson" + R"(, batch: {max_delay: 10ms}}
)");
  Runtime rt(cfg);
  std::string err;
  ASSERT_TRUE(rt.start(err)) << err;
  ASSERT_TRUE(wait_until([&] {
    return count_lines(dir / "either.ndjson") == 2 && count_lines(dir / "all.ndjson") == 3 &&
           rt.metrics().value("auditrelay_events_dropped_total", "reason=\"filter\"") == 2;
  }));
  rt.stop();
  auto either = read_lines(dir / "either.ndjson");
  EXPECT_EQ(json::parse(either[0])["action"], "write");
  EXPECT_EQ(json::parse(either[1])["message"], "oops");
  auto all = read_lines(dir / "all.ndjson");
  EXPECT_EQ(json::parse(all[2])["message"], "hello");
}

// logrotate's `mv` of the file output's file: later batches go to a new file at the path, and
// every event is in one of the two.
TEST(Pipeline, TheFileOutputStartsANewFileWhenItsFileIsRotatedAway) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  write_text(dir / "in/a.log", lines(0, 10));
  AgentConfig cfg = load("data_dir: " + dir / "data" + R"(
inputs:
  - {type: file, paths: [")" + dir / "in" + R"(/*.log"], poll_interval: 10ms}
outputs:
  - {name: archive, type: file, path: )" + dir / "out.ndjson" + R"(, batch: {max_delay: 10ms}}
)");
  Runtime rt(cfg);
  std::string err;
  ASSERT_TRUE(rt.start(err)) << err;
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") == 10; }));
  std::filesystem::rename(dir / "out.ndjson", dir / "out.ndjson.1");
  write_text(dir / "in/a.log", lines(10, 20), /*append=*/true);
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") == 10; }));
  rt.stop();
  EXPECT_EQ(count_lines(dir / "out.ndjson.1"), 10u);
  EXPECT_EQ(json::parse(read_lines(dir / "out.ndjson")[0])["fields"]["seq"], 10);
}

TEST(Pipeline, TwoAgentsCannotShareADataDir) {
  TempDir dir;
  AgentConfig cfg = load("data_dir: " + dir / "data" + R"(
inputs: [{type: file, paths: [")" + dir / "none" + R"(/*.log"]}]
outputs: [{type: stdout}]
)");
  Runtime first(cfg);
  std::string err;
  ASSERT_TRUE(first.start(err)) << err;
  Runtime second(cfg);
  EXPECT_FALSE(second.start(err));
  EXPECT_NE(err.find("in use by another auditrelay process"), std::string::npos) << err;
  first.stop();
}

TEST(Pipeline, CorruptCheckpointIsIgnored) {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  write_text(dir / "data/checkpoints.json", "{\"version\":1,\"sources\":{\"fp:1\":{\"offset\":9}}}\ncrc32 deadbeef\n");
  CheckpointStore store(dir / "data");
  EXPECT_FALSE(store.load());
  EXPECT_TRUE(store.all().empty());
  store.set("fp:2", Checkpoint{"/x", 42, 0});
  store.set("journald:j", Checkpoint{"", 0, 0, "s=ab;i=7;b=cd;m=1;t=2;x=3"});
  ASSERT_TRUE(store.save());
  CheckpointStore again(dir / "data");
  ASSERT_TRUE(again.load());
  EXPECT_EQ(again.get("fp:2")->offset, 42u);
  EXPECT_EQ(again.get("fp:2")->cursor, "");
  EXPECT_EQ(again.get("journald:j")->cursor, "s=ab;i=7;b=cd;m=1;t=2;x=3");
  // A torn write (cut in the middle) is detected too.
  std::string good = slurp(dir / "data/checkpoints.json");
  write_text(dir / "data/checkpoints.json", good.substr(0, good.size() / 2));
  CheckpointStore torn(dir / "data");
  EXPECT_FALSE(torn.load());
}

// The checkpointer thread and an input thread (journald saves after each read) may save at once;
// the file must always be one whole, valid snapshot, and the last one saved.
TEST(Pipeline, CheckpointsSavedFromTwoThreadsAtOnceStayValid) {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  CheckpointStore store(dir / "data");
  const uint64_t rounds = 300;
  auto saver = [&](const std::string& key) {
    for (uint64_t i = 1; i <= rounds; ++i) {
      // Long paths make each save big enough for two writers to interleave.
      store.set(key, Checkpoint{std::string(4096, 'p'), i, 0});
      ASSERT_TRUE(store.save());
    }
  };
  std::thread a(saver, "fp:a"), b(saver, "fp:b");
  a.join();
  b.join();
  CheckpointStore again(dir / "data");
  ASSERT_TRUE(again.load()) << "the saved file is whole and its CRC matches";
  EXPECT_EQ(again.get("fp:a")->offset, rounds);
  EXPECT_EQ(again.get("fp:b")->offset, rounds);
}

TEST(Pipeline, AConcurrentSendOutputIsOneInstanceSharedByItsBatchesInFlight) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 5000;
  write_text(dir / "in/a.log", lines(0, n));
  // No `concurrency` in the config: the plugin's default (4) applies.
  AgentConfig cfg = load(file_config(dir, R"(  - name: shared
    type: test_shared
    batch: {max_events: 100, max_delay: 20ms}
)"));
  {
    Runtime rt(cfg);
    std::string err;
    ASSERT_TRUE(rt.start(err)) << err;
    ASSERT_TRUE(wait_until([&] {
      std::lock_guard g(shared_state().mu);
      return shared_state().delivered.size() >= static_cast<size_t>(n);
    }));
    rt.stop();
  }
  auto& s = shared_state();
  std::lock_guard g(s.mu);
  EXPECT_EQ(s.instances, 1) << "one instance for every batch in flight";
  EXPECT_EQ(s.starts, 1);
  EXPECT_EQ(s.stops, 1) << "stopped once, after every sender is done with it";
  EXPECT_GE(s.max_sending, 2) << "batches were sent concurrently";
  EXPECT_LE(s.max_sending, 4) << "at most the plugin's default concurrency";
  std::vector<int> got = seqs_of(s.delivered);
  std::sort(got.begin(), got.end());
  ASSERT_EQ(got.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ASSERT_EQ(got[static_cast<size_t>(i)], i) << "every line once";
}
