#pragma once
// Format plugins: a Framer (stateful, one per source, runs in the input thread) turns lines into
// records, joining multi-line entries and container partial lines; Format::parse (stateless,
// runs in normalize workers) turns one record into a ParsedEntry.
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/common/arena.h"
#include "core/event/parsed_entry.h"
#include "core/event/record.h"

namespace auditrelay {

// Per-worker scratch space for parsing: an arena for decoded strings and a pool of simdjson
// documents (one record may hold several JSON values, e.g. a human line's Diff and
// AdditionalFields). reset() between records keeps the memory for the next one.
class ParseScratch {
 public:
  ParseScratch() : arena(64 * 1024) {}
  Arena arena;
  simdjson::dom::parser parser;
  std::vector<Field> nested_fields;  // a v1 audit record's fields, flattened
  uint8_t record_flags = 0;          // the record's record_flags, set by the caller of parse()
  // Reusable text buffers (capacity kept between records, so building strings does not allocate).
  std::string text_a, text_b;

  // Parses text, which must be followed by SIMDJSON_PADDING readable bytes.
  simdjson::simdjson_result<simdjson::dom::element> parse_json_padded(std::string_view text) {
    if (used_ == docs_.size()) docs_.push_back(std::make_unique<simdjson::dom::document>());
    auto& doc = *docs_[used_++];
    return parser.parse_into_document(doc, reinterpret_cast<const uint8_t*>(text.data()), text.size(), false);
  }
  // Copies text into the arena with padding first.
  simdjson::simdjson_result<simdjson::dom::element> parse_json(std::string_view text) {
    return parse_json_padded(arena.copy_padded(text, simdjson::SIMDJSON_PADDING));
  }
  void reset() {
    used_ = 0;
    nested_fields.clear();
    record_flags = 0;
    arena.reset();
  }

 private:
  std::vector<std::unique_ptr<simdjson::dom::document>> docs_;
  size_t used_ = 0;
};

struct FramedRecord {
  std::string_view text;
  uint64_t offset = 0;  // source offset of the record's first byte
  const Format* format = nullptr;
  Timestamp wrapper_time;
  Stream stream = Stream::None;
  uint8_t flags = 0;  // record_flags
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void emit(const FramedRecord& record) = 0;
};

// What a container wrapper knew about a line it unwrapped.
struct LineMeta {
  Timestamp wrapper_time;
  Stream stream = Stream::None;
};

class Framer {
 public:
  virtual ~Framer() = default;
  // One complete line without its '\n'. `offset` is the line's first byte in the source. The
  // line is followed in memory by at least SIMDJSON_PADDING readable bytes.
  virtual void line(std::string_view line, uint64_t offset, RecordSink& sink, const LineMeta& meta) = 0;
  void line(std::string_view l, uint64_t offset, RecordSink& sink) { line(l, offset, sink, LineMeta{}); }
  // Emits whatever is held (idle timeout, end of file, rotation).
  virtual void flush(RecordSink& sink) = 0;
  // The lowest source offset of a byte held and not yet emitted, or `next` when nothing is held.
  virtual uint64_t held_from(uint64_t next) const = 0;
};

class Format {
 public:
  virtual ~Format() = default;
  virtual std::string_view name() const = 0;
  virtual std::unique_ptr<Framer> make_framer() const = 0;
  // Parses one record. Returns false when the text is not in this format; the caller then makes
  // a raw event of it.
  virtual bool parse(std::string_view text, ParseScratch& scratch, ParsedEntry& out) const = 0;
};

}  // namespace auditrelay
