#include "core/config/units.h"

#include <charconv>
#include <string>

#include "core/common/strings.h"

namespace auditrelay {

std::optional<uint64_t> parse_size(std::string_view text) {
  text = trim(text);
  size_t i = 0;
  while (i < text.size() && (is_digit(text[i]) || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double value = 0;
  auto r = std::from_chars(text.data(), text.data() + i, value);
  if (r.ec != std::errc() || r.ptr != text.data() + i || value < 0) return std::nullopt;
  std::string unit = to_lower(trim(text.substr(i)));
  double mult = 1;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "k" || unit == "kb")
    mult = 1e3;
  else if (unit == "m" || unit == "mb")
    mult = 1e6;
  else if (unit == "g" || unit == "gb")
    mult = 1e9;
  else if (unit == "ki" || unit == "kib")
    mult = 1024.0;
  else if (unit == "mi" || unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "gi" || unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else
    return std::nullopt;
  double bytes = value * mult;
  if (bytes > 1e18) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  // A bare number is seconds, as in Fluent Bit.
  bool bare = true;
  for (char c : text)
    if (!is_digit(c) && c != '.') bare = false;
  if (bare) {
    double v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc()) return std::nullopt;
    return std::chrono::milliseconds(static_cast<int64_t>(v * 1000));
  }
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (is_digit(text[i]) || text[i] == '.')) ++i;
    if (i == start) return std::nullopt;
    double v = 0;
    auto r = std::from_chars(text.data() + start, text.data() + i, v);
    if (r.ec != std::errc() || r.ptr != text.data() + i) return std::nullopt;
    size_t ustart = i;
    while (i < text.size() && !is_digit(text[i]) && text[i] != '.') ++i;
    std::string_view unit = text.substr(ustart, i - ustart);
    double mult;
    if (unit == "ms")
      mult = 1;
    else if (unit == "s")
      mult = 1000;
    else if (unit == "m")
      mult = 60'000;
    else if (unit == "h")
      mult = 3'600'000;
    else if (unit == "d")
      mult = 86'400'000;
    else if (unit == "us" || unit == "µs")
      mult = 0.001;
    else
      return std::nullopt;
    total_ms += v * mult;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

}  // namespace auditrelay
