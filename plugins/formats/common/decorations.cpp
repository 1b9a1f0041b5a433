#include "plugins/formats/common/decorations.h"

#include <simdjson.h>

#include <cstring>

#include "core/common/strings.h"

namespace auditrelay::formats {
namespace {

template <typename Out>
void copy_without_ansi(std::string_view line, Out&& put) {
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '\x1b' && i + 1 < line.size() && line[i + 1] == '[') {
      size_t j = i + 2;
      while (j < line.size() && (is_digit(line[j]) || line[j] == ';')) ++j;
      if (j < line.size() && line[j] == 'm') {
        i = j + 1;
        continue;
      }
    }
    put(line[i]);
    ++i;
  }
}

}  // namespace

std::string_view strip_ansi(std::string_view line, Arena& arena) {
  // An empty view may hold a null pointer, which memchr must never see.
  if (line.empty() || std::memchr(line.data(), '\x1b', line.size()) == nullptr) return line;
  char* out = arena.allocate(line.size() + simdjson::SIMDJSON_PADDING);
  size_t n = 0;
  copy_without_ansi(line, [&](char c) { out[n++] = c; });
  std::memset(out + n, ' ', simdjson::SIMDJSON_PADDING);
  return {out, n};
}

std::string_view strip_ansi(std::string_view line, std::string& buf) {
  if (line.empty() || std::memchr(line.data(), '\x1b', line.size()) == nullptr) return line;
  buf.clear();
  buf.reserve(line.size() + simdjson::SIMDJSON_PADDING);
  copy_without_ansi(line, [&](char c) { buf.push_back(c); });
  return buf;
}

std::string_view strip_launcher_prefix(std::string_view line) {
  if (line.size() < 4 || line[0] != '[') return line;
  size_t i = 1;
  while (i < line.size()) {
    char c = line[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
    if (!ok) break;
    ++i;
  }
  if (i > 1 && i + 1 < line.size() && line[i] == ']' && line[i + 1] == ' ') return line.substr(i + 2);
  return line;
}

bool is_human_header(std::string_view s) {
  // ^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[(debu|info|warn|erro|crit|fata|unkn)\]  
  if (s.size() < 32) return false;
  static constexpr const char* kShape = "dddd-dd-dd dd:dd:dd.ddd [";
  for (size_t i = 0; i < 25; ++i) {
    char want = kShape[i];
    if (want == 'd' ? !is_digit(s[i]) : s[i] != want) return false;
  }
  std::string_view lvl = s.substr(25, 4);
  if (lvl != "info" && lvl != "debu" && lvl != "warn" && lvl != "erro" && lvl != "crit" &&
      lvl != "fata" && lvl != "unkn")
    return false;
  return s[29] == ']' && s[30] == ' ' && s[31] == ' ';
}

bool announces_block(std::string_view line) {
  if (line.ends_with(" ...")) return true;
  // A message moved into the block is printed as "..." (with or without a logger name).
  return line.find("]  ...") != std::string_view::npos || line.find(": ...  ") != std::string_view::npos ||
         line.ends_with(": ...");
}

}  // namespace auditrelay::formats
