#pragma once
// `auditrelay tap` on a terminal: one readable, coloured line per event instead of its JSON.
#include <string>
#include <string_view>

namespace auditrelay {

// "07:12:01.123 ERROR log  coderd.autobuild  failed to transition workspace  [autostart_failed]"
// for an audit/v1 event; an event in another schema (or not JSON) comes back as it is. colour:
// ANSI colours by severity and for the alert rule.
std::string readable_tap_line(std::string_view json, bool colour);

}  // namespace auditrelay
