#include "plugins/formats/common/logger_prefix.h"

#include <algorithm>
#include <array>

#include "core/common/strings.h"

namespace auditrelay::formats {
namespace {

// A fixed set of short words, looked up with one hash and mostly one comparison: every human line
// asks (a binary search over the sorted lists cost 3.8% of normalize_bench's instructions).
template <size_t N>
class WordSet {
 public:
  consteval explicit WordSet(const std::array<std::string_view, N>& words) {
    for (auto w : words) {
      size_t h = slot(w);
      while (!table_[h].empty()) h = (h + 1) % kSlots;
      table_[h] = w;
    }
  }
  bool contains(std::string_view w) const {
    if (w.empty()) return false;
    for (size_t h = slot(w); !table_[h].empty(); h = (h + 1) % kSlots)
      if (table_[h] == w) return true;
    return false;
  }

 private:
  static constexpr size_t kSlots = 128;  // over twice the words: short probe chains
  static_assert(N * 2 < kSlots);
  static constexpr size_t slot(std::string_view w) {
    return (w.size() * 31 + static_cast<unsigned char>(w.front()) * 7 + static_cast<unsigned char>(w.back())) %
           kSlots;
  }
  std::array<std::string_view, kSlots> table_{};
};

bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '.' ||
         c == '-';
}

// Coder's top-level logger names (FORMATS.md §12).
bool known_logger(std::string_view name) {
  std::string_view first = name.substr(0, name.find('.'));
  if (first.starts_with("provisionerd-") || first.starts_with("ext-provisionerd-")) return true;
  static constexpr WordSet kKnown(std::array<std::string_view, 22>{
      "agent",
      "autobuild",
      "batchstats",
      "cli",
      "coderd",
      "dbcrypt",
      "derp",
      "executor",
      "healthcheck",
      "net",
      "notifications",
      "prometheus",
      "prometheusmetrics",
      "provisioner",
      "provisionerd",
      "pswatch",
      "pubsub",
      "ssh",
      "tailnet",
      "telemetry",
      "workspace_usage_tracker",
      "wsproxy",
  });
  return kKnown.contains(first);
}

// A name Named() can make: lowercase [a-z0-9_-] components joined by single dots.
bool slog_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  char prev = 0;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

}  // namespace

std::string_view human_rest(std::string_view header_line, bool block_followed) {
  std::string_view rest = header_line.substr(32);
  if (block_followed && rest.ends_with(" ...")) rest.remove_suffix(4);
  return rest;
}

size_t logger_prefix_length(std::string_view rest) {
  size_t i = 0;
  while (i < rest.size() && name_char(rest[i])) ++i;
  if (i == 0 || i >= rest.size() || rest[i] != ':') return 0;
  if (i + 1 < rest.size() && rest[i + 1] != ' ') return 0;
  return i;
}

bool message_word(std::string_view name) {
  // Go packages whose errors start "pkg: ", and words log messages start with before a colon.
  static constexpr WordSet kWords(std::array<std::string_view, 58>{
      "base64", "cannot",  "caused",   "close",   "context",   "crypto", "debug",  "dial",
      "drpc",   "ecdsa",   "err",      "error",   "exec",      "failed", "fatal",  "grpc",
      "gzip",   "hex",     "hint",     "http",    "http2",     "https",  "info",   "invalid",
      "io",     "json",    "lookup",   "note",    "oauth2",    "oidc",   "open",   "os",
      "panic",  "pgx",     "postgres", "pq",      "read",      "reason", "rpc",    "rsa",
      "sql",    "strconv", "template", "time",    "tls",       "toml",   "unable", "unexpected",
      "url",    "usage",   "warn",     "warning", "websocket", "write",  "x509",   "xml",
      "yaml",   "zlib",
  });
  return kWords.contains(name);
}

bool layout_shows_logger(std::string_view rest, size_t len) {
  std::string_view after = rest.substr(len + 1);  // after the ':'
  // "name:" alone, "name: ..." (message in a block), "name:   key=" (empty message, fields).
  return after.empty() || after == " " || after == " ..." || after.starts_with(" ...  ") ||
         after.starts_with("   ");
}

bool prefix_is_logger(std::string_view rest, size_t len, bool seen_on_stream) {
  std::string_view name = rest.substr(0, len);
  if (known_logger(name)) return true;
  if (!slog_name(name)) return false;
  if (layout_shows_logger(rest, len) || seen_on_stream) return true;
  return !message_word(name);
}

bool SeenLoggers::contains(std::string_view name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

void SeenLoggers::add(std::string_view name) {
  if (contains(name)) return;
  if (names_.size() < kMax) {
    names_.emplace_back(name);
    return;
  }
  names_[next_] = name;
  next_ = (next_ + 1) % kMax;
}

}  // namespace auditrelay::formats
