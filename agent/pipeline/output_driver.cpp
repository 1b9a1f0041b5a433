#include "agent/pipeline/output_driver.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace auditrelay {

using Clock = std::chrono::steady_clock;

namespace {
int64_t now_ns() { return Clock::now().time_since_epoch().count(); }
std::string label(const std::string& name) { return "output=\"" + name + "\""; }
}  // namespace

OutputDriver::OutputDriver(OutputDriverOptions opts, std::unique_ptr<Output> output, Metrics& metrics)
    : opts_(std::move(opts)),
      output_(std::move(output)),
      metrics_(metrics),
      dlq_(opts_.data_dir, opts_.name),
      sent_(metrics.counter("auditrelay_output_events_sent_total", label(opts_.name))),
      failed_(metrics.counter("auditrelay_output_send_failures_total", label(opts_.name))),
      retried_(metrics.counter("auditrelay_output_retries_total", label(opts_.name))),
      dead_lettered_(metrics.counter("auditrelay_output_events_dead_lettered_total", label(opts_.name))),
      batches_(metrics.counter("auditrelay_output_batches_sent_total", label(opts_.name))) {}

OutputDriver::~OutputDriver() {
  if (thread_.joinable()) {
    stop(Clock::now());
    thread_.join();
  }
}

void OutputDriver::start() {
  thread_ = std::thread([this] { run(); });
}

void OutputDriver::stop(Clock::time_point deadline) {
  deadline_ns_.store(deadline.time_since_epoch().count());
  stop_requested_.store(true);
  if (thread_.joinable()) thread_.join();
}

int64_t OutputDriver::failing_for_seconds() const {
  int64_t since = failing_since_ns_.load();
  if (since == 0) return 0;
  return (now_ns() - since) / 1'000'000'000;
}

bool OutputDriver::stopping_hard() const { return stop_requested_.load() && now_ns() >= deadline_ns_.load(); }

bool OutputDriver::sleep_for(std::chrono::milliseconds d) {
  auto until = Clock::now() + d;
  while (Clock::now() < until) {
    if (stopping_hard()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
  }
  return true;
}

void OutputDriver::run() {
  output_->start();
  auto last_flush = Clock::now();
  while (true) {
    std::shared_ptr<EncodedBatch> batch;
    auto wait = std::chrono::milliseconds(50);
    if (queue_.wait_dequeue_timed(batch, wait)) {
      take(std::move(batch));
      // Drain what is queued already without waiting.
      while (queue_.try_dequeue(batch)) take(std::move(batch));
    }
    auto now = Clock::now();
    if (!current_.events.empty() && now - current_started_ >= opts_.max_delay) send_current();
    if (current_.events.empty() && !owners_.empty()) {
      for (auto& [b, completes] : owners_)
        if (completes) b->ack->done();
      owners_.clear();
    }
    if (now - last_flush >= std::chrono::seconds(1)) {
      output_->flush();
      last_flush = now;
    }
    if (stop_requested_.load()) {
      bool idle = queue_.size_approx() == 0 && current_.events.empty();
      if (!current_.events.empty() && !stopping_hard()) send_current();
      if (idle || stopping_hard()) break;
    }
  }
  output_->flush();
  output_->stop();
  if (!reorder_.empty() || !current_.events.empty())
    spdlog::warn("output {}: stopping with {} undelivered batch(es); they will be read again at the next start",
                 opts_.name, reorder_.size() + (current_.events.empty() ? 0 : 1));
}

void OutputDriver::take(std::shared_ptr<EncodedBatch> batch) {
  reorder_.emplace(batch->sequence, std::move(batch));
  while (!reorder_.empty() && reorder_.begin()->first == next_sequence_) {
    auto b = std::move(reorder_.begin()->second);
    reorder_.erase(reorder_.begin());
    ++next_sequence_;
    const uint64_t bit = uint64_t{1} << opts_.index;
    // Index of this output's last event in the batch, so we know where the batch completes.
    size_t last = SIZE_MAX;
    for (size_t i = b->events.size(); i-- > 0;)
      if (b->events[i].routes & bit) {
        last = i;
        break;
      }
    if (last == SIZE_MAX) {
      // Nothing for this output. Acknowledge now unless earlier events are still pending,
      // so that the acknowledgement never overtakes them (they share no position, but order
      // keeps the bookkeeping simple).
      if (current_.events.empty()) b->ack->done();
      else owners_.emplace_back(b, true);
      continue;
    }
    for (size_t i = 0; i <= last; ++i) {
      const EncodedEvent& e = b->events[i];
      if (!(e.routes & bit)) continue;
      if (current_.events.empty()) current_started_ = Clock::now();
      current_.events.push_back(OutEvent{b->event_json(e), &e.meta, b.get()});
      current_.bytes += e.json.size + 1;
      if (i == last) owners_.emplace_back(b, true);
      if (current_.events.size() >= opts_.max_events || current_.bytes >= opts_.max_bytes) {
        if (i != last) owners_.emplace_back(b, false);
        send_current();
      }
    }
  }
}

void OutputDriver::send_current() {
  if (current_.events.empty()) return;
  current_.id = next_batch_id_++;
  auto backoff = opts_.retry_initial;
  bool delivered = false;
  while (!delivered) {
    SendResult r;
    try {
      r = output_->send(current_);
    } catch (const std::exception& e) {
      r = SendResult::retry(std::string("exception: ") + e.what());
    }
    switch (r.status) {
      case SendResult::Status::Delivered:
        delivered = true;
        break;
      case SendResult::Status::Rejected: {
        std::vector<bool> bad(current_.events.size(), false);
        for (size_t idx : r.rejected)
          if (idx < bad.size()) bad[idx] = true;
        bool dlq_ok = true;
        for (size_t i = 0; i < bad.size(); ++i) {
          if (!bad[i]) continue;
          if (dlq_.write(current_.events[i].json, r.reason)) ++dead_lettered_;
          else dlq_ok = false;
        }
        spdlog::warn("output {}: {} event(s) rejected permanently ({}); written to {}", opts_.name,
                     r.rejected.size(), r.reason, dlq_.path());
        if (dlq_ok) delivered = true;
        break;
      }
      case SendResult::Status::Retry: break;
    }
    if (delivered) break;
    ++failed_;
    if (failing_since_ns_.load() == 0) failing_since_ns_.store(now_ns());
    if (stopping_hard()) {
      // Not acknowledged: the source will be read again from the checkpoint.
      spdlog::warn("output {}: shutdown timeout reached while retrying ({}); {} event(s) stay unacknowledged",
                   opts_.name, r.reason, current_.events.size());
      current_.events.clear();
      current_.bytes = 0;
      owners_.clear();
      return;
    }
    auto wait = r.retry_after.count() > 0 ? r.retry_after : backoff;
    // Equal jitter: half fixed, half random, so clients do not retry in step.
    auto half = std::max<int64_t>(1, wait.count() / 2);
    std::uniform_int_distribution<int64_t> dist(0, half);
    auto jittered = std::chrono::milliseconds(wait.count() - half + dist(rng_));
    spdlog::warn("output {}: send failed ({}); retrying in {} ms", opts_.name, r.reason, jittered.count());
    ++retried_;
    if (!sleep_for(jittered)) continue;  // deadline reached: loop once more to give up cleanly
    backoff = std::min(opts_.retry_max, backoff * 2);
  }
  failing_since_ns_.store(0);
  sent_ += current_.events.size();
  ++batches_;
  current_.events.clear();
  current_.bytes = 0;
  for (auto& [b, completes] : owners_)
    if (completes) b->ack->done();
  owners_.clear();
}

}  // namespace auditrelay
