#include "core/common/time.h"

#include <cstring>
#include <ctime>

#include "core/common/strings.h"

namespace auditrelay {
namespace {

bool digits_at(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// Parses "YYYY-MM-DD?hh:mm:ss" where ? is sep_a or sep_b; returns epoch seconds.
bool parse_date_time(std::string_view s, char sep_a, char sep_b, int64_t& secs) {
  int y, mo, d, h, mi, se;
  if (s.size() < 19) return false;
  if (!digits_at(s, 0, 4, y) || s[4] != '-' || !digits_at(s, 5, 2, mo) || s[7] != '-' ||
      !digits_at(s, 8, 2, d) || (s[10] != sep_a && s[10] != sep_b) || !digits_at(s, 11, 2, h) ||
      s[13] != ':' || !digits_at(s, 14, 2, mi) || s[16] != ':' || !digits_at(s, 17, 2, se))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
  secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + se;
  return true;
}

// Parses ".fffffffff" at pos; advances pos.
bool parse_fraction(std::string_view s, size_t& pos, Timestamp& t) {
  t.nanos = 0;
  t.digits = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    uint32_t n = 0;
    int count = 0;
    while (pos < s.size() && is_digit(s[pos])) {
      if (count < 9) {
        n = n * 10 + static_cast<uint32_t>(s[pos] - '0');
        ++count;
      }
      ++pos;
    }
    if (count == 0) return false;
    t.digits = static_cast<int8_t>(count);
    for (int i = count; i < 9; ++i) n *= 10;
    t.nanos = n;
  }
  return true;
}

// "+hh:mm" / "-hh:mm" / "+hhmm"; returns offset seconds.
bool parse_offset(std::string_view s, size_t& pos, int64_t& off, bool colon_optional) {
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return false;
  int sign = s[pos] == '-' ? -1 : 1;
  int h, m;
  if (!digits_at(s, pos + 1, 2, h)) return false;
  size_t p = pos + 3;
  if (p < s.size() && s[p] == ':') ++p;
  else if (!colon_optional) return false;
  if (!digits_at(s, p, 2, m)) return false;
  off = sign * (h * 3600 + m * 60);
  pos = p + 2;
  return true;
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool parse_rfc3339(std::string_view s, Timestamp& out) {
  Timestamp t;
  if (!parse_date_time(s, 'T', ' ', t.seconds)) {
    // lower-case t is allowed by RFC 3339 too
    if (!parse_date_time(s, 't', 't', t.seconds)) return false;
  }
  size_t pos = 19;
  if (!parse_fraction(s, pos, t)) return false;
  if (pos >= s.size()) return false;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else {
    int64_t off;
    if (!parse_offset(s, pos, off, false)) return false;
    t.seconds -= off;
  }
  if (pos != s.size()) return false;
  out = t;
  return true;
}

bool parse_human_header_time(std::string_view s, Timestamp& out) {
  Timestamp t;
  if (s.size() != 23 || !parse_date_time(s, ' ', ' ', t.seconds)) return false;
  size_t pos = 19;
  if (!parse_fraction(s, pos, t) || pos != s.size()) return false;
  out = t;
  return true;
}

bool parse_go_time_string(std::string_view s, Timestamp& out) {
  Timestamp t;
  if (!parse_date_time(s, ' ', ' ', t.seconds)) return false;
  size_t pos = 19;
  if (!parse_fraction(s, pos, t)) return false;
  if (pos >= s.size() || s[pos] != ' ') return false;
  ++pos;
  int64_t off;
  if (!parse_offset(s, pos, off, true)) return false;
  t.seconds -= off;
  // Zone abbreviation and an optional monotonic " m=+1.23" suffix follow; both are ignored.
  if (pos < s.size() && s[pos] != ' ') return false;
  out = t;
  return true;
}

bool parse_any_time(std::string_view s, Timestamp& out) {
  return parse_rfc3339(s, out) || parse_go_time_string(s, out) || parse_human_header_time(s, out);
}

bool parse_date(std::string_view s, Timestamp& out) {
  int y, mo, d;
  if (s.size() != 10 || !digits_at(s, 0, 4, y) || s[4] != '-' || !digits_at(s, 5, 2, mo) ||
      s[7] != '-' || !digits_at(s, 8, 2, d) || mo < 1 || mo > 12 || d < 1 || d > 31)
    return false;
  out = Timestamp{days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400, 0, 0};
  return true;
}

namespace {
void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// ".fraction" with as many digits as the source had (nothing without one); returns the end.
char* write_fraction(const Timestamp& t, char* p) {
  if (t.digits > 0) {
    *p++ = '.';
    uint32_t n = t.nanos;
    char frac[9];
    for (int i = 8; i >= 0; --i) {
      frac[i] = static_cast<char>('0' + n % 10);
      n /= 10;
    }
    for (int i = 0; i < t.digits; ++i) *p++ = frac[i];
  }
  return p;
}

char* write_fraction_and_zone(const Timestamp& t, char* p) {
  p = write_fraction(t, p);
  *p++ = 'Z';
  return p;
}
}  // namespace

size_t format_rfc3339(const Timestamp& t, char* buf) {
  int64_t days = t.seconds >= 0 ? t.seconds / 86400 : (t.seconds - 86399) / 86400;
  int64_t rem = t.seconds - days * 86400;
  // civil_from_days
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  if (y < 0 || y > 9999) y = 0;
  char* p = buf;
  unsigned yy = static_cast<unsigned>(y);
  p[0] = static_cast<char>('0' + yy / 1000);
  p[1] = static_cast<char>('0' + yy / 100 % 10);
  p[2] = static_cast<char>('0' + yy / 10 % 10);
  p[3] = static_cast<char>('0' + yy % 10);
  p[4] = '-';
  put2(p + 5, m);
  p[7] = '-';
  put2(p + 8, d);
  p[10] = 'T';
  put2(p + 11, static_cast<unsigned>(rem / 3600));
  p[13] = ':';
  put2(p + 14, static_cast<unsigned>(rem / 60 % 60));
  p[16] = ':';
  put2(p + 17, static_cast<unsigned>(rem % 60));
  return static_cast<size_t>(write_fraction_and_zone(t, p + 19) - buf);
}

// The memos below keep the last UTC second seen on this thread: a pure function's cache, so
// their results are those of parse_rfc3339 and format_rfc3339 whatever ran before.
namespace {
struct LastSecond {
  bool set = false;
  int64_t seconds = 0;
  char text[19];  // "YYYY-MM-DDTHH:MM:SS"
};
}  // namespace

bool parse_rfc3339_memo(std::string_view s, Timestamp& out) {
  thread_local LastSecond last;
  if (last.set && s.size() >= 20 && std::memcmp(s.data(), last.text, 19) == 0) {
    Timestamp t;
    t.seconds = last.seconds;
    size_t pos = 19;
    if (parse_fraction(s, pos, t) && pos + 1 == s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
      out = t;
      return true;
    }
  }
  if (!parse_rfc3339(s, out)) return false;
  if (s.size() >= 20 && (s.back() == 'Z' || s.back() == 'z')) {  // UTC: the text is the second
    std::memcpy(last.text, s.data(), 19);
    last.seconds = out.seconds;
    last.set = true;
  }
  return true;
}

size_t format_rfc3339_memo(const Timestamp& t, char* buf) {
  thread_local LastSecond last;
  if (!last.set || t.seconds != last.seconds || t.digits < 0 || t.digits > 9) {
    size_t n = format_rfc3339(t, buf);
    std::memcpy(last.text, buf, 19);
    last.seconds = t.seconds;
    last.set = true;
    return n;
  }
  std::memcpy(buf, last.text, 19);
  return static_cast<size_t>(write_fraction_and_zone(t, buf + 19) - buf);
}

std::string format_rfc3339(const Timestamp& t) {
  char buf[40];
  return std::string(buf, format_rfc3339(t, buf));
}

size_t format_epoch(const Timestamp& t, char* buf) {
  char* p = buf;
  int64_t s = t.seconds;
  if (s < 0) {
    *p++ = '-';
    s = -s;
  }
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + s % 10);
    s /= 10;
  } while (s > 0);
  while (n > 0) *p++ = tmp[--n];
  p = write_fraction(t, p);
  return static_cast<size_t>(p - buf);
}

Timestamp now_timestamp() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return Timestamp{static_cast<int64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec), 9};
}

}  // namespace auditrelay
