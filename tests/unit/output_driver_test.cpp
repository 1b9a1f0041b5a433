// The output driver on its own, deterministically: a scripted fake output (answers chosen per
// send: delivered, retry all or some, reject some, acknowledgement pending then acknowledged or
// never, exceptions, sends held until the test releases them) and a manual clock, so backoffs,
// Retry-After and acknowledgement timeouts pass without real waiting. The assertions are on
// the position a checkpoint store would save (an OffsetTracker fed by the batches' acks).
#include "core/pipeline/output_driver.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/pipeline/memory_budget.h"
#include "core/pipeline/offset_tracker.h"
#include "support/manual_clock.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;

namespace {

// Reads "seq" back from the fake events ({"seq":N}).
int seq_of(std::string_view json) {
  return std::stoi(std::string(json.substr(7, json.size() - 8)));
}

// What every instance of the fake output shares with the test.
struct Script {
  std::mutex mu;
  std::condition_variable cv;
  // Decides the answer to a send; called under `mu` with the seqs of the batch and how many
  // sends there were before. Default: delivered.
  std::function<SendResult(const std::vector<int>&, int)> answer;
  // Sends wait while `hold` says so (under `mu`); release by changing state and notify.
  std::function<bool(const std::vector<int>&)> hold;
  std::vector<std::vector<int>> sends;  // every send, in order
  std::multiset<int> delivered;         // events answered delivered or acknowledged
  int holding = 0;                      // sends waiting in `hold` now
  // Acknowledgements: id → the events it covers; ids the destination has acknowledged.
  uint64_t next_ack_id = 1;
  std::map<uint64_t, std::vector<int>> ack_events;
  std::set<uint64_t> acked;
  AckSettings acks;
  std::function<size_t()> pending_now;  // the driver's pending count, sampled at each send
  size_t max_pending_seen = 0;
  bool throw_next = false;

  void wait_for(const std::function<bool()>& f) {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), f));
  }
};

class ScriptedOutput final : public Output {
 public:
  explicit ScriptedOutput(Script& s) : s_(s) {}
  SendResult send(const OutBatch& b) override {
    std::vector<int> seqs;
    for (const auto& e : b.events) seqs.push_back(seq_of(e.json));
    std::unique_lock lock(s_.mu);
    if (s_.pending_now) s_.max_pending_seen = std::max(s_.max_pending_seen, s_.pending_now());
    int n = static_cast<int>(s_.sends.size());
    s_.sends.push_back(seqs);
    if (s_.throw_next) {
      s_.throw_next = false;
      s_.cv.notify_all();
      throw std::runtime_error("scripted exception");
    }
    if (s_.hold) {
      ++s_.holding;
      s_.cv.notify_all();
      s_.cv.wait(lock, [&] { return !s_.hold(seqs); });
      --s_.holding;
    }
    SendResult r = s_.answer ? s_.answer(seqs, n) : SendResult::delivered();
    if (r.status == SendResult::Status::AckPending && r.ack_ids.empty()) {
      uint64_t id = s_.next_ack_id++;
      r.ack_ids.push_back(id);
      for (size_t i = 0; i < seqs.size(); ++i)
        if (std::find(r.rejected.begin(), r.rejected.end(), i) == r.rejected.end())
          s_.ack_events[id].push_back(seqs[i]);
    } else {
      record_delivered(seqs, r);
    }
    s_.cv.notify_all();
    return r;
  }
  AckSettings ack_settings() const override { return s_.acks; }
  std::vector<uint64_t> poll_acks(const std::vector<uint64_t>& ids) override {
    std::lock_guard lock(s_.mu);
    std::vector<uint64_t> yes;
    for (uint64_t id : ids)
      if (s_.acked.count(id)) {
        yes.push_back(id);
        for (int q : s_.ack_events[id]) s_.delivered.insert(q);
        s_.ack_events.erase(id);
        s_.acked.erase(id);
      }
    s_.cv.notify_all();
    return yes;
  }

