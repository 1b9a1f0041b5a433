#include "core/pipeline/output_driver.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace auditrelay {

namespace {
std::string label(const std::string& name) {
  return "output=\"" + name + "\"";
}
// Seeds each batch's backoff differently, so batches that fail together spread out.
uint64_t backoff_seed() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}
constexpr std::chrono::milliseconds kStep{20};  // how often waits check for a stop
}  // namespace

OutputDriver::OutputDriver(OutputDriverOptions opts, OutputFactoryFn factory, Metrics& metrics,
                           TimeSource& clock)
    : opts_(std::move(opts)),
      factory_(std::move(factory)),
      metrics_(metrics),
      clock_(clock),
      dlq_(opts_.data_dir, opts_.name),
      sent_(metrics.counter("auditrelay_output_events_sent_total", label(opts_.name))),
      failed_(metrics.counter("auditrelay_output_send_failures_total", label(opts_.name))),
      retried_(metrics.counter("auditrelay_output_retries_total", label(opts_.name))),
      dead_lettered_(
          metrics.counter("auditrelay_output_events_dead_lettered_total", label(opts_.name))),
      batches_(metrics.counter("auditrelay_output_batches_sent_total", label(opts_.name))),
      ack_timeouts_(metrics.counter("auditrelay_output_ack_timeouts_total", label(opts_.name))),
      acks_pending_gauge_(metrics.gauge("auditrelay_output_acks_pending", label(opts_.name))),
      latency_(metrics.histogram("auditrelay_output_delivery_latency_seconds", label(opts_.name))) {
}

OutputDriver::~OutputDriver() {
  stop(clock_.now());
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
  assembler_ = std::make_unique<BatchAssembler>(
      BatchAssembler::Limits{opts_.max_events,
                             std::min(opts_.max_bytes, outputs_.front()->max_request_bytes())},
      uint64_t{1} << opts_.index, opts_.schema, *outputs_.front(), clock_);
  acks_ = outputs_.front()->ack_settings();
  if (acks_.enabled) {
    pending_ = std::make_unique<PendingAcks>(acks_.max_pending);
    std::string dir = opts_.ack_spill_dir.empty() ? opts_.data_dir + "/ack_spill/" + opts_.name
                                                  : opts_.ack_spill_dir;
    spill_ = std::make_unique<AckSpill>(dir, metrics_, opts_.name);
    std::string why;
    if (!spill_->open(why)) {
      spdlog::warn("output {}: {}; batches awaiting acknowledgement stay in memory", opts_.name,
                   why);
      spill_.reset();
    }
  }
  if (opts_.disk_buffer) {
    buffer_ = std::make_unique<DiskBuffer>(
        opts_.data_dir + "/buffer/" + opts_.name, opts_.buffer_max_size,
        opts_.buffer_drop_oldest ? DiskBuffer::WhenFull::DropOldest : DiskBuffer::WhenFull::Block,
        metrics_, opts_.name);
    if (!buffer_->open(error)) return false;
    buffer_writer_ = std::thread([this] { buffer_writer_run(); });
  }
  for (int i = 0; i < n; ++i)
    senders_.emplace_back(
        [this, i, instances] { sender_run(outputs_[static_cast<size_t>(i % instances)].get()); });
  if (pending_) ack_thread_ = std::thread([this] { ack_run(); });
  thread_ = std::thread([this] { run(); });
  return true;
}

void OutputDriver::stop(TimeSource::time_point deadline) {
  deadline_ns_.store(std::min(deadline_ns_.load(), deadline.time_since_epoch().count()));
  stop_requested_.store(true);
  queue_.enqueue(nullptr);  // wakes the thread waiting for batches (a null batch is skipped)
  if (buffer_writer_.joinable()) buffer_writer_.join();
  if (thread_.joinable()) thread_.join();
  ack_stop_.store(true);
  if (ack_thread_.joinable()) ack_thread_.join();
  senders_stop_.store(true);
  for (size_t i = 0; i < senders_.size(); ++i) ready_.enqueue(nullptr);
  bool had_senders = !senders_.empty();
  for (auto& t : senders_)
    if (t.joinable()) t.join();
  senders_.clear();
  if (pending_)
    for (auto& f : pending_->drain())
      abandon(*f, "shutdown timeout reached awaiting acknowledgement");
  // A shared instance is stopped once, after every sender is done with it.
  if (had_senders && opts_.shared_output && !outputs_.empty()) {
    outputs_.front()->flush();
    outputs_.front()->stop();
  }
}

int64_t OutputDriver::failing_for_seconds() const {
  int64_t since = failing_since_ns_.load();
  if (since == 0) return 0;
  return (clock_.now().time_since_epoch().count() - since) / 1'000'000'000;
}

