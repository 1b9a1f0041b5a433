#pragma once
// Is the "name: " at the start of a human entry's text its logger name, or the start of an
// unnamed logger's message ("oauth2: token exchange failed")? The rule (docs/inputs.md "Logger
// names in human lines"):
//   1. The prefix must look like a name: letters, digits, '_', '-', '.' before ": " (or before a
//      ':' that ends the line).
//   2. Its first component is one of Coder's own loggers (FORMATS.md §12): a logger.
//   3. Otherwise it must be a name Coder's Named() can make: lowercase components of [a-z0-9_-]
//      joined by single dots. An uppercase prefix ("Error: x") is message text.
//   4. The layout after it shows a named logger: "name: ..." (the message moved into a block) or
//      "name:   key=v" / "name:" (an empty message): a logger, and the stream remembers it.
//   5. A word Go errors and messages begin with (oauth2, x509, http, json, sql, error, failed, ...)
//      is message text, unless the same stream has already shown it as a logger (4).
//   6. Any other lowercase name is a logger (provisioner-host-1, mycoderd, coderd2.sub).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::formats {

// The text after a human header line's "[lvl]  ", without the " ..." that announces a block
// (unless `block_followed` is false: then the dots are the message's own). The line must pass
// is_human_header().
std::string_view human_rest(std::string_view header_line, bool block_followed = true);

// The length of the "name" in a "name: " (or final "name:") at the start of `rest`, the text after
// the human header's "[lvl]  "; 0 when there is none (rule 1).
size_t logger_prefix_length(std::string_view rest);

// Rules 2 to 6 for rest's prefix of length `len`; `seen_on_stream` says the stream showed this
// name as a logger before.
bool prefix_is_logger(std::string_view rest, size_t len, bool seen_on_stream);

// True when only the layout (rule 4) can make this prefix a logger, so a framer should note it.
bool layout_shows_logger(std::string_view rest, size_t len);

// Rule 5's word list.
bool message_word(std::string_view name);

// The logger names one stream has shown by its layout (rule 4), bounded.
class SeenLoggers {
 public:
  bool contains(std::string_view name) const;
  void add(std::string_view name);

 private:
  static constexpr size_t kMax = 64;
  std::vector<std::string> names_;
  size_t next_ = 0;  // the oldest entry, replaced when full
};

}  // namespace auditrelay::formats