 private:
  void record_delivered(const std::vector<int>& seqs, const SendResult& r) {
    std::vector<char> skip(seqs.size(), 0);
    for (size_t i : r.rejected) skip[i] = 1;
    if (r.status == SendResult::Status::Retry) {
      if (r.resend.empty()) return;
      for (size_t i : r.resend) skip[i] = 1;
    }
    for (size_t i = 0; i < seqs.size(); ++i)
      if (!skip[i]) s_.delivered.insert(seqs[i]);
  }
  Script& s_;
};

// Feeds the driver pipeline batches of consecutive seqs and tracks what a checkpoint would say.
class Harness {
 public:
  Harness(OutputDriverOptions o, Script& s, const std::string& data_dir = {}) : script(s) {
    // spdlog's registry is a function-local static in an uninstrumented libspdlog: made here,
    // before the driver's threads, or TSan cannot see that their first logs are ordered after it
    // (the agent itself logs from main first). Seen as a race in 1 of ~10 TSan runs.
    spdlog::default_logger();
    o.name = "t";
    o.data_dir = data_dir.empty() ? dir.path() : data_dir;
    driver = std::make_unique<OutputDriver>(
        o, [&s] { return std::make_unique<ScriptedOutput>(s); }, metrics, clock);
    std::string err;
    if (!driver->start(err)) throw std::runtime_error(err);
  }
  ~Harness() { driver->stop(clock.now()); }

  // One pipeline batch holding seqs [from, from + n), acknowledged into the tracker.
  // `share` is the memory budget the batch holds until every output is done with it.
  void submit(int from, int n, BudgetShare share = {}) {
    auto b = std::make_shared<EncodedBatch>();
    b->sequence = next_sequence++;
    b->budget = std::move(share);
    for (int i = 0; i < n; ++i) {
      std::string json = "{\"seq\":" + std::to_string(from + i) + "}";
      EncodedEvent e;
      e.json[0] = Slice{static_cast<uint32_t>(b->json.size()), static_cast<uint32_t>(json.size())};
      e.routes = 1;
      b->json += json;
      b->events.push_back(e);
    }
    uint64_t ticket = tracker.add(static_cast<uint64_t>(from + n));
    b->ack = std::make_shared<AckToken>([this, ticket] { tracker.ack(ticket); });
    // As the pipeline does: one share per output, then the creator's own share goes.
    b->ack->expect(1);
    driver->enqueue(b);
    b->ack->done();
  }
  uint64_t committed() const { return tracker.committed(); }
  uint64_t metric(const std::string& name) const { return metrics.value(name, "output=\"t\""); }

  TempDir dir;
  Script& script;
  ManualClock clock;
  Metrics metrics;
  OffsetTracker tracker;
  std::unique_ptr<OutputDriver> driver;
  uint64_t next_sequence = 0;
};

OutputDriverOptions opts(size_t max_events, int concurrency) {
  OutputDriverOptions o;
  o.max_events = max_events;
  o.max_delay = std::chrono::milliseconds(0);  // no waiting for a batch to fill
  o.concurrency = concurrency;
  return o;
}

bool contains_all(const std::multiset<int>& got, int n) {
  for (int i = 0; i < n; ++i)
    if (!got.count(i)) return false;
  return true;
}

}  // namespace

// A pipeline batch cut into ten output batches, finishing in reverse order of sending, at every
// concurrency: the checkpoint moves only when the last part is delivered.
class SplitBatch : public ::testing::TestWithParam<int> {};

