#pragma once
// Coder's many spellings of "no value" (audit-schema.md "Null-like", FORMATS.md §6.5).
#include <string_view>

#include "core/event/value.h"

namespace auditrelay::coder {

// Unwraps legacy Go renderings ({String:x Valid:true}, {IPNet:{IP:x Mask:m} Valid:true}, ...) and
// returns the text, or an empty view when the value is null-like.
std::string_view clean_text(std::string_view s);

// The textual value of v when it is a string or a scalar, cleaned; empty when unknown.
// Numbers are rendered into buf (24 bytes) when needed.
std::string_view text_of(const Value& v, char* buf);

bool is_null_like(const Value& v);

}  // namespace auditrelay::coder
