#pragma once
// What a format parser makes of one framed record: Coder's envelope (time, level, message,
// logger) and its fields in order, all still in source form. The normalizer maps it to an Event.
#include <string_view>
#include <vector>

#include "core/common/time.h"
#include "core/event/severity.h"
#include "core/event/value.h"

namespace auditrelay {

struct ParsedEntry {
  Timestamp ts;                  // the entry's own write time (ts / human header)
  Severity severity = Severity::Info;
  std::string_view level_text;   // the source's level when it was not a known one
  std::string_view message;
  std::string_view logger;       // dotted
  std::vector<Field> fields;
  std::string_view format;       // "slog_json", "slog_human", "stackdriver", "raw"
  bool raw = false;              // not in a known format: message holds the line

  void clear() {
    ts = {};
    severity = Severity::Info;
    level_text = {};
    message = {};
    logger = {};
    fields.clear();
    format = {};
    raw = false;
  }
};

}  // namespace auditrelay