TEST_P(SplitBatch, AcknowledgedOnlyWhenEveryPartIsDelivered) {
  const int concurrency = GetParam();
  Script s;
  std::set<int> released;  // first seq of the parts the test let through
  s.hold = [&](const std::vector<int>& seqs) { return !released.count(seqs.front()); };
  Harness h(opts(100, concurrency), s);
  h.submit(0, 1000);
  int done = 0;
  while (done < 10) {
    // Wait until every part that can be in flight is held, then release the newest.
    int expect_held = std::min(concurrency, 10 - done);
    s.wait_for([&] { return s.holding == expect_held; });
    {
      std::lock_guard lock(s.mu);
      auto newest = std::find_if(s.sends.rbegin(), s.sends.rend(),
                                 [&](const auto& send) { return !released.count(send.front()); });
      released.insert(newest->front());
      s.cv.notify_all();
    }
    ++done;
    ASSERT_TRUE(wait_until([&] {
      return h.metric("auditrelay_output_batches_sent_total") == static_cast<uint64_t>(done);
    }));
    if (done < 10) {
      EXPECT_EQ(h.committed(), 0u) << "acknowledged after " << done << " of 10 parts";
    }
  }
  ASSERT_TRUE(wait_until([&] { return h.committed() == 1000u; }));
  std::lock_guard lock(s.mu);
  EXPECT_TRUE(contains_all(s.delivered, 1000));
  EXPECT_EQ(s.delivered.size(), 1000u);
}

INSTANTIATE_TEST_SUITE_P(Concurrency, SplitBatch, ::testing::Values(1, 2, 3, 4, 8, 16));

// The reproduction of the lost-events bug: one part fails forever while the parts after it,
// including the rest of its own pipeline batch, are delivered by other senders.
TEST(OutputDriver, StuckPartHoldsItsBatchWhileLaterPartsDeliver) {
  Script s;
  bool healed = false;
  s.answer = [&](const std::vector<int>& seqs, int) {
    bool stuck = std::find(seqs.begin(), seqs.end(), 150) != seqs.end();
    return stuck && !healed ? SendResult::retry("503 for the part with line 150")
                            : SendResult::delivered();
  };
  Harness h(opts(30, 4), s);
  for (int b = 0; b < 3; ++b) h.submit(b * 100, 100);
  // Everything else arrives, and the stuck part has been retried a few times.
  s.wait_for([&] {
    int tries = 0;
    for (const auto& send : s.sends) tries += std::count(send.begin(), send.end(), 150);
    return s.delivered.size() == 270u && tries >= 3;
  });
  EXPECT_EQ(h.committed(), 100u) << "the batch holding the stuck part was acknowledged";
  EXPECT_FALSE(s.delivered.count(150));
  {
    std::lock_guard lock(s.mu);
    healed = true;
  }
  ASSERT_TRUE(wait_until([&] { return h.committed() == 300u; }));
  std::lock_guard lock(s.mu);
  EXPECT_TRUE(contains_all(s.delivered, 300));
}

TEST(OutputDriver, RetryAfterFromTheServerIsWaitedOut) {
  Script s;
  std::vector<TimeSource::time_point> at;
  Harness* hp = nullptr;
  s.answer = [&](const std::vector<int>&, int n) {
    at.push_back(hp->clock.now());
    return n == 0 ? SendResult::retry("429", std::chrono::seconds(7)) : SendResult::delivered();
  };
  Harness h(opts(10, 1), s);
  hp = &h;
  h.submit(0, 10);
  ASSERT_TRUE(wait_until([&] { return h.committed() == 10u; }));
  std::lock_guard lock(s.mu);
  ASSERT_EQ(at.size(), 2u);
  // The server's 7 s, plus at most a tenth of jitter (the manual clock moves only while the
  // driver sleeps, in steps of at most 20 ms).
  EXPECT_GE(at[1] - at[0], std::chrono::seconds(7));
  EXPECT_LE(at[1] - at[0], std::chrono::milliseconds(7700 + 20));
}

TEST(OutputDriver, BackoffGrowsWithJitterUpToTheCeiling) {
  Backoff b(std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 42);
  int64_t step = 100;
  for (int i = 0; i < 8; ++i) {
    auto w = b.next().count();
    EXPECT_GE(w, step / 2);
    EXPECT_LE(w, step);
    step = std::min<int64_t>(step * 2, 1000);
  }
  b.reset();
  EXPECT_LE(b.next().count(), 100);
  // Two clients that failed together wait differently.
  Backoff c(std::chrono::milliseconds(10000), std::chrono::milliseconds(10000), 1);
  Backoff d(std::chrono::milliseconds(10000), std::chrono::milliseconds(10000), 2);
  EXPECT_NE(c.next(), d.next());
}

