#include "agent/pipeline/output_driver.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace auditrelay {

using Clock = std::chrono::steady_clock;

namespace {
int64_t now_ns() {
  return Clock::now().time_since_epoch().count();
}
std::string label(const std::string& name) {
  return "output=\"" + name + "\"";
}
thread_local std::mt19937_64 tl_rng{std::random_device{}()};
}  // namespace

OutputDriver::OutputDriver(OutputDriverOptions opts, OutputFactoryFn factory, Metrics& metrics)
    : opts_(std::move(opts)),
      factory_(std::move(factory)),
      metrics_(metrics),
      dlq_(opts_.data_dir, opts_.name),
      sent_(metrics.counter("auditrelay_output_events_sent_total", label(opts_.name))),
      failed_(metrics.counter("auditrelay_output_send_failures_total", label(opts_.name))),
      retried_(metrics.counter("auditrelay_output_retries_total", label(opts_.name))),
      dead_lettered_(
          metrics.counter("auditrelay_output_events_dead_lettered_total", label(opts_.name))),
      batches_(metrics.counter("auditrelay_output_batches_sent_total", label(opts_.name))),
      latency_(metrics.histogram("auditrelay_output_delivery_latency_seconds", label(opts_.name))) {
}

OutputDriver::~OutputDriver() {
  stop(Clock::now());
}

bool OutputDriver::start(std::string& error) {
  int n = std::max(1, opts_.concurrency);
  int instances = opts_.shared_output ? 1 : n;
  try {
    for (int i = 0; i < instances; ++i) outputs_.push_back(factory_());
  } catch (const std::exception& e) {
    error = "output " + opts_.name + ": " + e.what();
    return false;
  }
  if (opts_.disk_buffer) {
    buffer_ = std::make_unique<DiskBuffer>(
        opts_.data_dir + "/buffer/" + opts_.name, opts_.buffer_max_size,
        opts_.buffer_drop_oldest ? DiskBuffer::WhenFull::DropOldest : DiskBuffer::WhenFull::Block,
        metrics_, opts_.name);
    if (!buffer_->open(error)) return false;
    buffer_writer_ = std::thread([this] { buffer_writer_run(); });
  }
  if (n > 1)
    for (int i = 0; i < n; ++i)
      senders_.emplace_back(
          [this, i, instances] { sender_run(outputs_[static_cast<size_t>(i % instances)].get()); });
  thread_ = std::thread([this] { run(); });
  return true;
}

void OutputDriver::stop(Clock::time_point deadline) {
  deadline_ns_.store(std::min(deadline_ns_.load(), deadline.time_since_epoch().count()));
  stop_requested_.store(true);
  queue_.enqueue(nullptr);  // wakes the thread waiting for batches (a null batch is skipped)
  if (buffer_writer_.joinable()) buffer_writer_.join();
  if (thread_.joinable()) thread_.join();
  senders_stop_.store(true);
  bool had_senders = !senders_.empty();
  for (auto& t : senders_)
    if (t.joinable()) t.join();
  senders_.clear();
  // A shared instance is stopped once, after every sender is done with it.
  if (had_senders && opts_.shared_output && !outputs_.empty()) {
    outputs_.front()->flush();
    outputs_.front()->stop();
  }
}

int64_t OutputDriver::failing_for_seconds() const {
  int64_t since = failing_since_ns_.load();
  if (since == 0) return 0;
  return (now_ns() - since) / 1'000'000'000;
}

bool OutputDriver::stopping_hard() const {
  return stop_requested_.load() && now_ns() >= deadline_ns_.load();
}

bool OutputDriver::sleep_for(std::chrono::milliseconds d) {
  auto until = Clock::now() + d;
  while (Clock::now() < until) {
    if (stopping_hard()) return false;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(20), until - Clock::now()));
  }
  return true;
}

// Restores pipeline order; returns the batches that are next in sequence.
bool OutputDriver::take_ordered(std::shared_ptr<EncodedBatch> batch,
                                std::vector<std::shared_ptr<EncodedBatch>>& ready) {
  reorder_.emplace(batch->sequence, std::move(batch));
  bool any = false;
  while (!reorder_.empty() && reorder_.begin()->first == next_sequence_) {
    ready.push_back(std::move(reorder_.begin()->second));
    reorder_.erase(reorder_.begin());
    ++next_sequence_;
    any = true;
  }
  return any;
}

