#include "agent/pipeline/pipeline.h"

#include <spdlog/spdlog.h>

namespace auditrelay {

using Clock = std::chrono::steady_clock;

Pipeline::Pipeline(PipelineOptions opts, const coder::Transforms& transforms, CheckpointStore& checkpoints,
                   Metrics& metrics)
    : opts_(std::move(opts)),
      transforms_(transforms),
      checkpoints_(checkpoints),
      metrics_(metrics),
      budget_(opts_.max_in_flight) {}

Pipeline::~Pipeline() { stop(); }

void Pipeline::add_input(std::string name, std::unique_ptr<Input> input) {
  inputs_.emplace_back(std::move(name), std::move(input));
}

void Pipeline::add_output(std::unique_ptr<OutputDriver> driver) { outputs_.push_back(std::move(driver)); }

bool Pipeline::start(std::string& error) {
  // spdlog builds its registry on first use; do it here, before any thread of ours can race
  // to be first (libspdlog is not instrumented, so ThreadSanitizer cannot see its guard).
  spdlog::default_logger_raw();
  for (auto& o : outputs_)
    if (!o->start(error)) return false;
  started_ = true;
  for (int i = 0; i < opts_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
  for (auto& [name, input] : inputs_) {
    Input* in = input.get();
    std::string n = name;
    input_threads_.emplace_back([this, in, n] {
      try {
        in->run(*this);
      } catch (const std::exception& e) {
        spdlog::error("input {} stopped: {}", n, e.what());
      }
    });
  }
  checkpointer_ = std::thread([this] {
    auto next = Clock::now() + opts_.checkpoint_interval;
    while (!checkpointer_stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (Clock::now() >= next) {
        checkpoints_.save();
        metrics_.gauge("auditrelay_bytes_in_flight").store(static_cast<int64_t>(budget_.used()));
        next = Clock::now() + opts_.checkpoint_interval;
      }
    }
  });
  return true;
}

void Pipeline::submit(std::unique_ptr<RecordBatch> batch) {
  // Sequence numbers give the global order the output drivers restore.
  batch->sequence = next_sequence_.fetch_add(1);
  in_work_.fetch_add(1);
  work_.enqueue(std::move(batch));
}

void Pipeline::worker_loop() {
  coder::Processor processor(transforms_, &metrics_);
  while (true) {
    std::unique_ptr<RecordBatch> batch;
    if (!work_.wait_dequeue_timed(batch, std::chrono::milliseconds(50))) {
      if (workers_stop_.load()) break;
      continue;
    }
    auto encoded = std::make_shared<EncodedBatch>();
    encoded->sequence = batch->sequence;
    encoded->source = batch->source;
    encoded->ack = batch->ack ? batch->ack : std::make_shared<AckToken>();
    try {
      processor.process(*batch, *encoded);
    } catch (const std::exception& e) {
      // A bug must not lose the batch's position silently: log loudly; the batch is still
      // acknowledged through the outputs with whatever was encoded.
      spdlog::error("normalizing a batch from {} failed: {}", batch->source ? batch->source->path : "?", e.what());
    }
    // What the batch really holds in memory: capacities, not sizes.
    size_t encoded_bytes = encoded->json.capacity() + encoded->attrs.capacity() +
                           encoded->events.capacity() * sizeof(EncodedEvent);
    budget_.force(encoded_bytes);
    budget_.release(batch->budget);
    encoded->ack->also_on_complete([this, encoded_bytes] { budget_.release(encoded_bytes); });
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
  stopping_.store(true);
  for (auto& t : input_threads_)
    if (t.joinable()) t.join();
  // Let the workers finish what the inputs handed over.
  while (in_work_.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  workers_stop_.store(true);
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  for (auto& o : outputs_) o->stop(deadline);
  checkpointer_stop_.store(true);
  if (checkpointer_.joinable()) checkpointer_.join();
  checkpoints_.save();
}

}  // namespace auditrelay