TEST(OutputDriver, RetryOfSomeEventsResendsOnlyThem) {
  Script s;
  s.answer = [](const std::vector<int>&, int n) {
    return n == 0 ? SendResult::retry_events({2, 5}, "two events failed") : SendResult::delivered();
  };
  Harness h(opts(10, 1), s);
  h.submit(0, 10);
  ASSERT_TRUE(wait_until([&] { return h.committed() == 10u; }));
  std::lock_guard lock(s.mu);
  ASSERT_EQ(s.sends.size(), 2u);
  EXPECT_EQ(s.sends[1], (std::vector<int>{2, 5}));
  EXPECT_EQ(s.delivered.size(), 10u);
  EXPECT_EQ(h.metric("auditrelay_output_events_sent_total"), 10u);
}

TEST(OutputDriver, RejectedEventsAreDeadLetteredAndNotCountedAsSent) {
  Script s;
  s.answer = [](const std::vector<int>&, int) {
    return SendResult::rejected_events({1, 4, 7}, "schema violation");
  };
  Harness h(opts(10, 1), s);
  h.submit(0, 10);
  ASSERT_TRUE(wait_until([&] { return h.committed() == 10u; }));
  EXPECT_EQ(h.metric("auditrelay_output_events_sent_total"), 7u);
  EXPECT_EQ(h.metric("auditrelay_output_events_dead_lettered_total"), 3u);
  auto lines = read_lines(h.dir / "dlq/t.ndjson");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("schema violation"), std::string::npos);
  EXPECT_NE(lines[0].find("{\"seq\":1}"), std::string::npos);
}

TEST(OutputDriver, AnExceptionInSendIsRetried) {
  Script s;
  s.throw_next = true;
  Harness h(opts(10, 2), s);
  h.submit(0, 10);
  ASSERT_TRUE(wait_until([&] { return h.committed() == 10u; }));
  EXPECT_EQ(h.metric("auditrelay_output_retries_total"), 1u);
}

// Sending goes on while acknowledgements are pending; the checkpoint waits for them; the set of
// pending batches is bounded.
TEST(OutputDriver, PendingAcknowledgementsDoNotHoldUpSending) {
  Script s;
  s.acks.enabled = true;
  s.acks.max_pending = 3;
  s.answer = [](const std::vector<int>&, int) { return SendResult::ack_pending({}); };
  Harness h(opts(10, 1), s);
  s.pending_now = [&] { return h.driver->pending_acks(); };
  for (int b = 0; b < 6; ++b) h.submit(b * 10, 10);
  // Four batches sent with none acknowledged: sending did not wait for acknowledgements (the
  // fourth waits for room among the three pending).
  s.wait_for([&] { return s.sends.size() == 4u; });
  ASSERT_TRUE(wait_until([&] { return h.driver->pending_acks() == 3u; }));
  EXPECT_EQ(h.committed(), 0u);
  EXPECT_EQ(h.metric("auditrelay_output_events_sent_total"), 0u);
  {
    std::lock_guard lock(s.mu);
    s.acked = {2};  // the second batch first: the checkpoint still waits for the first
  }
  s.wait_for([&] { return s.sends.size() == 5u; });  // room for one more
  EXPECT_EQ(h.committed(), 0u);
  {
    std::lock_guard lock(s.mu);
    s.acked = {1, 3, 4, 5, 6};
  }
  ASSERT_TRUE(wait_until([&] { return h.committed() == 60u; }));
  EXPECT_EQ(h.metric("auditrelay_output_events_sent_total"), 60u);
  std::lock_guard lock(s.mu);
  EXPECT_LE(s.max_pending_seen, 3u);
  EXPECT_TRUE(contains_all(s.delivered, 60));
}

