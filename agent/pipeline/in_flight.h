#pragma once
// One output batch on its way: the events still to deliver, and one completion share of every
// pipeline batch whose events it holds. A pipeline batch split across several output batches
// holds a share in each, so its acknowledgement (the checkpoint, the disk-buffer cursor) fires
// only once every part is delivered, dead-lettered or buffered, whatever order they finish in.
#include <memory>
#include <optional>
#include <vector>

#include "agent/common/backoff.h"
#include "agent/common/time_source.h"
#include "agent/pipeline/encoded_batch.h"
#include "agent/plugin/output.h"

namespace auditrelay {

struct InFlight {
  OutBatch batch;
  std::vector<std::shared_ptr<EncodedBatch>> owners;  // one completion share each
  std::optional<Backoff> backoff;                     // from the first failure on
  // Awaiting acknowledgement: the ids the destination owes, and which instance can poll them.
  std::vector<uint64_t> ack_ids;
  Output* sent_via = nullptr;
  TimeSource::time_point ack_deadline{};

  // Gives every share back: the part is done for good (delivered, dead-lettered, buffered).
  void complete() {
    for (auto& b : owners) b->ack->done();
    owners.clear();
    batch.events.clear();
  }
};

}  // namespace auditrelay