bool OutputDriver::stopping_hard() const {
  return stop_requested_.load() && clock_.now().time_since_epoch().count() >= deadline_ns_.load();
}

bool OutputDriver::wait(std::chrono::milliseconds d) {
  auto until = clock_.now() + d;
  while (clock_.now() < until) {
    if (stopping_hard()) return false;
    clock_.sleep_for(std::min<TimeSource::duration>(kStep, until - clock_.now()));
  }
  return true;
}

// True, and the request taken, when an input waits for memory and no batch is being sent: then
// nothing else can give back the memory the filling batch holds. While batches are being sent the
// request stays (their completion may be what the input waits for; sending partial batches beside
// them halved Kafka's events/s at concurrency 8: 157k -> 104k, e2e_bench), and the sender that
// finishes the last of them wakes this thread to look again.
bool OutputDriver::senders_idle_for_memory() {
  if (!memory_wanted_.load() || in_flight_.load() > 0) return false;
  memory_wanted_.store(false);
  return true;
}

bool OutputDriver::idle() const {
  return assembler_->empty() && outstanding_.load() == 0;
}

// ---- batching (the driver thread) ----

void OutputDriver::run() {
  for (auto& o : outputs_) o->start();
  while (true) {
    if (buffer_)
      take_from_buffer();
    else
      take_from_pipeline();
    if (!assembler_->empty() &&
        (clock_.now() - assembler_->started() >= opts_.max_delay || senders_idle_for_memory()))
      dispatch(assembler_->take());
    if (stop_requested_.load()) {
      bool source_idle =
          buffer_ ? (writer_done_.load() && buffer_->next_empty_hint()) : queue_.size_approx() == 0;
      if (source_idle && !stopping_hard()) dispatch(assembler_->take());
      if ((source_idle && idle()) || stopping_hard()) break;
    }
  }
  if (!reorder_.empty() || !assembler_->empty() || outstanding_.load() > 0)
    spdlog::warn(
        "output {}: stopping with undelivered events; they will be read again at the next start",
        opts_.name);
}

void OutputDriver::take_from_pipeline() {
  std::shared_ptr<EncodedBatch> batch;
  // While a batch is filling, wake when it is due (max_delay), not every step: a trickle of
  // events then costs a wake-up per batch (issue 20). With nothing pending, sleep longer (an
  // idle agent should cost nothing; stop() and new batches wake us).
  TimeSource::duration wait = std::chrono::milliseconds(250);
  if (stop_requested_.load())
    wait = kStep;
  else if (!assembler_->empty())
    wait = std::clamp<TimeSource::duration>(assembler_->started() + opts_.max_delay - clock_.now(),
                                            std::chrono::milliseconds(1), wait);
  if (!queue_.wait_dequeue_timed(batch, wait)) return;
  std::vector<std::shared_ptr<EncodedBatch>> ready;
  if (batch) take_ordered(std::move(batch), ready);
  while (queue_.try_dequeue(batch))
    if (batch) take_ordered(std::move(batch), ready);
  for (auto& b : ready) assembler_->add(b, [this](auto f) { dispatch(std::move(f)); });
}

