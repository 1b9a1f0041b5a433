#pragma once
// The on-disk form of encoded events, shared by the disk buffer and the acknowledgement spill:
// a payload holds one source (input, path, host) and its events (time, category, class id,
// severity, the attribute strings outputs use, the event JSON). Decoding rebuilds an
// EncodedBatch.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/pipeline/encoded_batch.h"

namespace auditrelay {

class PayloadWriter {
 public:
  explicit PayloadWriter(const SourceInfo* source, size_t reserve = 0);
  // One event; `from` holds the strings its meta slices point into.
  void add(const EventMeta& meta, const EncodedBatch& from, std::string_view json);
  uint32_t count() const { return count_; }
  // The payload (the writer is spent).
  std::string finish();

 private:
  std::string out_;
  uint32_t count_ = 0;
};

// Rebuilds the events of one payload (every route bit set); nullptr when it is malformed.
std::shared_ptr<EncodedBatch> decode_payload(std::string_view payload);

uint32_t crc32_of(std::string_view s);
// Appends v in the host's byte order (the files never leave the machine that wrote them).
void put_u32(std::string& s, uint32_t v);

}  // namespace auditrelay
