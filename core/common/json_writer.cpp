#include "core/common/json_writer.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace auditrelay {
namespace {

// 0: copy as is; 1: escape; 2: start of a multi-byte UTF-8 sequence (validate)
constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 0x20; ++i) t[i] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  t[0x7f] = 1;
  for (int i = 0x80; i < 0x100; ++i) t[i] = 2;
  return t;
}
constexpr auto kClass = make_classes();

// Length of a valid UTF-8 sequence at p (1..4), or 0 when invalid.
size_t utf8_sequence(const unsigned char* p, size_t left) {
  unsigned char c = p[0];
  if (c >= 0xc2 && c <= 0xdf) {
    return left >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (left < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && p[1] < 0xa0) return 0;  // overlong
    if (c == 0xed && p[1] > 0x9f) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (left < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
      return 0;
    if (c == 0xf0 && p[1] < 0x90) return 0;
    if (c == 0xf4 && p[1] > 0x8f) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

// True when any of the 8 bytes in w needs attention: < 0x20, '"', '\\', 0x7f or >= 0x80.
inline bool word_needs_attention(uint64_t w) {
  constexpr uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  auto has_zero = [&](uint64_t x) { return (x - ones) & ~x & highs; };
  uint64_t below_space = (w - ones * 0x20) & ~w & highs;  // bytes < 0x20 (for ASCII bytes)
  uint64_t quote = has_zero(w ^ (ones * '"'));
  uint64_t backslash = has_zero(w ^ (ones * '\\'));
  uint64_t del = has_zero(w ^ (ones * 0x7f));
  return (below_space | quote | backslash | del | (w & highs)) != 0;
}

inline uint64_t load8(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

#if defined(__SSE2__)
inline __m128i load16(const unsigned char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline void store16(char* p, __m128i x) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
}

// True when any of the 16 bytes at p needs attention. A signed compare with 0x20 catches the
// control bytes and, as negative numbers, every byte >= 0x80.
inline bool block_needs_attention(__m128i x) {
  __m128i bad = _mm_or_si128(
      _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8('"'))),
      _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))));
  return _mm_movemask_epi8(bad) != 0;
}
#endif

bool json_plain(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
#if defined(__SSE2__)
  // Most values are 16-64 bytes (ids, names, paths): 16 at a time, and the tail as one block
  // that overlaps bytes already checked.
  if (n >= 16) {
    for (; i + 16 <= n; i += 16)
      if (block_needs_attention(load16(p + i))) return false;
    return i == n || !block_needs_attention(load16(p + n - 16));
  }
#endif
  for (; i + 8 <= n; i += 8)
    if (word_needs_attention(load8(p + i))) return false;
  for (; i < n; ++i)
    if (kClass[p[i]] != 0) return false;
  return true;
}

// One pass instead of json_plain's and then memcpy's (a value of a JsonMembers run: ~75 -> ~62
// instructions, normalize_bench callgrind). Short values take two overlapping loads, as the
// last block of a long one does, instead of a byte loop.
bool json_copy_plain(char* dst, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
#if defined(__SSE2__)
  if (n >= 16) {
    for (; i + 16 <= n; i += 16) {
      __m128i x = load16(p + i);
      if (block_needs_attention(x)) return false;
      store16(dst + i, x);
    }
    if (i == n) return true;
    __m128i x = load16(p + n - 16);
    if (block_needs_attention(x)) return false;
    store16(dst + n - 16, x);
    return true;
  }
#endif
  if (n >= 8) {
    for (; i + 8 <= n; i += 8) {
      uint64_t w = load8(p + i);
      if (word_needs_attention(w)) return false;
      std::memcpy(dst + i, &w, 8);
    }
    if (i == n) return true;
    uint64_t w = load8(p + n - 8);
    if (word_needs_attention(w)) return false;
    std::memcpy(dst + n - 8, &w, 8);
    return true;
  }
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    if (word_needs_attention(uint64_t{lo} | uint64_t{hi} << 32)) return false;
    std::memcpy(dst, &lo, 4);
    std::memcpy(dst + n - 4, &hi, 4);
    return true;
  }
  for (; i < n; ++i) {
    if (kClass[p[i]] != 0) return false;
    dst[i] = static_cast<char>(p[i]);
  }
  return true;
}

void json_escape_append(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t run = 0;
  size_t i = 0;
  while (i < n) {
    // Fast path: skip 8 plain ASCII bytes at a time (most of every log line).
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (word_needs_attention(w)) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t cls = kClass[p[i]];
    if (cls == 0) {
      ++i;
      continue;
    }
    if (cls == 2) {
      size_t len = utf8_sequence(p + i, n - i);
      if (len > 0) {
        // U+2028 and U+2029 are valid JSON but break JavaScript consumers; escape them as Go does.
        if (len == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
            (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
          out.append(s.data() + run, i - run);
          out.append(p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
          i += 3;
          run = i;
          continue;
        }
        i += len;
        continue;
      }
      out.append(s.data() + run, i - run);
      out.append("\xef\xbf\xbd");  // U+FFFD for an invalid byte
      ++i;
      run = i;
      continue;
    }
    out.append(s.data() + run, i - run);
    unsigned char c = p[i];
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(buf, 6);
      }
    }
    ++i;
    run = i;
  }
  out.append(s.data() + run, n - run);
}

void JsonMembers::escaped_pair(std::string_view k, std::string_view v) {
  flush();
  std::string& out = w_.buffer();
  json_string_append(out, k);
  out.push_back(':');
  json_string_append(out, v);
}

void JsonMembers::raw_member(std::string_view k, std::string_view json) {
  if (!json_plain(k) || k.size() + json.size() + 4 > kRoom) {
    room(1);
    comma();
    flush();
    std::string& out = w_.buffer();
    json_string_append(out, k);
    out.push_back(':');
    out.append(json);
    return;
  }
  room(k.size() + json.size() + 4);
  key(k);
  std::memcpy(buf_ + n_, json.data(), json.size());
  n_ += json.size();
}

void JsonMembers::integer_field(std::string_view k, int64_t v) {
  room(k.size() + 4 + 24);
  key(k);
  auto r = std::to_chars(buf_ + n_, buf_ + kRoom, v);
  n_ = static_cast<size_t>(r.ptr - buf_);
}

void json_int_append(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void json_uint_append(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void json_double_append(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  char buf[32];
  // The shortest form of a whole double past 64 bits has no '.' or exponent
  // (1180591620717234618368): readers take it for an integer they cannot hold (simdjson, Go's
  // int64, jq's exactness). The exponent form keeps it a float.
  auto format = std::fabs(v) >= 9.2e18 ? std::chars_format::scientific : std::chars_format{};
  auto r = format == std::chars_format{} ? std::to_chars(buf, buf + sizeof buf, v)
                                         : std::to_chars(buf, buf + sizeof buf, v, format);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace auditrelay