void OutputDriver::take_from_buffer() {
  int taken = 0;
  for (; taken < 64; ++taken) {
    auto b = buffer_->next();
    if (!b) break;
    assembler_->add(b, [this](auto f) { dispatch(std::move(f)); });
  }
  if (taken == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
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
  while (true) {
    std::shared_ptr<EncodedBatch> batch;
    if (queue_.wait_dequeue_timed(batch, std::chrono::milliseconds(250))) {
      if (!batch) continue;  // stop()'s wake-up
      // Local: a written batch must be freed at once (its memory budget goes back then).
      std::vector<std::shared_ptr<EncodedBatch>> ready;
      take_ordered(std::move(batch), ready);
      for (auto& b : ready) {
        // Block mode waits for room; past the shutdown deadline the batch stays unacknowledged.
        bool written = false;
        while (!(written = buffer_->append(*b, bit, stop_requested_, opts_.schema)) && !stopping_hard())
          std::this_thread::sleep_for(kStep);
        if (written) b->ack->done();
      }
      continue;
    }
    if (stop_requested_.load() && queue_.size_approx() == 0) break;
  }
  writer_done_.store(true);
}

// Hands a batch to the senders; waits while `concurrency` batches are being sent and one more
// is ready for the first sender to finish (so a sender never waits for this thread to wake).
void OutputDriver::dispatch(std::unique_ptr<InFlight> f) {
  if (!f) return;
  outstanding_.fetch_add(1);
  f->batch.id = next_batch_id_++;
  f->batch.abandoned = [this] { return stopping_hard(); };
  {
    std::unique_lock lock(slots_mu_);
    while (in_flight_.load() > static_cast<int>(senders_.size()) && !stopping_hard())
      slot_free_.wait_for(lock, kStep);
    in_flight_.fetch_add(1);
  }
  ready_.enqueue(std::move(f));
}

// ---- sending (the sender threads) ----

// Outputs were started by run() before it dispatched the first batch.
void OutputDriver::sender_run(Output* output) {
  auto last_flush = clock_.now();
  while (true) {
    std::unique_ptr<InFlight> f;
    if (ready_.wait_dequeue_timed(f, std::chrono::milliseconds(250)) && f) {
      settle(std::move(f), *output);
      {
        std::lock_guard lock(slots_mu_);
        in_flight_.fetch_sub(1);
      }
      slot_free_.notify_all();
      if (memory_wanted_.load()) queue_.enqueue(nullptr);  // see senders_idle_for_memory()
    } else if (senders_stop_.load() && ready_.size_approx() == 0) {
      break;
    }
    if (!opts_.shared_output && clock_.now() - last_flush >= std::chrono::seconds(1)) {
      output->flush();
      last_flush = clock_.now();
    }
  }
  if (opts_.shared_output) return;  // stop() stops the shared instance once
  output->flush();
  output->stop();
}

SendResult OutputDriver::call_send(Output& output, const OutBatch& batch) {
  try {
    return output.send(batch);
  } catch (const std::exception& e) {
    return SendResult::retry(std::string("exception: ") + e.what());
  }
}

// Sends until the batch is delivered, dead-lettered, awaiting acknowledgement, or abandoned at
// the shutdown deadline. The driver is the only place that retries.
void OutputDriver::settle(std::unique_ptr<InFlight> f, Output& output) {
  while (true) {
    if (stopping_hard()) return abandon(*f, "shutdown timeout reached");
    SendResult r = call_send(output, f->batch);
    Applied a = apply(*f, r);
    sent_ += a.delivered;
    if (a.delivered) spdlog::debug("output {}: {} event(s) delivered", opts_.name, a.delivered);
    if (f->batch.events.empty()) return complete(*f);
    // Awaiting acknowledgement covers only accepted events: when a refused one could not be
    // dead-lettered it stays in the batch, so the whole batch is sent again instead.
    if (r.status == SendResult::Status::AckPending && pending_ && !r.ack_ids.empty() &&
        a.not_dead_lettered == 0)
      return await_ack(std::move(f), output, std::move(r.ack_ids));
    ++failed_;
    int64_t expected = 0;
    failing_since_ns_.compare_exchange_strong(expected, clock_.now().time_since_epoch().count());
    if (!f->backoff) f->backoff.emplace(opts_.retry_initial, opts_.retry_max, backoff_seed());
    auto wait_ms = f->backoff->next(r.retry_after);
    spdlog::warn("output {}: send failed ({}); retrying {} event(s) in {} ms", opts_.name, r.reason,
                 f->batch.events.size(), wait_ms.count());
    ++retried_;
    wait(wait_ms);  // false at the deadline: the next pass abandons
  }
}

OutputDriver::Applied OutputDriver::apply(InFlight& f, const SendResult& r) {
  const size_t n = f.batch.events.size();
  std::vector<char> done(n, 0);  // 1: leaves this batch (delivered or dead-lettered)
  dead_letter(f, r, done);
  std::vector<char> refused(n, 0);
  for (size_t i : r.rejected)
    if (i < n) refused[i] = 1;
  size_t delivered = 0;
  auto deliver = [&](size_t i) {
    if (!refused[i] && !done[i]) done[i] = 1, ++delivered;
  };
  using S = SendResult::Status;
  if (r.status == S::Delivered || r.status == S::Rejected ||
      (r.status == S::AckPending && (!pending_ || r.ack_ids.empty()))) {
    for (size_t i = 0; i < n; ++i) deliver(i);
  } else if (r.status == S::Retry && !r.resend.empty()) {
    std::vector<char> again(n, 0);
    for (size_t i : r.resend)
      if (i < n) again[i] = 1;
    for (size_t i = 0; i < n; ++i)
      if (!again[i]) deliver(i);
  }
  // Rejected events whose dead-letter write failed stay, and are sent again.
  size_t kept = 0;
  f.batch.bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    if (done[i]) continue;
    f.batch.bytes += f.batch.events[i].json.size() + 1;
    f.batch.events[kept++] = f.batch.events[i];
  }
  f.batch.events.resize(kept);
  size_t refused_kept = 0;
  for (size_t i = 0; i < n; ++i) refused_kept += refused[i] && !done[i];
  return Applied{delivered, refused_kept};
}

