#pragma once
// Framed records on their way from an input to the normalize workers. A batch owns the bytes of
// all its records (one buffer, padded for simdjson) and says where in the source they came from.
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/time.h"

namespace auditrelay {

class Format;
class AckToken;

enum class Stream : uint8_t { None, Stdout, Stderr };

// What a framer or an input knew about a record that its (stateless) parser cannot see.
namespace record_flags {
// A human entry whose "name: " prefix this stream has already shown as a logger name.
inline constexpr uint8_t kLoggerSeenOnStream = 1;
// A human entry whose line ends in " ..." but which no block followed: the dots are its message's.
inline constexpr uint8_t kNoBlockFollowed = 2;
// A row an input hands over a second time, for the event that ended what the row describes (a
// session's close) rather than the one that began it.
inline constexpr uint8_t kEndEvent = 4;
}  // namespace record_flags

// Where a batch came from; shared by every batch of one source (file, API stream).
struct SourceInfo {
  std::string input;  // the input's name in the config
  std::string type;   // "file", "coder_api", "stdin"
  std::string path;
  std::string identity;  // stable id of the source (file fingerprint), part of derived event ids
  std::string host;
  std::string k8s_namespace, k8s_pod, k8s_container;
  bool positional = true;  // records have byte offsets (files); false for API rows
};

struct Record {
  uint32_t text_offset = 0;  // into RecordBatch::text
  uint32_t text_size = 0;
  uint64_t source_offset = 0;  // byte offset of the record in the source
  const Format* format = nullptr;
  Timestamp wrapper_time;  // CRI / docker receive time
  Stream stream = Stream::None;
  uint8_t flags = 0;  // record_flags
  // The wrapper's level (the journal's PRIORITY), used when the record itself has none.
  uint8_t wrapper_severity = kNoWrapperSeverity;
  // The bytes are in RecordBatch::chunk (the read buffer, not copied), not in RecordBatch::text.
  bool in_chunk = false;
  // JSON members (`"k":v,...`) the input adds to the event's `source`, in RecordBatch::text.
  uint32_t source_attrs_offset = 0;
  uint32_t source_attrs_size = 0;

  static constexpr uint8_t kNoWrapperSeverity = 0xFF;
};

struct RecordBatch {
  std::string text;  // record bytes; capacity keeps SIMDJSON_PADDING spare bytes
  // A read buffer the batch took over (bulk file reads): records wholly inside it stay where
  // they were read instead of being copied into `text`. Its allocation has SIMDJSON_PADDING
  // bytes past chunk_size.
  std::unique_ptr<char[]> chunk;
  size_t chunk_size = 0;
  std::vector<Record> records;
  std::shared_ptr<const SourceInfo> source;
  Timestamp observed;
  // Acknowledgement: completed when every routed output has acknowledged the batch's events.
  std::shared_ptr<AckToken> ack;
  uint64_t sequence = 0;  // global order, assigned when the batch enters the pipeline
  size_t budget = 0;      // bytes taken from the memory budget for this batch

  std::string_view record_text(const Record& r) const {
    return {(r.in_chunk ? chunk.get() : text.data()) + r.text_offset, r.text_size};
  }
  // Bytes of record text the batch holds, copied or in place.
  size_t text_bytes() const { return text.size() + chunk_size; }
  std::string_view source_attrs(const Record& r) const {
    return {text.data() + r.source_attrs_offset, r.source_attrs_size};
  }

  void reserve(size_t bytes) { text.reserve(bytes + simdjson::SIMDJSON_PADDING); }

  void add(std::string_view bytes, uint64_t source_offset, const Format* format,
           Timestamp wrapper_time = {}, Stream stream = Stream::None, uint8_t flags = 0) {
    Record r;
    r.in_chunk = in_chunk(bytes);
    if (r.in_chunk) {
      r.text_offset = static_cast<uint32_t>(bytes.data() - chunk.get());
    } else {
      make_room(bytes.size());
      r.text_offset = static_cast<uint32_t>(text.size());
      text.append(bytes);
    }
    r.text_size = static_cast<uint32_t>(bytes.size());
    r.source_offset = source_offset;
    r.format = format;
    r.wrapper_time = wrapper_time;
    r.stream = stream;
    r.flags = flags;
    records.push_back(r);
  }

  // Gives the last record added its source attributes (JSON members, already valid).
  void add_source_attrs(std::string_view members) {
    make_room(members.size());
    Record& r = records.back();
    r.source_attrs_offset = static_cast<uint32_t>(text.size());
    r.source_attrs_size = static_cast<uint32_t>(members.size());
    text.append(members);
  }

 private:
  // Compared as integers: `bytes` may be in another allocation, where < on pointers is unspecified.
  bool in_chunk(std::string_view bytes) const {
    if (!chunk) return false;
    const auto begin = reinterpret_cast<uintptr_t>(chunk.get());
    const auto p = reinterpret_cast<uintptr_t>(bytes.data());
    return p >= begin && p + bytes.size() <= begin + chunk_size;
  }
  // Keeps SIMDJSON_PADDING readable bytes after the last record without reallocation surprises.
  void make_room(size_t bytes) {
    if (text.capacity() < text.size() + bytes + simdjson::SIMDJSON_PADDING)
      text.reserve((text.size() + bytes) * 2 + simdjson::SIMDJSON_PADDING);
  }
};

}  // namespace auditrelay