TEST(OutputDriver, UnacknowledgedBatchIsSentAgainAfterTheTimeout) {
  Script s;
  s.acks.enabled = true;
  s.acks.timeout = std::chrono::seconds(30);
  s.answer = [&](const std::vector<int>&, int n) {
    // The second attempt's id is acknowledged at once; the first's never.
    SendResult r = SendResult::ack_pending({});
    if (n == 1) s.acked.insert(s.next_ack_id);
    return r;
  };
  Harness h(opts(10, 1), s);
  h.submit(0, 10);
  ASSERT_TRUE(wait_until([&] { return h.committed() == 10u; }));
  EXPECT_EQ(h.metric("auditrelay_output_ack_timeouts_total"), 1u);
  std::lock_guard lock(s.mu);
  ASSERT_EQ(s.sends.size(), 2u);
  EXPECT_EQ(s.sends[0], s.sends[1]);
}

// The manual clock moves with every sleep of every thread, and the acknowledgement poller sleeps
// in a loop: while the test thread waits in real time, the poller spins the clock far ahead. An
// acknowledgement timeout it cannot reach keeps timeouts out of the tests that are not about
// them (with 300 s they fired, and batches were sent again, before the test looked).
constexpr auto kNeverTimesOut = std::chrono::hours(24 * 365 * 100);

TEST(OutputDriver, ShutdownDoesNotWaitForAcknowledgementsPastItsDeadline) {
  Script s;
  s.acks.enabled = true;
  s.acks.timeout = kNeverTimesOut;
  s.answer = [](const std::vector<int>&, int) { return SendResult::ack_pending({}); };
  Harness h(opts(10, 2), s);
  h.submit(0, 10);
  h.submit(10, 10);
  ASSERT_TRUE(wait_until([&] { return h.driver->pending_acks() == 2u; }));
  auto before = h.clock.now();
  h.driver->stop(h.clock.now() + std::chrono::seconds(10));
  EXPECT_LT(h.clock.now() - before, kNeverTimesOut / 1000) << "stop waited for the acknowledgements";
  EXPECT_EQ(h.metric("auditrelay_output_ack_timeouts_total"), 0u);
  EXPECT_EQ(h.committed(), 0u) << "unacknowledged events must be read again after a restart";
}

TEST(OutputDriver, RejectionsAlongsidePendingAcknowledgement) {
  Script s;
  s.acks.enabled = true;
  s.answer = [&](const std::vector<int>&, int) {
    SendResult r = SendResult::ack_pending({});
    r.rejected = {0};
    r.reason = "bad event";
    s.acked.insert(s.next_ack_id);
    return r;
  };
  Harness h(opts(5, 1), s);
  h.submit(0, 5);
  ASSERT_TRUE(wait_until([&] { return h.committed() == 5u; }));
  EXPECT_EQ(h.metric("auditrelay_output_events_dead_lettered_total"), 1u);
  EXPECT_EQ(h.metric("auditrelay_output_events_sent_total"), 4u);
}

// A pipeline batch with nothing for this output is acknowledged without a send.
TEST(OutputDriver, BatchWithNothingRoutedHereIsAcknowledged) {
  Script s;
  Harness h(opts(10, 1), s);
  auto b = std::make_shared<EncodedBatch>();
  b->sequence = h.next_sequence++;
  uint64_t ticket = h.tracker.add(7);
  b->ack = std::make_shared<AckToken>([&h, ticket] { h.tracker.ack(ticket); });
  h.driver->enqueue(b);
  ASSERT_TRUE(wait_until([&] { return h.committed() == 7u; }));
  std::lock_guard lock(s.mu);
  EXPECT_TRUE(s.sends.empty());
}

// With a disk buffer in front, the pipeline batch is acknowledged once written there; a part
// stuck at shutdown is sent again from the buffer by the next driver, with every other event.
TEST(OutputDriver, DiskBufferCursorWaitsForEveryPart) {
  TempDir data;
  OutputDriverOptions o = opts(30, 4);
  o.disk_buffer = true;
  Script s1;
  s1.answer = [](const std::vector<int>& seqs, int) {
    bool stuck = std::find(seqs.begin(), seqs.end(), 50) != seqs.end();
    return stuck ? SendResult::retry("stuck") : SendResult::delivered();
  };
  {
    Harness h(o, s1, data.path());
    for (int b = 0; b < 3; ++b) h.submit(b * 100, 100);
    ASSERT_TRUE(wait_until([&] { return h.committed() == 300u; }));  // durable in the buffer
    s1.wait_for([&] { return s1.delivered.size() == 270u; });
  }
  Script s2;
  Harness h2(o, s2, data.path());
  s2.wait_for([&] { return s2.delivered.count(50) > 0; });
  // The buffer's cursor had not passed the stuck part's record (the 30 events around line 50
  // and anything after them in the same record): they come again, line 50 among them.
  std::lock_guard lock(s2.mu);
  for (int q = 30; q < 60; ++q) EXPECT_TRUE(s2.delivered.count(q)) << q;
}

