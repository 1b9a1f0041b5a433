#pragma once
// One output batch on its way: the events still to deliver, and one completion share of every
// pipeline batch whose events it holds. A pipeline batch split across several output batches
// holds a share in each, so its acknowledgement (the checkpoint, the disk-buffer cursor) fires
// only once every part is delivered, dead-lettered or buffered, whatever order they finish in.
#include <memory>
#include <optional>
#include <vector>

#include "core/common/backoff.h"
#include "core/common/time_source.h"
#include "core/pipeline/ack_spill.h"
#include "core/pipeline/encoded_batch.h"
#include "core/plugin/output.h"

namespace auditrelay {

struct InFlight {
  OutBatch batch;
  // One completion share of each pipeline batch (or disk-buffer record) it took events from.
  std::vector<std::shared_ptr<AckToken>> shares;
  // What batch.events point into: those pipeline batches, or the events read back from the
  // acknowledgement spill. Dropped while the events wait on disk.
  std::vector<std::shared_ptr<const EncodedBatch>> holds;
  Timestamp observed;              // when its oldest part was read (delivery latency)
  std::optional<Backoff> backoff;  // from the first failure on
  // Awaiting acknowledgement: the ids the destination owes, which instance can poll them, and
  // where the events wait meanwhile (see AckSpill).
  std::vector<uint64_t> ack_ids;
  Output* sent_via = nullptr;
  TimeSource::time_point ack_deadline{};
  std::optional<SpillRef> spilled;
  size_t spilled_events = 0;

  size_t events() const { return spilled ? spilled_events : batch.events.size(); }
  // Gives every share back: the part is done for good (delivered, dead-lettered, buffered).
  void complete() {
    for (auto& s : shares) s->done();
    release();
  }
  // Drops the events and the shares without answering them: the source keeps them
  // unacknowledged and reads them again after a restart.
  void release() {
    shares.clear();
    holds.clear();
    batch.events.clear();
  }
};

}  // namespace auditrelay
