#include "core/event/line_reader.h"

#include <cstring>

namespace auditrelay {

void LineReader::emit_line(std::string_view line, uint64_t offset, RecordSink& sink) {
  framer_->line(line, offset, sink);
}

void LineReader::feed(std::string_view bytes, uint64_t offset, RecordSink& sink) {
  if (partial_.empty() && !discarding_) line_start_ = offset;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const char* nl = static_cast<const char*>(std::memchr(bytes.data() + pos, '\n', bytes.size() - pos));
    size_t end = nl ? static_cast<size_t>(nl - bytes.data()) : bytes.size();
    std::string_view piece = bytes.substr(pos, end - pos);
    if (discarding_) {
      discarded_ += piece.size();
      if (nl) {
        discarding_ = false;
        line_start_ = offset + end + 1;
        discarded_ = 0;
      }
      pos = end + (nl ? 1 : 0);
      continue;
    }
    if (nl) {
      if (partial_.empty()) {
        if (piece.size() > max_line_) {
          ++truncated_;
          piece = piece.substr(0, max_line_);
        }
        emit_line(piece, line_start_, sink);
      } else {
        size_t room = max_line_ > partial_.size() ? max_line_ - partial_.size() : 0;
        if (piece.size() > room) ++truncated_;
        partial_.append(piece.substr(0, std::min(room, piece.size())));
        partial_.reserve(partial_.size() + simdjson::SIMDJSON_PADDING);
        emit_line(partial_, line_start_, sink);
        partial_.clear();
      }
      line_start_ = offset + end + 1;
      pos = end + 1;
      continue;
    }
    // No newline in the rest: keep it as a partial line (bounded by max_line).
    size_t room = max_line_ > partial_.size() ? max_line_ - partial_.size() : 0;
    if (piece.size() > room) {
      partial_.append(piece.substr(0, room));
      ++truncated_;
      partial_.reserve(partial_.size() + simdjson::SIMDJSON_PADDING);
      emit_line(partial_, line_start_, sink);
      partial_.clear();
      discarding_ = true;
      discarded_ = piece.size() - room;
    } else {
      partial_.append(piece);
    }
    pos = bytes.size();
  }
}

void LineReader::finish(RecordSink& sink) {
  if (!partial_.empty()) {
    partial_.reserve(partial_.size() + simdjson::SIMDJSON_PADDING);
    emit_line(partial_, line_start_, sink);
    line_start_ += partial_.size();
    partial_.clear();
  }
  framer_->flush(sink);
}

}  // namespace auditrelay