// A batch awaiting acknowledgement waits in the spill: its memory goes back to the pipeline's
// budget at once, while its completion share still holds the checkpoint.
TEST(OutputDriver, BatchesAwaitingAcknowledgementHoldNoMemoryBudget) {
  Script s;
  s.acks.enabled = true;
  s.acks.timeout = kNeverTimesOut;
  s.answer = [](const std::vector<int>&, int) { return SendResult::ack_pending({}); };
  MemoryBudget budget(1 << 20);  // outlives the driver, as the pipeline's does
  Harness h(opts(10, 1), s);
  std::atomic<bool> never{false};
  for (int b = 0; b < 3; ++b) {
    auto batch = std::make_shared<EncodedBatch>();
    batch->sequence = h.next_sequence++;
    for (int i = 0; i < 10; ++i) {
      std::string json = "{\"seq\":" + std::to_string(b * 10 + i) + "}";
      EncodedEvent e;
      e.json[0] = Slice{static_cast<uint32_t>(batch->json.size()), static_cast<uint32_t>(json.size())};
      e.routes = 1;
      batch->json += json;
      batch->events.push_back(e);
    }
    ASSERT_TRUE(budget.acquire(1000, never));
    batch->budget = BudgetShare(budget, 1000);
    uint64_t ticket = h.tracker.add(static_cast<uint64_t>(b * 10 + 10));
    batch->ack = std::make_shared<AckToken>([&h, ticket] { h.tracker.ack(ticket); });
    h.driver->enqueue(std::move(batch));
  }
  ASSERT_TRUE(wait_until([&] { return h.driver->pending_acks() == 3u; }));
  ASSERT_TRUE(wait_until([&] { return budget.used() == 0u; }));
  EXPECT_EQ(h.committed(), 0u);
  EXPECT_GT(h.metrics.value("auditrelay_output_ack_spill_bytes", "output=\"t\""), 0u);
  {
    std::lock_guard lock(s.mu);
    s.acked = {1, 2, 3};
  }
  ASSERT_TRUE(wait_until([&] { return h.committed() == 30u; }));
  ASSERT_TRUE(wait_until(
      [&] { return h.metrics.value("auditrelay_output_ack_spill_bytes", "output=\"t\"") == 0u; }));
}

// A refused event whose dead-letter write fails must not ride on the acknowledgement of the
// events accepted with it: the batch is sent again instead.
TEST(OutputDriver, RefusedEventThatCannotBeDeadLetteredIsNotAcknowledged) {
  Script s;
  s.acks.enabled = true;
  s.answer = [&](const std::vector<int>&, int n) {
    if (n > 0) return SendResult::delivered();
    SendResult r = SendResult::ack_pending({});
    r.rejected = {0};
    r.reason = "bad event";
    s.acked.insert(s.next_ack_id);  // the accepted events are acknowledged at once
    return r;
  };
  Harness h(opts(5, 1), s);
  std::filesystem::create_directories(h.dir / "dlq/t.ndjson");  // a directory: writes fail
  h.submit(0, 5);
  ASSERT_TRUE(wait_until([&] { return h.committed() == 5u; }));
  std::lock_guard lock(s.mu);
  EXPECT_TRUE(s.delivered.count(0)) << "acknowledged without delivering or dead-lettering event 0";
  EXPECT_GE(s.sends.size(), 2u);
}

