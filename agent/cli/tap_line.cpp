#include "agent/cli/tap_line.h"

#include <simdjson.h>

#include <algorithm>

namespace auditrelay {
namespace {

std::string_view str_at(simdjson::dom::element e, std::string_view pointer) {
  std::string_view v;
  if (e.at_pointer(pointer).get(v) != simdjson::SUCCESS) return {};
  return v;
}

const char* severity_colour(std::string_view severity) {
  if (severity == "error" || severity == "critical" || severity == "fatal") return "\033[31m";
  if (severity == "warn") return "\033[33m";
  if (severity == "debug" || severity == "trace") return "\033[2m";
  return "";
}

// Control characters (C0, DEL, and C1 as UTF-8) written as \xNN: a log line or an API row
// must not be able to move the cursor, clear the screen or start a new line on the terminal.
void append_printable(std::string& out, std::string_view text) {
  static const char* const kHex = "0123456789abcdef";
  auto escape = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (c < 0x20 || c == 0x7f) {
      escape(c);
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
      escape(c);
      escape(next);
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
}

void add(std::string& out, std::string_view part) {
  if (part.empty()) return;
  if (!out.empty()) out += "  ";
  append_printable(out, part);
}

}  // namespace

std::string readable_tap_line(std::string_view json, bool colour) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json.data(), json.size()).get(e) != simdjson::SUCCESS ||
      str_at(e, "/schema") != "audit/v1")
    return std::string(json);
  std::string_view time = str_at(e, "/time"), severity = str_at(e, "/severity");
  // Time of day: the date is the same for every line of a live view.
  if (size_t t = time.find('T'); t != std::string_view::npos) time = time.substr(t + 1);
  if (time.size() > 12) time = time.substr(0, 12);
  std::string sev;
  append_printable(sev, severity);
  for (auto& c : sev) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (sev.size() < 5) sev.resize(5, ' ');
  std::string kind;
  append_printable(kind, str_at(e, "/kind"));
  kind.resize(std::max<size_t>(kind.size() + 1, 11), ' ');  // "connection" and a space

  std::string body;
  add(body, str_at(e, "/action"));
  add(body, str_at(e, "/actor/username"));
  std::string resource(str_at(e, "/resource/type"));
  std::string_view target = str_at(e, "/resource/target");
  if (target.empty()) target = str_at(e, "/resource/name");
  if (!target.empty()) resource += (resource.empty() ? "" : " ") + std::string(target);
  add(body, resource);
  add(body, str_at(e, "/connection/type"));
  if (str_at(e, "/kind") == "log") {
    add(body, str_at(e, "/logger"));
    add(body, str_at(e, "/message"));
    add(body, str_at(e, "/error"));
  }
  std::string_view rule = str_at(e, "/alert/rule");

  std::string line;
  append_printable(line, time);
  line += ' ';
  const char* c = colour ? severity_colour(severity) : "";
  line += c;
  line += sev;
  if (*c) line += "\033[0m";
  line += ' ';
  line += kind;
  line += body;
  if (!rule.empty()) {
    line += colour ? "  \033[1;31m[" : "  [";
    append_printable(line, rule);
    line += colour ? "]\033[0m" : "]";
  }
  return line;
}

}  // namespace auditrelay
