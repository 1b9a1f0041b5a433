#pragma once
// Frames Coder's own lines: one JSON object per line, human entries with their multi-line
// blocks (continuation lines are empty or start with 4+ spaces), anything else as raw text.
#include <string>

#include "core/event/format.h"
#include "plugins/formats/common/logger_prefix.h"

namespace auditrelay::formats {

class PlainFramer : public Framer {
 public:
  using Framer::line;
  PlainFramer(bool allow_json, bool allow_human);
  void line(std::string_view line, uint64_t offset, RecordSink& sink, const LineMeta& meta) override;
  void flush(RecordSink& sink) override;
  uint64_t held_from(uint64_t next) const override { return holding_ ? held_offset_ : next; }

 private:
  const Format* json_;
  const Format* human_;
  const Format* raw_;
  bool allow_json_, allow_human_;
  bool holding_ = false;
  std::string held_;
  uint64_t held_offset_ = 0;
  LineMeta held_meta_;
  uint8_t held_flags_ = 0;
  std::string strip_buf_;
  SeenLoggers seen_loggers_;  // names this stream showed as loggers by their layout

  uint8_t human_flags(std::string_view header);
};

}  // namespace auditrelay::formats