// Each rejected event once, with its own reason, in batch order. Marks the ones written.
void OutputDriver::dead_letter(InFlight& f, const SendResult& r, std::vector<char>& done) {
  if (r.rejected.empty()) return;
  std::vector<const std::string*> why(f.batch.events.size(), nullptr);
  for (size_t k = 0; k < r.rejected.size(); ++k)
    if (r.rejected[k] < why.size()) why[r.rejected[k]] = &r.reason_for(k);
  for (size_t i = 0; i < why.size(); ++i) {
    if (why[i] && dlq_.write(f.batch.events[i].json, *why[i])) {
      ++dead_lettered_;
      done[i] = 1;
    }
  }
  // The first event's own reason: a result that also retries others carries the retry's in
  // r.reason.
  spdlog::warn("output {}: {} event(s) rejected permanently ({}); written to {}", opts_.name,
               r.rejected.size(), r.reason_for(0), dlq_.path());
}

void OutputDriver::complete(InFlight& f) {
  outstanding_.fetch_sub(1);
  failing_since_ns_.store(0);
  ++batches_;
  // From the read of the batch's oldest part to the destination's acknowledgement.
  double latency = -1;
  if (f.observed.seconds > 0) {
    Timestamp now = now_timestamp();
    const Timestamp& t = f.observed;
    latency = static_cast<double>(now.seconds - t.seconds) +
              (static_cast<double>(now.nanos) - static_cast<double>(t.nanos)) / 1e9;
    latency_.observe(latency);
  }
  spdlog::debug("output {}: batch done, {:.3f} s after it was read", opts_.name, latency);
  f.complete();
}

// Not acknowledged: the source (or the disk buffer) delivers it again after a restart.
void OutputDriver::abandon(InFlight& f, const std::string& why) {
  outstanding_.fetch_sub(1);
  if (f.events() > 0)
    spdlog::warn("output {}: {}; {} event(s) stay unacknowledged", opts_.name, why, f.events());
  if (f.spilled) spill_->drop(*f.spilled);
  f.spilled.reset();
  f.release();
}

// Accepted, acknowledgement pending: the batch waits among the pending ones, its events in the
// spill (so it holds no memory), while this sender goes on with the next batch.
void OutputDriver::await_ack(std::unique_ptr<InFlight> f, Output& output,
                             std::vector<uint64_t> ids) {
  failing_since_ns_.store(0);
  f->ack_ids = std::move(ids);
  f->sent_via = &output;
  f->ack_deadline = clock_.now() + acks_.timeout;
  if (spill_) {
    if (auto ref = spill_->put(f->batch)) {
      f->spilled = *ref;
      f->spilled_events = f->batch.events.size();
      std::vector<OutEvent>().swap(f->batch.events);
      f->holds.clear();
    }
  }
  f = pending_->add(std::move(f), [this] { return stopping_hard(); });
  acks_pending_gauge_.store(static_cast<int64_t>(pending_->size()));
  if (f) abandon(*f, "shutdown timeout reached waiting for room among pending acknowledgements");
}

// Brings a spilled batch's events back to send them again.
bool OutputDriver::unspill(InFlight& f) {
  if (!f.spilled) return true;
  bool ok = spill_->get(*f.spilled, f.holds, f.batch.events);
  spill_->drop(*f.spilled);
  f.spilled.reset();
  f.batch.bytes = 0;
  for (const auto& e : f.batch.events) f.batch.bytes += e.json.size() + 1;
  return ok;
}

// ---- acknowledgements (one thread, when the output has them) ----

void OutputDriver::ack_run() {
  while (!ack_stop_.load()) {
    auto until = clock_.now() + acks_.poll_interval;
    while (!ack_stop_.load() && clock_.now() < until)
      clock_.sleep_for(std::min<TimeSource::duration>(kStep, until - clock_.now()));
    if (ack_stop_.load() || pending_->size() == 0) continue;
    PendingAcks::Sweep sweep = pending_->poll(clock_.now());
    for (auto& f : sweep.acknowledged) {
      sent_ += f->events();
      spdlog::debug("output {}: {} event(s) acknowledged", opts_.name, f->events());
      if (f->spilled) spill_->drop(*f->spilled);
      f->spilled.reset();
      complete(*f);
    }
    for (auto& f : sweep.expired) {
      ++ack_timeouts_;
      spdlog::warn("output {}: {} event(s) not acknowledged within {} s; sending them again",
                   opts_.name, f->events(), acks_.timeout.count() / 1000);
      f->ack_ids.clear();
      f->sent_via = nullptr;
      if (!unspill(*f)) {
        // Their completion shares are still held: the source reads them again after a restart.
        spdlog::error("output {}: cannot read back events awaiting acknowledgement from {}",
                      opts_.name, opts_.data_dir + "/ack_spill");
        abandon(*f, "acknowledgement spill unreadable");
        continue;
      }
      in_flight_.fetch_add(1);
      ready_.enqueue(std::move(f));
    }
    acks_pending_gauge_.store(static_cast<int64_t>(pending_->size()));
  }
}

}  // namespace auditrelay
