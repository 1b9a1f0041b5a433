// Format `slog_human`: Coder's human-readable service log (FORMATS.md §4): header, optional
// logger name, message, two-space separated key=value fields with Go-quoted strings, and
// multi-line blocks whose continuation lines are indented by 4+ spaces.
#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "core/common/strings.h"
#include "core/event/format.h"
#include "core/registry/registry.h"
#include "plugins/formats/common/decorations.h"
#include "plugins/formats/common/go_quote.h"
#include "plugins/formats/common/line_formats.h"
#include "plugins/formats/common/logger_prefix.h"

namespace auditrelay::formats {
namespace {

// Length of a key token followed by '=' at s (bare or Go-quoted), 0 when there is none.
size_t key_token_length(std::string_view s) {
  if (s.empty()) return 0;
  if (s[0] == '"') {
    bool esc = false;
    for (size_t i = 1; i < s.size(); ++i) {
      if (esc) {
        esc = false;
        continue;
      }
      if (s[i] == '\\')
        esc = true;
      else if (s[i] == '"')
        return (i + 1 < s.size() && s[i + 1] == '=') ? i + 1 : 0;
    }
    return 0;
  }
  size_t i = 0;
  while (i < s.size() && s[i] != ' ' && s[i] != '=' && s[i] != '"') ++i;
  return (i > 0 && i < s.size() && s[i] == '=') ? i : 0;
}

class HumanParser {
 public:
  HumanParser(ParseScratch& scratch, ParsedEntry& out)
      : scratch_(scratch),
        arena_(scratch.arena),
        out_(out),
        tmp_(scratch.text_a),
        block_(scratch.text_b) {}

  bool parse(std::string_view text) {
    size_t nl = text.find('\n');
    std::string_view first = text.substr(0, nl);
    if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
    first = strip_launcher_prefix(strip_ansi(first, arena_));
    if (!is_human_header(first)) return false;
    parse_human_header_time(first.substr(0, 23), out_.ts);
    std::string_view lvl = first.substr(25, 4);
    if (!parse_severity(lvl, out_.severity)) {
      out_.severity = Severity::Info;
      out_.level_text = lvl;
      out_.fields.push_back(Field{"level", Value::string(lvl)});
    }
    out_.format = "slog_human";
    std::string_view rest =
        human_rest(first, (scratch_.record_flags & record_flags::kNoBlockFollowed) == 0);

    // Logger name (logger_prefix.h has the rule).
    bool seen = (scratch_.record_flags & record_flags::kLoggerSeenOnStream) != 0;
    if (size_t len = logger_prefix_length(rest); len > 0 && prefix_is_logger(rest, len, seen)) {
      out_.logger = rest.substr(0, len);
      rest = rest.substr(std::min(rest.size(), len + 2));
    }

    // The message ends at the first two spaces followed by a key= token.
    size_t msg_end = rest.size();
    for (size_t p = rest.find("  "); p != std::string_view::npos; p = rest.find("  ", p + 1)) {
      if (key_token_length(rest.substr(p + 2)) > 0) {
        msg_end = p;
        break;
      }
    }
    out_.message = rest.substr(0, msg_end);
    parse_fields(rest.substr(msg_end));

    if (nl != std::string_view::npos) parse_block(text.substr(nl + 1));
    return true;
  }

 private:
  void parse_fields(std::string_view s) {
    while (s.size() >= 2 && s.substr(0, 2) == "  ") {
      s.remove_prefix(2);
      size_t klen = key_token_length(s);
      if (klen == 0) {
        // Not a field after all: keep the text rather than lose it.
        if (!trim(s).empty()) out_.fields.push_back(Field{"_unparsed", Value::string(s)});
        return;
      }
      std::string_view key = s.substr(0, klen);
      if (key.front() == '"') {
        tmp_.clear();
        size_t used = 0;
        if (go_unquote(key, tmp_, used)) key = arena_.copy(tmp_);
      }
      s.remove_prefix(klen + 1);
      size_t used = 0;
      Value v = parse_value(s, used);
      out_.fields.push_back(Field{key, v});
      s.remove_prefix(used);
    }
    if (!trim(s).empty()) out_.fields.push_back(Field{"_unparsed", Value::string(trim(s))});
  }

  Value parse_value(std::string_view s, size_t& used) {
    if (s.empty()) {
      used = 0;
      return Value::string({});
    }
    if (s[0] == '"') {
      tmp_.clear();
      if (go_unquote(s, tmp_, used)) return string_value(tmp_);
    }
    if (s[0] == '{' || s[0] == '[') {
      size_t ext = json_extent(s);
      if (ext > 0 && (ext == s.size() || s[ext] == ' ')) {
        used = ext;
        simdjson::dom::element el;
        if (!scratch_.parse_json(s.substr(0, ext)).get(el)) return value_from_element(el);
        return Value::string(s.substr(0, ext));
      }
    }
    size_t end = s.find(' ');
    if (end == std::string_view::npos) end = s.size();
    used = end;
    std::string_view bare = s.substr(0, end);
    if (bare == "<nil>") return Value::null();
    if (bare == "true") return Value::boolean(true);
    if (bare == "false") return Value::boolean(false);
    if (is_portable_json_number(bare)) {
      Value v;
      v.type = Value::Type::Number;
      v.text = bare;
      return v;
    }
    return Value::string(bare);
  }

