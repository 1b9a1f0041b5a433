#include "plugins/formats/common/go_quote.h"

#include <cstdint>

#include "core/common/strings.h"

namespace auditrelay::formats {
namespace {


void put_utf8(std::string& out, uint32_t cp) {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

}  // namespace

bool go_unquote(std::string_view s, std::string& out, size_t& consumed) {
  if (s.empty() || s[0] != '"') return false;
  size_t i = 1;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      consumed = i + 1;
      return true;
    }
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return false;
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '\'': out.push_back('\''); break;
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case 'x': {
        if (i + 2 > s.size()) return false;
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        size_t n = e == 'u' ? 4 : 8;
        if (i + n > s.size()) return false;
        uint32_t cp = 0;
        for (size_t k = 0; k < n; ++k) {
          int h = hex_value(s[i + k]);
          if (h < 0) return false;
          cp = cp << 4 | static_cast<uint32_t>(h);
        }
        put_utf8(out, cp);
        i += n;
        break;
      }
      default:
        // Octal escapes (\NNN) are legal Go too.
        if (e >= '0' && e <= '7' && i + 2 <= s.size()) {
          int v = (e - '0') * 64 + (s[i] - '0') * 8 + (s[i + 1] - '0');
          out.push_back(static_cast<char>(v));
          i += 2;
          break;
        }
        return false;
    }
  }
  return false;
}

size_t json_extent(std::string_view s) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return 0;
}

}  // namespace auditrelay::formats
