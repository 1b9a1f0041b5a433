// The kafka output's delivery round: the sender learns that every message it produced has its
// report, whatever thread reports and in whatever order, and a round is freed only after the
// report that finished it is done with it. Run under ThreadSanitizer in CI.
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "plugins/outputs/kafka/delivery_round.h"

using auditrelay::kafka::DeliveryRound;
using Clock = std::chrono::steady_clock;

namespace {

const std::function<bool()> kNotAbandoned = [] { return false; };

// Reports slots [from, to) of `r` with `err`, as librdkafka's poller would.
void report(DeliveryRound& r, size_t from, size_t to, rd_kafka_resp_err_t err) {
  for (size_t i = from; i < to; ++i) {
    r.slots[i].err = err;
    r.slots[i].round->report_one();
  }
}

}  // namespace

// Reports that arrive while the sender is still producing cannot finish the round: the sender's
// own share holds it open until the last message is produced.
TEST(KafkaDeliveryRound, EarlyReportsDoNotFinishARoundStillBeingProduced) {
  DeliveryRound r(2);
  r.expect_one();
  report(r, 0, 1, RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_FALSE(r.finished());
  r.expect_one();
  r.report_one();  // the sender has produced both
  EXPECT_FALSE(r.finished());
  report(r, 1, 2, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
  EXPECT_TRUE(r.finished());
  EXPECT_TRUE(r.wait_reported(Clock::now(), kNotAbandoned));
  EXPECT_EQ(r.slots[1].err, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
}

// Producing on one thread while four others report: the sender wakes once every report is in,
// and sees every slot's error as its reporter wrote it.
TEST(KafkaDeliveryRound, TheSenderWakesAfterTheLastOfConcurrentReports) {
  const size_t n = 20000;
  DeliveryRound r(n);
  std::atomic<size_t> produced{0};
  std::vector<std::thread> reporters;
  for (size_t t = 0; t < 4; ++t)
    reporters.emplace_back([&, t] {
      for (size_t i = t; i < n; i += 4) {
        while (produced.load(std::memory_order_acquire) <= i) std::this_thread::yield();
        report(r, i, i + 1,
               i % 7 == 0 ? RD_KAFKA_RESP_ERR__MSG_TIMED_OUT : RD_KAFKA_RESP_ERR_NO_ERROR);
      }
    });
  for (size_t i = 0; i < n; ++i) {
    r.expect_one();
    produced.store(i + 1, std::memory_order_release);
  }
  r.report_one();
  ASSERT_TRUE(r.wait_reported(Clock::now() + std::chrono::seconds(120), kNotAbandoned));
  for (auto& t : reporters) t.join();
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(r.slots[i].err, i % 7 == 0 ? RD_KAFKA_RESP_ERR__MSG_TIMED_OUT
                                         : RD_KAFKA_RESP_ERR_NO_ERROR)
        << i;
}

// An abandoned round is parked and freed by whoever sees it finished; the report that finished
// it must be done touching it by then (ThreadSanitizer checks the free against the report).
TEST(KafkaDeliveryRound, AParkedRoundIsFreedOnlyAfterItsLastReport) {
  for (int k = 0; k < 200; ++k) {
    auto r = std::make_unique<DeliveryRound>(3);
    for (int i = 0; i < 3; ++i) r->expect_one();
    r->report_one();  // produced all, then gave up waiting: parked
    EXPECT_FALSE(r->wait_reported(Clock::now(), kNotAbandoned));
    std::thread reporter([&r] { report(*r, 0, 3, RD_KAFKA_RESP_ERR__PURGE_QUEUE); });
    while (!r->finished()) std::this_thread::yield();
    r.reset();
    reporter.join();
  }
}

// At shutdown the driver abandons the batch: the sender stops waiting before any report.
TEST(KafkaDeliveryRound, AnAbandonedBatchStopsTheWait) {
  DeliveryRound r(1);
  r.expect_one();
  r.report_one();
  std::atomic<bool> abandoned{false};
  std::thread driver([&] { abandoned = true; });
  EXPECT_FALSE(r.wait_reported(Clock::now() + std::chrono::seconds(120), [&] { return abandoned.load(); }));
  driver.join();
  EXPECT_TRUE(abandoned.load());
  EXPECT_TRUE(r.awaits_reports());
  report(r, 0, 1, RD_KAFKA_RESP_ERR__PURGE_QUEUE);
  EXPECT_TRUE(r.finished());
}
