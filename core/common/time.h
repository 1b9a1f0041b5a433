#pragma once
// Timestamps as Coder writes them, kept with the precision of their source.
#include <cstdint>
#include <string>
#include <string_view>

namespace auditrelay {

struct Timestamp {
  int64_t seconds = 0;   // since the Unix epoch, UTC
  uint32_t nanos = 0;    // 0..999'999'999
  int8_t digits = -1;    // fraction digits the source gave (0..9); -1 = no timestamp

  bool valid() const { return digits >= 0; }
  bool operator==(const Timestamp&) const = default;
  bool before(const Timestamp& o) const {
    return seconds < o.seconds || (seconds == o.seconds && nanos < o.nanos);
  }
};

// RFC 3339 ("2025-09-16T06:56:16.151872655Z", "...+02:00"); a space may stand for the T.
bool parse_rfc3339(std::string_view s, Timestamp& out);
// Coder's human header: "2025-09-16 06:56:16.151" (UTC, milliseconds, no zone).
bool parse_human_header_time(std::string_view s, Timestamp& out);
// Go's Time.String(): "2025-09-16 06:57:16.144719 +0000 UTC" with an optional " m=+0.1" suffix.
bool parse_go_time_string(std::string_view s, Timestamp& out);
// Any of the above.
bool parse_any_time(std::string_view s, Timestamp& out);
// "YYYY-MM-DD" as midnight UTC.
bool parse_date(std::string_view s, Timestamp& out);

// Days since 1970-01-01 for a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

// Writes RFC 3339 UTC with a Z and as many fraction digits as the source had.
// Returns the number of bytes written; buf must hold 40 bytes.
size_t format_rfc3339(const Timestamp& t, char* buf);
std::string format_rfc3339(const Timestamp& t);
// The same two for a stream of timestamps that mostly share their second (a log's entries):
// the date and time of day of the thread's last UTC one are kept, and while the second repeats
// only the fraction is read or written (format: ~400 -> ~60 instructions per event, callgrind,
// issue 20). Results are identical to parse_rfc3339 / format_rfc3339.
bool parse_rfc3339_memo(std::string_view s, Timestamp& out);
size_t format_rfc3339_memo(const Timestamp& t, char* buf);
// Epoch seconds in fixed-point notation with the source's fraction ("1751525776.144719").
size_t format_epoch(const Timestamp& t, char* buf);

Timestamp now_timestamp();

}  // namespace auditrelay
