#include "core/pipeline/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace auditrelay {

using Clock = std::chrono::steady_clock;

Pipeline::Pipeline(PipelineOptions opts, std::shared_ptr<const ProcessorFactory> transforms,
                   CheckpointStore& checkpoints, Metrics& metrics)
    : opts_(std::move(opts)),
      transforms_(std::move(transforms)),
      checkpoints_(checkpoints),
      metrics_(metrics),
      budget_(opts_.max_in_flight) {
  metrics_.gauge("auditrelay_max_in_flight_bytes")
      .store(static_cast<int64_t>(opts_.max_in_flight), std::memory_order_relaxed);
}

Pipeline::~Pipeline() {
  stop();
}

void Pipeline::add_input(std::string name, std::unique_ptr<Input> input) {
  inputs_.push_back(std::make_unique<InputSlot>(*this, std::move(name), std::move(input)));
  if (started_ && !stopped_) start_input(*inputs_.back());
}

std::vector<std::string> Pipeline::input_names() const {
  std::vector<std::string> names;
  for (const auto& s : inputs_) names.push_back(s->name);
  return names;
}

bool Pipeline::remove_input(const std::string& name, Clock::time_point deadline) {
  auto it =
      std::find_if(inputs_.begin(), inputs_.end(), [&](const auto& s) { return s->name == name; });
  if (it == inputs_.end()) return true;
  InputSlot& slot = **it;
  slot.stop.store(true);
  if (slot.thread.joinable()) slot.thread.join();
  while (slot.unacknowledged->load() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  bool all = slot.unacknowledged->load() == 0;
  inputs_.erase(it);  // batches still in flight hold what they need (tracker, checkpoint store)
  return all;
}

void Pipeline::add_output(std::unique_ptr<OutputDriver> driver) {
  outputs_.push_back(std::move(driver));
}

void Pipeline::start_input(InputSlot& slot) {
  slot.thread = std::thread([&slot] {
    try {
      slot.input->run(slot);
    } catch (const std::exception& e) {
      spdlog::error("input {} stopped: {}", slot.name, e.what());
    }
  });
}

bool Pipeline::start(std::string& error) {
  // spdlog builds its registry on first use; do it here, before any thread of ours can race
  // to be first (libspdlog is not instrumented, so ThreadSanitizer cannot see its guard).
  spdlog::default_logger_raw();
  for (auto& o : outputs_)
    if (!o->start(error)) return false;
  started_ = true;
  // An input waiting for memory may be waiting for what a filling output batch holds.
  budget_.on_wait([this] {
    std::lock_guard lock(outputs_mu_);
    for (auto& o : outputs_) o->send_filling_batch_soon();
  });
  for (int i = 0; i < opts_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
  for (auto& slot : inputs_) start_input(*slot);
  checkpointer_ = std::thread([this] {
    auto next = Clock::now() + opts_.checkpoint_interval;
    while (!checkpointer_stop_.load()) {
      // Sleep until the next save (at most 200 ms, to notice stop): few wake-ups when idle.
      auto until_next = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
      std::this_thread::sleep_for(
          std::clamp(until_next, std::chrono::milliseconds(1), std::chrono::milliseconds(200)));
      if (Clock::now() >= next) {
        checkpoints_.save();
        metrics_.gauge("auditrelay_bytes_in_flight").store(static_cast<int64_t>(budget_.used()));
        next = Clock::now() + opts_.checkpoint_interval;
      }
    }
  });
  return true;
}

void Pipeline::InputSlot::submit(std::unique_ptr<RecordBatch> batch) {
  if (!batch->ack) batch->ack = std::make_shared<AckToken>();
  unacknowledged->fetch_add(1);
  batch->ack->also_on_complete([count = unacknowledged] { count->fetch_sub(1); });
  pipeline.submit(std::move(batch));
}

void Pipeline::submit(std::unique_ptr<RecordBatch> batch) {
  // One atomic increment and one load per batch; the wait happens only during a reload.
  while (true) {
    submitting_.fetch_add(1);
    if (!gate_closed_.load()) break;
    submitting_.fetch_sub(1);
    while (gate_closed_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Sequence numbers give the global order the output drivers restore.
  batch->sequence = next_sequence_.fetch_add(1);
  in_work_.fetch_add(1);
  work_.enqueue(std::move(batch));
  submitting_.fetch_sub(1);
}

void Pipeline::close_gate() {
  gate_closed_.store(true);
  while (submitting_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  while (in_work_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Pipeline::open_gate() {
  gate_closed_.store(false);
}

bool Pipeline::change_outputs(OutputChange change, Clock::time_point deadline, std::string& error) {
  auto removed = [&](const std::string& name) {
    return std::find(change.remove.begin(), change.remove.end(), name) != change.remove.end();
  };
  // A disk buffer belongs to one driver at a time: a replacement that shares its directory
  // starts only once the driver it replaces has stopped.
  std::vector<OutputDriver*> late;
  for (auto& d : change.add) {
    bool shares_buffer =
        removed(d->name()) && std::any_of(outputs_.begin(), outputs_.end(), [&](const auto& o) {
          return o->name() == d->name() && (o->uses_disk_buffer() || d->uses_disk_buffer());
        });
    if (shares_buffer) {
      late.push_back(d.get());
    } else if (!d->start(error)) {
      for (auto& other : change.add)
        other->stop(Clock::now());  // never-started ones return at once
      return false;
    }
  }
  std::vector<std::unique_ptr<OutputDriver>> retiring;
  close_gate();
  std::unique_lock outputs_lock(outputs_mu_);
  uint64_t boundary = next_sequence_.load();
  for (auto it = outputs_.begin(); it != outputs_.end();) {
    if (removed((*it)->name())) {
      retiring.push_back(std::move(*it));
      it = outputs_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& d : change.add) {
    d->set_first_sequence(boundary);
    outputs_.push_back(std::move(d));
  }
  transforms_ = std::move(change.transforms);
  generation_.fetch_add(1);
  bool ok = true;
  if (!late.empty()) {
    // Batches after the boundary wait in the new drivers' queues meanwhile.
    for (auto& r : retiring)
      if (std::any_of(late.begin(), late.end(),
                      [&](OutputDriver* d) { return d->name() == r->name(); }))
        r->stop(deadline);
    for (OutputDriver* d : late)
      if (!d->start(error)) {
        spdlog::error("reload: {}; its events stay unacknowledged until the next restart or reload",
                      error);
        ok = false;
      }
  }
  outputs_lock.unlock();
  open_gate();
  for (auto& r : retiring) r->stop(deadline);  // already stopped ones return at once
  return ok;
}

std::vector<std::pair<std::string, int64_t>> Pipeline::output_failures() const {
  std::lock_guard lock(outputs_mu_);
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& o : outputs_) out.emplace_back(o->name(), o->failing_for_seconds());
  return out;
}

void Pipeline::worker_loop() {
  std::shared_ptr<const ProcessorFactory> transforms;
  std::unique_ptr<BatchProcessor> processor;
  uint64_t generation = UINT64_MAX;
  while (true) {
    std::unique_ptr<RecordBatch> batch;
    // A long wait keeps an idle agent asleep; stop() wakes the workers with empty batches.
    if (!work_.wait_dequeue_timed(batch, std::chrono::milliseconds(500)) || !batch) {
      if (workers_stop_.load()) break;
      continue;
    }
    // A reload swapped the transforms before this batch was submitted (the gate orders it).
    if (uint64_t g = generation_.load(); g != generation) {
      generation = g;
      transforms = transforms_;
      processor = transforms->make_processor(&metrics_);
    }
    auto encoded = std::make_shared<EncodedBatch>();
    encoded->sequence = batch->sequence;
    encoded->source = batch->source;
    encoded->observed = batch->observed;
    encoded->ack = batch->ack ? batch->ack : std::make_shared<AckToken>();
    try {
      processor->process(*batch, *encoded);
    } catch (const std::exception& e) {
      // A bug must not lose the batch's position silently: log loudly; the batch is still
      // acknowledged through the outputs with whatever was encoded.
      spdlog::error("normalizing a batch from {} failed: {}",
                    batch->source ? batch->source->path : "?", e.what());
    }
    // What the batch really holds in memory: capacities, not sizes.
    size_t encoded_bytes = encoded->json.capacity() + encoded->attrs.capacity() +
                           encoded->events.capacity() * sizeof(EncodedEvent);
    budget_.force(encoded_bytes);
    encoded->budget = BudgetShare(budget_, encoded_bytes);
    budget_.release(batch->budget);
    encoded->ack->expect(static_cast<int>(outputs_.size()));
    for (auto& o : outputs_) o->enqueue(encoded);
    encoded->ack->done();  // the input's own share
    batch.reset();
    in_work_.fetch_sub(1);
  }
}

void Pipeline::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  auto deadline = Clock::now() + opts_.shutdown_timeout;
  for (auto& slot : inputs_) slot->stop.store(true);
  for (auto& slot : inputs_)
    if (slot->thread.joinable()) slot->thread.join();
  // Let the workers finish what the inputs handed over.
  while (in_work_.load() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  workers_stop_.store(true);
  for (size_t i = 0; i < workers_.size(); ++i) work_.enqueue(nullptr);  // wake them now
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  for (auto& o : outputs_) o->stop(deadline);
  checkpointer_stop_.store(true);
  if (checkpointer_.joinable()) checkpointer_.join();
  checkpoints_.save();
}

}  // namespace auditrelay
