#pragma once
// Splits a byte stream into lines for a Framer and collects the records into batches. Shared by
// the file input and `auditrelay normalize`. Enforces the maximum line size: the first
// max_line bytes are kept, the rest of the line is discarded and counted.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/event/format.h"
#include "core/event/record.h"

namespace auditrelay {

class BatchSink final : public RecordSink {
 public:
  explicit BatchSink(RecordBatch* b = nullptr) : batch(b) {}
  void emit(const FramedRecord& r) override {
    batch->add(r.text, r.offset, r.format, r.wrapper_time, r.stream, r.flags);
  }
  RecordBatch* batch;
};

class LineReader {
 public:
  LineReader(std::unique_ptr<Framer> framer, size_t max_line) : framer_(std::move(framer)), max_line_(max_line) {}

  // Feeds bytes that start at source offset `offset` (must follow the previous feed).
  void feed(std::string_view bytes, uint64_t offset, RecordSink& sink);
  // End of input: the unterminated last line becomes a record too, and held entries are emitted.
  void finish(RecordSink& sink);
  // Emits held multi-line entries (idle timeout) but keeps a partial line.
  void flush_held(RecordSink& sink) { framer_->flush(sink); }
  // Offset before which everything has been emitted as records.
  uint64_t safe_offset() const { return framer_->held_from(line_start_); }
  // True while the framer holds a complete line it has not emitted (a multi-line entry, a
  // container partial, a record waiting for the other stream).
  bool holds_lines() const { return safe_offset() < line_start_; }
  // Offset of the next byte expected.
  uint64_t next_offset() const { return line_start_ + partial_.size() + (discarding_ ? discarded_ : 0); }
  uint64_t lines_truncated() const { return truncated_; }
  bool has_partial() const { return !partial_.empty() || discarding_; }
  void reset(uint64_t offset) {
    partial_.clear();
    discarding_ = false;
    discarded_ = 0;
    line_start_ = offset;
  }

 private:
  void emit_line(std::string_view line, uint64_t offset, RecordSink& sink);

  std::unique_ptr<Framer> framer_;
  size_t max_line_;
  std::string partial_;        // bytes of an unterminated line
  uint64_t line_start_ = 0;    // source offset of partial_ (or of the next line)
  bool discarding_ = false;    // inside an over-long line, dropping until its end
  uint64_t discarded_ = 0;
  uint64_t truncated_ = 0;
};

}  // namespace auditrelay
