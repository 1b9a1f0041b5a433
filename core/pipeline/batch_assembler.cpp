#include "core/pipeline/batch_assembler.h"

namespace auditrelay {

void BatchAssembler::add(const std::shared_ptr<EncodedBatch>& batch, const Emit& emit) {
  // The caller's share is held until every part has taken its own, so no part that finishes
  // early can complete the batch while later parts are still being cut.
  for (const EncodedEvent& e : batch->events) {
    if (!(e.routes & bit_)) continue;
    OutEvent event{batch->event_json(e, schema_), &e.meta, batch.get()};
    size_t bytes = event.json.size() + framing_.framing_bytes(event);
    // A batch closes before the event that would take it past max_bytes (one request must fit
    // the destination's limit); an event larger than the limit goes alone.
    if (current_ && !current_->batch.events.empty() &&
        current_->batch.bytes + bytes > limits_.max_bytes)
      emit(std::move(current_));
    if (!current_) current_ = std::make_unique<InFlight>();
    InFlight& f = *current_;
    if (f.batch.events.empty()) {
      started_ = clock_.now();
      f.observed = batch->observed;
    }
    if (f.holds.empty() || f.holds.back() != batch) {
      batch->ack->expect(1);
      f.shares.push_back(batch->ack);
      f.holds.push_back(batch);
    }
    f.batch.events.push_back(event);
    f.batch.bytes += bytes;
    if (f.batch.events.size() >= limits_.max_events || f.batch.bytes >= limits_.max_bytes)
      emit(std::move(current_));
  }
  batch->ack->done();
}

std::unique_ptr<InFlight> BatchAssembler::take() {
  if (empty()) return nullptr;
  return std::move(current_);
}

}  // namespace auditrelay