  // A decoded string; Go's Time.String() rendering becomes RFC 3339 so that the human and JSON
  // renderings of one entry agree.
  Value string_value(const std::string& s) const {
    Timestamp t;
    if (s.size() >= 25 && s[4] == '-' && s[10] == ' ' && parse_go_time_string(s, t)) {
      char buf[40];
      return Value::string(arena_.copy(std::string_view(buf, format_rfc3339(t, buf))));
    }
    return Value::string(arena_.copy(s));
  }

  void parse_block(std::string_view body) {
    // Recover the lines: strip decorations and the 4-space indent.
    std::string_view key;
    std::string& value = block_;
    value.clear();
    bool first = true;
    size_t pad = 0;
    while (!body.empty()) {
      size_t nl = body.find('\n');
      std::string_view line = body.substr(0, nl);
      body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      line = strip_launcher_prefix(strip_ansi(line, arena_));
      if (line.size() >= 4 && line.substr(0, 4) == "    ") line.remove_prefix(4);
      if (first) {
        first = false;
        size_t eq = line.find("= ");
        size_t eq_end =
            line.size() >= 1 && line.back() == '=' ? line.size() - 1 : std::string_view::npos;
        if (eq != std::string_view::npos && key_token_length(line) == eq) {
          key = arena_.copy(line.substr(0, eq));
          value.assign(line.substr(eq + 2));
        } else if (eq_end != std::string_view::npos && key_token_length(line) == eq_end) {
          key = arena_.copy(line.substr(0, eq_end));
        } else {
          key = "msg";
          value.assign(line);
        }
        pad = key.size() + 2;
        continue;
      }
      size_t strip = 0;
      while (strip < pad && strip < line.size() && line[strip] == ' ') ++strip;
      value.push_back('\n');
      value.append(line.substr(strip));
    }
    while (!value.empty() && value.back() == '\n') value.pop_back();
    if (key.empty()) return;
    if (key == "msg") {
      out_.message = arena_.copy(value);
      return;
    }
    if (key == "error" && looks_like_chain(value)) {
      tmp_.clear();
      chain_summary(value, tmp_);
      out_.fields.push_back(Field{key, Value::string(arena_.copy(tmp_))});
      return;
    }
    out_.fields.push_back(Field{key, Value::string(arena_.copy(value))});
  }

  // An xerrors chain's long form: messages on the first line and on "- " lines, frames between.
  static bool looks_like_chain(std::string_view v) {
    size_t nl = v.find('\n');
    if (nl == std::string_view::npos) return false;
    std::string_view second = v.substr(nl + 1);
    return !second.empty() && (second[0] == ' ' || second.starts_with("- "));
  }

  static void chain_summary(std::string_view v, std::string& out) {
    bool first = true;
    while (!v.empty()) {
      size_t nl = v.find('\n');
      std::string_view line = v.substr(0, nl);
      v = nl == std::string_view::npos ? std::string_view{} : v.substr(nl + 1);
      std::string_view t = trim(line);
      bool message = first || t.starts_with("- ");
      if (!first && t.starts_with("- ")) t.remove_prefix(2);
      first = false;
      if (!message) continue;
      if (t.ends_with(":")) t.remove_suffix(1);
      if (t.empty()) continue;
      if (!out.empty()) out += ": ";
      out += t;
    }
  }

  ParseScratch& scratch_;
  Arena& arena_;
  ParsedEntry& out_;
  std::string& tmp_;    // decoded quoted values
  std::string& block_;  // a multi-line block's value
};

class SlogHumanFormat final : public Format {
 public:
  std::string_view name() const override { return "slog_human"; }
  std::unique_ptr<Framer> make_framer() const override {
    return std::make_unique<PlainFramer>(PlainFormats{.human = this, .text = &raw_format()});
  }
  bool parse(std::string_view text, ParseScratch& scratch, ParsedEntry& out) const override {
    HumanParser p(scratch, out);
    return p.parse(text);
  }
};

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Format,
    .name = "slog_human",
    .summary = "Coder's human-readable service log (the default --log-human sink), multi-line "
               "blocks joined",
    .format = &slog_human_format(),
    .entry_formats = {"slog_human"},
});

}  // namespace

const Format& slog_human_format() {
  static const SlogHumanFormat format;
  return format;
}

}  // namespace auditrelay::formats
