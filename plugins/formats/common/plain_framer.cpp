#include "plugins/formats/common/plain_framer.h"

#include "core/common/strings.h"
#include "plugins/formats/common/decorations.h"

namespace auditrelay::formats {

PlainFramer::PlainFramer(const PlainFormats& formats) : formats_(formats) {}

void PlainFramer::line(std::string_view line, uint64_t offset, RecordSink& sink,
                       const LineMeta& meta) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // A JSON line (the bulk case) is emitted as it is whatever its ANSI codes or prefix would be:
  // stripping them can only keep its leading '{', so the scan for ESC below changes nothing.
  if (!holding_ && formats_.json && !line.empty() && line.front() == '{') {
    sink.emit(FramedRecord{line, offset, formats_.json, meta.wrapper_time, meta.stream});
    return;
  }
  std::string_view s = strip_launcher_prefix(strip_ansi(line, strip_buf_));
  if (holding_) {
    if (is_continuation(s)) {
      held_.push_back('\n');
      held_.append(line);
      return;
    }
    flush(sink);
  }
  if (trim(s).empty()) return;  // blank lines carry nothing
  if (formats_.json && s.front() == '{') {
    sink.emit(FramedRecord{line, offset, formats_.json, meta.wrapper_time, meta.stream});
    return;
  }
  if (formats_.human && is_human_header(s)) {
    uint8_t flags = human_flags(s);
    if (announces_block(s)) {
      holding_ = true;
      held_.assign(line);
      held_offset_ = offset;
      held_meta_ = meta;
      held_flags_ = flags;
      return;
    }
    sink.emit(FramedRecord{line, offset, formats_.human, meta.wrapper_time, meta.stream, flags});
    return;
  }
  sink.emit(FramedRecord{line, offset, formats_.text, meta.wrapper_time, meta.stream});
}

void PlainFramer::flush(RecordSink& sink) {
  if (!holding_) return;
  holding_ = false;
  // Trailing empty lines belong to no value.
  while (!held_.empty() && held_.back() == '\n') held_.pop_back();
  if (held_.find('\n') == std::string::npos) held_flags_ |= record_flags::kNoBlockFollowed;
  sink.emit(FramedRecord{held_, held_offset_, formats_.human, held_meta_.wrapper_time,
                         held_meta_.stream, held_flags_});
}

// Rule 5 of logger_prefix.h needs the stream's memory, which the parser does not have: a name
// that is usually message text is noted when the layout shows it as a logger, and later lines
// that use it are flagged.
uint8_t PlainFramer::human_flags(std::string_view header) {
  std::string_view rest = human_rest(header);
  size_t len = logger_prefix_length(rest);
  if (len == 0) return 0;
  std::string_view name = rest.substr(0, len);
  if (!message_word(name)) return 0;
  if (layout_shows_logger(rest, len)) {
    seen_loggers_.add(name);
    return 0;
  }
  return seen_loggers_.contains(name) ? record_flags::kLoggerSeenOnStream : 0;
}

}  // namespace auditrelay::formats
