#pragma once
// Go's strconv.Quote syntax, as slog's human format writes quoted values (FORMATS.md §4.2).
#include <string>
#include <string_view>

namespace auditrelay::formats {

// s starts at the opening quote. On success appends the decoded bytes to out, sets `consumed`
// to the length through the closing quote and returns true.
bool go_unquote(std::string_view s, std::string& out, size_t& consumed);

// Length of a balanced JSON value ({...} or [...]) at the start of s, honouring strings; 0 if
// it does not close.
size_t json_extent(std::string_view s);

}  // namespace auditrelay::formats
