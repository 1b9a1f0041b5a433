#include "plugins/formats/common/plain_framer.h"

#include "agent/common/strings.h"
#include "agent/registry/registry.h"
#include "plugins/formats/common/decorations.h"

namespace auditrelay::formats {

PlainFramer::PlainFramer(bool allow_json, bool allow_human)
    : json_(Registry::instance().format("slog_json")),
      human_(Registry::instance().format("slog_human")),
      raw_(Registry::instance().format("raw")),
      allow_json_(allow_json && json_ != nullptr),
      allow_human_(allow_human && human_ != nullptr) {}

void PlainFramer::line(std::string_view line, uint64_t offset, RecordSink& sink, const LineMeta& meta) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
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
  if (allow_json_ && s.front() == '{') {
    sink.emit(FramedRecord{line, offset, json_, meta.wrapper_time, meta.stream});
    return;
  }
  if (allow_human_ && is_human_header(s)) {
    if (announces_block(s)) {
      holding_ = true;
      held_.assign(line);
      held_offset_ = offset;
      held_meta_ = meta;
      return;
    }
    sink.emit(FramedRecord{line, offset, human_, meta.wrapper_time, meta.stream});
    return;
  }
  sink.emit(FramedRecord{line, offset, raw_, meta.wrapper_time, meta.stream});
}

void PlainFramer::flush(RecordSink& sink) {
  if (!holding_) return;
  holding_ = false;
  // Trailing empty lines belong to no value.
  while (!held_.empty() && held_.back() == '\n') held_.pop_back();
  sink.emit(FramedRecord{held_, held_offset_, human_, held_meta_.wrapper_time, held_meta_.stream});
}

}  // namespace auditrelay::formats
