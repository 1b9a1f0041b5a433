#pragma once
// JSON numbers that no 64-bit integer or double holds (2^70, 1e400) make simdjson reject a whole
// line. Rather than lose the entry's structure to a raw event, such numbers are turned into
// strings holding their source text and the line is parsed again (docs/audit-schema.md).
#include <string>
#include <string_view>

namespace auditrelay::formats {

// Copies JSON text to out with every number that is valid JSON but not portable
// (is_portable_json_number) written as a string; false when there was none.
bool quote_unportable_numbers(std::string_view json, std::string& out);

}  // namespace auditrelay::formats
