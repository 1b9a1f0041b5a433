#pragma once
// The formats of Coder's own lines, for the formats that frame them: slog JSON and human entries
// and raw text. Each is defined (and registered) in its own plugin; the wrappers (auto, cri,
// docker) reach them here, at link time, rather than by name in the registry.
#include "core/event/format.h"
#include "plugins/formats/common/plain_framer.h"

namespace auditrelay::formats {

const Format& slog_json_format();   // plugins/formats/slog_json
const Format& slog_human_format();  // plugins/formats/slog_human
const Format& raw_format();         // plugins/formats/raw

// Every kind of line recognised, as `auto` and the container wrappers frame their content.
inline PlainFormats all_line_formats() {
  return PlainFormats{&slog_json_format(), &slog_human_format(), &raw_format()};
}

}  // namespace auditrelay::formats