// The starvation flush: a budget smaller than one output batch. The input waiting for memory
// asks the driver to send what is filling, and the batch leaves without its max_delay passing
// (the manual clock never moves); its memory comes back and the input goes on.
TEST(OutputDriver, AFillingBatchIsSentWhenAnInputWaitsForMemory) {
  Script s;
  OutputDriverOptions o = opts(1000, 1);
  o.max_delay = std::chrono::hours(1);
  MemoryBudget budget(1000);  // outlives the driver, as the pipeline's does
  Harness h(o, s);
  budget.on_wait([&h] { h.driver->send_filling_batch_soon(); });
  std::atomic<bool> never{false};
  ASSERT_TRUE(budget.acquire(1000, never));
  h.submit(0, 10, BudgetShare(budget, 1000));
  std::atomic<bool> stop{false}, granted{false};
  std::thread input([&] { granted = budget.acquire(500, stop); });
  bool in_time = wait_until([&] { return granted.load(); });
  stop = true;
  input.join();
  ASSERT_TRUE(in_time) << "the input still waits for memory a filling batch holds";
  ASSERT_TRUE(wait_until([&] { return h.committed() == 10u; }));
  std::lock_guard lock(s.mu);
  ASSERT_EQ(s.sends.size(), 1u);
  EXPECT_EQ(s.sends[0].size(), 10u);
}

// The same while the only sender is busy: the filling batch waits for it, then goes at once.
TEST(OutputDriver, AFillingBatchWantedForMemoryLeavesWhenTheSenderIsFree) {
  Script s;
  bool release = false;
  s.hold = [&](const std::vector<int>& seqs) { return seqs.front() == 0 && !release; };
  OutputDriverOptions o = opts(10, 1);
  o.max_delay = std::chrono::hours(1);
  MemoryBudget budget(2000);
  Harness h(o, s);
  std::atomic<int> announced{0};
  budget.on_wait([&] {
    h.driver->send_filling_batch_soon();
    ++announced;
  });
  std::atomic<bool> never{false};
  ASSERT_TRUE(budget.acquire(1000, never));
  h.submit(0, 10, BudgetShare(budget, 1000));  // a full batch: sent at once, held by the test
  s.wait_for([&] { return s.holding == 1; });
  ASSERT_TRUE(budget.acquire(1000, never));
  h.submit(10, 5, BudgetShare(budget, 1000));  // filling
  std::atomic<bool> stop{false}, granted{false};
  // Fits only once both batches are done.
  std::thread input([&] { granted = budget.acquire(1500, stop); });
  // The request comes while the sender is busy; the sender that finishes answers it.
  EXPECT_TRUE(wait_until([&] { return announced.load() > 0; }));
  {
    std::lock_guard lock(s.mu);
    release = true;
  }
  s.cv.notify_all();
  bool in_time = wait_until([&] { return granted.load(); });
  stop = true;
  input.join();
  ASSERT_TRUE(in_time) << "the filling batch was not sent when the sender came free";
  ASSERT_TRUE(wait_until([&] { return h.committed() == 15u; }));
  std::lock_guard lock(s.mu);
  ASSERT_EQ(s.sends.size(), 2u);
  EXPECT_EQ(s.sends[1], (std::vector<int>{10, 11, 12, 13, 14}));
}

// The budget announces every wait to whoever holds memory that could be sent, and a release
// made by that announcement lets the waiting acquire through.
TEST(MemoryBudget, AnnouncesAWaitAndTakesWhatTheAnnouncementFrees) {
  MemoryBudget budget(100);
  std::atomic<bool> never{false};
  ASSERT_TRUE(budget.acquire(100, never));
  std::atomic<int> announced{0};
  budget.on_wait([&] {
    if (announced.fetch_add(1) == 0) budget.release(100);
  });
  EXPECT_TRUE(budget.acquire(60, never));
  EXPECT_EQ(announced.load(), 1);
  EXPECT_EQ(budget.used(), 60u);
  EXPECT_TRUE(budget.acquire(40, never)) << "a request that fits is never announced";
  EXPECT_EQ(announced.load(), 1);
}
