// Format `slog_json`: Coder's JSON service log (FORMATS.md §3) and its Stackdriver sink (§5).
#include <cstring>
#include <memory>

#include "core/common/strings.h"
#include "core/event/format.h"
#include "core/registry/registry.h"
#include "plugins/formats/common/decorations.h"
#include "plugins/formats/common/json_numbers.h"
#include "plugins/formats/common/line_formats.h"

namespace auditrelay::formats {
namespace {

std::string_view join_logger_names(simdjson::dom::array names, Arena& arena) {
  size_t total = 0, count = 0;
  for (auto n : names) {
    std::string_view s;
    if (!n.get_string().get(s)) {
      total += s.size() + 1;
      ++count;
    }
  }
  if (count == 0) return {};
  if (count == 1) {
    std::string_view s;
    for (auto n : names)
      if (!n.get_string().get(s)) return s;
  }
  char* p = arena.allocate(total);
  size_t len = 0;
  for (auto n : names) {
    std::string_view s;
    if (n.get_string().get(s)) continue;
    if (len) p[len++] = '.';
    if (!s.empty()) std::memcpy(p + len, s.data(), s.size());
    len += s.size();
  }
  return {p, len};
}

void set_level(std::string_view level, ParsedEntry& out) {
  if (!parse_severity(level, out.severity)) {
    out.severity = Severity::Info;  // unknown levels ("slog.Level(N)") keep their text
    out.level_text = level;
    out.fields.push_back(Field{"level", Value::string(level)});
  }
}

bool parse_stackdriver(simdjson::dom::object obj, ParsedEntry& out) {
  bool has_severity = false, has_message = false;
  int64_t secs = 0;
  int64_t nanos = 0;
  bool has_secs = false;
  for (auto kv : obj) {
    std::string_view k = kv.key;
    if (k == "severity" || k == "logging.googleapis.com/severity") {
      std::string_view s;
      if (!kv.value.get_string().get(s)) {
        if (!parse_severity(s, out.severity)) out.severity = Severity::Info;
        has_severity = true;
      }
    } else if (k == "message") {
      std::string_view s;
      if (!kv.value.get_string().get(s)) out.message = s;
      has_message = true;
    } else if (k == "timestampSeconds") {
      has_secs = !kv.value.get_int64().get(secs);
    } else if (k == "timestampNanos") {
      if (kv.value.get_int64().get(nanos)) nanos = 0;
    } else if (k == "logging.googleapis.com/operation") {
      std::string_view producer;
      if (!kv.value["producer"].get_string().get(producer)) out.logger = producer;
    } else if (k.starts_with("logging.googleapis.com/")) {
      // source location, trace ids: envelope, not fields
    } else {
      out.fields.push_back(Field{k, value_from_element(kv.value)});
    }
  }
  if (!has_severity || !has_message) return false;
  if (has_secs) out.ts = Timestamp{secs, static_cast<uint32_t>(nanos), 9};
  out.format = "stackdriver";
  return true;
}

// The record's JSON object, after any launcher prefix and ANSI colours; false when it is none.
bool parse_object(std::string_view text, ParseScratch& scratch, simdjson::dom::object& obj) {
  std::string_view s = text;
  if (s.empty() || s.front() != '{') {
    s = strip_launcher_prefix(strip_ansi(s, scratch.arena));
    if (s.empty() || s.front() != '{') return false;
  }
  simdjson::dom::element root;
  // Records in a batch are followed by padding or by later records: both readable.
  if (auto error = scratch.parse_json_padded(s).get(root)) {
    if (error != simdjson::NUMBER_OUT_OF_RANGE && error != simdjson::NUMBER_ERROR) return false;
    // Rare: a number no machine type holds. Parse again with it as a string.
    std::string& quoted = scratch.text_b;
    if (!quote_unportable_numbers(s, quoted) || scratch.parse_json(quoted).get(root)) return false;
  }
  return !root.get_object().get(obj);
}

class SlogJsonFormat final : public Format {
 public:
  std::string_view name() const override { return "slog_json"; }
  std::unique_ptr<Framer> make_framer() const override {
    return std::make_unique<PlainFramer>(PlainFormats{.json = this, .text = &raw_format()});
  }

  bool parse(std::string_view text, ParseScratch& scratch, ParsedEntry& out) const override {
    simdjson::dom::object obj;
    if (!parse_object(text, scratch, obj)) return false;

    bool has_ts = false, has_level = false, has_msg = false;
    for (auto kv : obj) {
      std::string_view k = kv.key;
      switch (k.size()) {
        case 2:
          if (k == "ts") {
            std::string_view t;
            if (!kv.value.get_string().get(t)) has_ts = parse_rfc3339_memo(t, out.ts) || true;
            continue;
          }
          break;
        case 3:
          if (k == "msg") {
            std::string_view m;
            if (!kv.value.get_string().get(m)) out.message = m;
            has_msg = true;
            continue;
          }
          break;
        case 4:
          if (k == "func") continue;
          break;
        case 5:
          if (k == "level") {
            std::string_view l;
            if (!kv.value.get_string().get(l)) {
              set_level(l, out);
              has_level = true;
            }
            continue;
          }
          break;
        case 6:
          if (k == "caller") continue;
          if (k == "fields") {
            simdjson::dom::object fields;
            if (!kv.value.get_object().get(fields)) {
              for (auto f : fields) out.fields.push_back(Field{f.key, value_from_element(f.value)});
            }
            continue;
          }
          break;
        case 12:
          if (k == "logger_names") {
            simdjson::dom::array names;
            if (!kv.value.get_array().get(names))
              out.logger = join_logger_names(names, scratch.arena);
            continue;
          }
          break;
        default:
          break;
      }
      // trace, span and anything unexpected stay as fields
      out.fields.push_back(Field{k, value_from_element(kv.value)});
    }
    if (has_ts && has_level && has_msg) {
      out.format = "slog_json";
      return true;
    }
    out.clear();
    return parse_stackdriver(obj, out);
  }
};

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Format,
    .name = "slog_json",
    .summary =
        "Coder's JSON service log (--log-json), one object per line; also the Stackdriver sink",
    .format = &slog_json_format(),
    .entry_formats = {"slog_json", "stackdriver"},
});

}  // namespace

const Format& slog_json_format() {
  static const SlogJsonFormat format;
  return format;
}

}  // namespace auditrelay::formats
