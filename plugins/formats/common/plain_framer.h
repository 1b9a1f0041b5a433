#pragma once
// Frames Coder's own lines: one JSON object per line, human entries with their multi-line
// blocks (continuation lines are empty or start with 4+ spaces), anything else as raw text.
#include <string>

#include "core/event/format.h"
#include "plugins/formats/common/logger_prefix.h"

namespace auditrelay::formats {

// The formats a PlainFramer hands its records to. A line of a kind whose format is null is not
// recognised as such and goes to `text`, which takes any line.
struct PlainFormats {
  const Format* json = nullptr;   // one JSON object per line
  const Format* human = nullptr;  // human entries, with their multi-line blocks
  const Format* text = nullptr;   // everything else
};

class PlainFramer : public Framer {
 public:
  using Framer::line;
  explicit PlainFramer(const PlainFormats& formats);
  void line(std::string_view line, uint64_t offset, RecordSink& sink,
            const LineMeta& meta) override;
  void flush(RecordSink& sink) override;
  uint64_t held_from(uint64_t next) const override { return holding_ ? held_offset_ : next; }

 private:
  PlainFormats formats_;
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