// With a disk buffer: pipeline batches go to the log, and are acknowledged once durable there.
void OutputDriver::buffer_writer_run() {
  const uint64_t bit = uint64_t{1} << opts_.index;
  std::vector<std::shared_ptr<EncodedBatch>> ready;
  std::atomic<bool> never{false};
  while (true) {
    std::shared_ptr<EncodedBatch> batch;
    if (queue_.wait_dequeue_timed(batch, std::chrono::milliseconds(250))) {
      if (!batch) continue;  // stop()'s wake-up
      ready.clear();
      take_ordered(std::move(batch), ready);
      for (auto& b : ready) {
        // Block mode waits for room; past the shutdown deadline the batch stays unacknowledged.
        while (!buffer_->append(*b, bit, stop_requested_)) {
          if (stopping_hard()) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!stopping_hard()) b->ack->done();
      }
      continue;
    }
    if (stop_requested_.load() && queue_.size_approx() == 0) break;
  }
  (void)never;
  writer_done_.store(true);
}

void OutputDriver::run() {
  Output& inline_output = *outputs_.front();
  for (auto& o : outputs_) o->start();
  auto last_flush = Clock::now();
  std::vector<std::shared_ptr<EncodedBatch>> ready;
  while (true) {
    if (buffer_) {
      // Send from the log; wait briefly when it is empty.
      int taken = 0;
      while (taken < 64) {
        auto b = buffer_->next();
        if (!b) break;
        add(b);
        ++taken;
      }
      if (taken == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } else {
      std::shared_ptr<EncodedBatch> batch;
      // While a batch is filling, wake often enough to send it on time (max_delay); with
      // nothing pending, sleep longer (an idle agent should cost nothing; stop() wakes us).
      auto wait = current_.batch.events.empty() && current_.owners.empty()
                      ? std::chrono::milliseconds(250)
                      : std::chrono::milliseconds(20);
      if (queue_.wait_dequeue_timed(batch, wait)) {
        ready.clear();
        if (batch) take_ordered(std::move(batch), ready);
        while (queue_.try_dequeue(batch))
          if (batch) take_ordered(std::move(batch), ready);
        for (auto& b : ready) add(b);
      }
    }
    auto now = Clock::now();
    if (!current_.batch.events.empty() && now - current_started_ >= opts_.max_delay) dispatch();
    if (current_.batch.events.empty() && !current_.owners.empty()) {
      for (auto& [b, completes] : current_.owners)
        if (completes) b->ack->done();
      current_.owners.clear();
    }
    if (now - last_flush >= std::chrono::seconds(1)) {
      if (senders_.empty()) inline_output.flush();
      last_flush = now;
    }
    if (stop_requested_.load()) {
      bool source_idle =
          buffer_ ? (writer_done_.load() && buffer_->next_empty_hint()) : queue_.size_approx() == 0;
      if (!current_.batch.events.empty() && !stopping_hard()) dispatch();
      bool idle = source_idle && current_.batch.events.empty() && in_flight_.load() == 0;
      if (idle || stopping_hard()) break;
    }
  }
  // Wait for batches in flight on sender threads (bounded by the deadline).
  while (in_flight_.load() > 0 && !stopping_hard())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (senders_.empty()) {
    inline_output.flush();
    inline_output.stop();
  }
  if (!reorder_.empty() || !current_.batch.events.empty())
    spdlog::warn(
        "output {}: stopping with undelivered events; they will be read again at the next start",
        opts_.name);
}

void OutputDriver::add(const std::shared_ptr<EncodedBatch>& b) {
  const uint64_t bit = uint64_t{1} << opts_.index;
  size_t last = SIZE_MAX;
  for (size_t i = b->events.size(); i-- > 0;)
    if (b->events[i].routes & bit) {
      last = i;
      break;
    }
  if (last == SIZE_MAX) {
    // Nothing for this output: acknowledge with the batch being built (or now).
    if (current_.batch.events.empty())
      b->ack->done();
    else
      current_.owners.emplace_back(b, true);
    return;
  }
  for (size_t i = 0; i <= last; ++i) {
    const EncodedEvent& e = b->events[i];
    if (!(e.routes & bit)) continue;
    if (current_.batch.events.empty()) current_started_ = Clock::now();
    current_.batch.events.push_back(OutEvent{b->event_json(e), &e.meta, b.get()});
    current_.batch.bytes += e.json.size + 1;
    if (i == last) current_.owners.emplace_back(b, true);
    if (current_.batch.events.size() >= opts_.max_events ||
        current_.batch.bytes >= opts_.max_bytes) {
      if (i != last) current_.owners.emplace_back(b, false);
      dispatch();
    }
  }
}

void OutputDriver::dispatch() {
  if (current_.batch.events.empty()) return;
  current_.batch.id = next_batch_id_++;
  current_.batch.abandoned = [this] { return stopping_hard(); };
  if (senders_.empty()) {
    deliver(current_, *outputs_.front());
  } else {
    // Bounded: wait while `concurrency` batches are in flight.
    while (in_flight_.load() >= static_cast<int>(senders_.size()) && !stopping_hard())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    in_flight_.fetch_add(1);
    ready_.enqueue(std::make_unique<Pending>(std::move(current_)));
  }
  current_ = Pending{};
}

// Outputs were started by run() before it dispatched the first batch.
void OutputDriver::sender_run(Output* output) {
  while (!senders_stop_.load()) {
    std::unique_ptr<Pending> p;
    if (!ready_.wait_dequeue_timed(p, std::chrono::milliseconds(20))) continue;
    deliver(*p, *output);
    in_flight_.fetch_sub(1);
  }
  if (opts_.shared_output) return;  // stop() stops the shared instance once
  output->flush();
  output->stop();
}

void OutputDriver::deliver(Pending& p, Output& output) {
  auto backoff = opts_.retry_initial;
  while (true) {
    SendResult r;
    try {
      r = output.send(p.batch);
    } catch (const std::exception& e) {
      r = SendResult::retry(std::string("exception: ") + e.what());
    }
    bool delivered = r.status == SendResult::Status::Delivered;
    if (r.status == SendResult::Status::Rejected) {
      // Each rejected event once, with its own reason, in batch order.
      std::vector<const std::string*> why(p.batch.events.size(), nullptr);
      for (size_t k = 0; k < r.rejected.size(); ++k)
        if (r.rejected[k] < why.size()) why[r.rejected[k]] = &r.reason_for(k);
      bool dlq_ok = true;
      for (size_t i = 0; i < why.size(); ++i) {
        if (!why[i]) continue;
        if (dlq_.write(p.batch.events[i].json, *why[i]))
          ++dead_lettered_;
        else
          dlq_ok = false;
      }
      spdlog::warn("output {}: {} event(s) rejected permanently ({}); written to {}", opts_.name,
                   r.rejected.size(), r.reason, dlq_.path());
      delivered = dlq_ok;
    }
    if (delivered) break;
    ++failed_;
    int64_t expected = 0;
    failing_since_ns_.compare_exchange_strong(expected, now_ns());
    if (stopping_hard()) {
      // Not acknowledged: the source (or the disk buffer) delivers it again after a restart.
      spdlog::warn(
          "output {}: shutdown timeout reached while retrying ({}); {} event(s) stay "
          "unacknowledged",
          opts_.name, r.reason, p.batch.events.size());
      p.batch.events.clear();
      p.owners.clear();
      return;
    }
    auto wait = r.retry_after.count() > 0 ? r.retry_after : backoff;
    // Equal jitter: half fixed, half random, so clients do not retry in step.
    auto half = std::max<int64_t>(1, wait.count() / 2);
    std::uniform_int_distribution<int64_t> dist(0, half);
    auto jittered = std::chrono::milliseconds(wait.count() - half + dist(tl_rng));
    spdlog::warn("output {}: send failed ({}); retrying in {} ms", opts_.name, r.reason,
                 jittered.count());
    ++retried_;
    if (!sleep_for(jittered)) continue;  // deadline reached: one more pass gives up cleanly
    backoff = std::min(opts_.retry_max, backoff * 2);
  }
  failing_since_ns_.store(0);
  sent_ += p.batch.events.size();
  ++batches_;
  // From the read of the batch's oldest part to the destination's acknowledgement.
  if (!p.owners.empty() && p.owners.front().first->observed.seconds > 0) {
    Timestamp now = now_timestamp();
    const Timestamp& t = p.owners.front().first->observed;
    latency_.observe(static_cast<double>(now.seconds - t.seconds) +
                     (static_cast<double>(now.nanos) - static_cast<double>(t.nanos)) / 1e9);
  }
  p.batch.events.clear();
  for (auto& [b, completes] : p.owners)
    if (completes) b->ack->done();
  p.owners.clear();
}

}  // namespace auditrelay
