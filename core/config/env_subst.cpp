#include "core/config/env_subst.h"

#include <cstdlib>
#include <string_view>

namespace auditrelay {

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

namespace {
bool valid_name(const std::string& n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}
}  // namespace

std::string substitute_env(const std::string& text, const EnvLookup& env, Diagnostics& diags) {
  std::string out;
  out.reserve(text.size());
  int line = 1;
  char quote = 0;  // the quote the current scalar is in, on this line
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      quote = 0;
    } else if (quote == 0 && c == '#' &&
               (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n')) {
      // A YAML comment: copied as it is, so commented-out examples need no variables.
      size_t nl = text.find('\n', i);
      if (nl == std::string::npos) nl = text.size();
      out.append(text, i, nl - i);
      i = nl;
      continue;
    } else if (quote == 0 && (c == '"' || c == '\'') &&
               (i == 0 ||
                std::string_view(" \t\n[{,:-").find(text[i - 1]) != std::string_view::npos)) {
      quote = c;
    } else if (quote == c && !(c == '"' && i > 0 && text[i - 1] == '\\')) {
      quote = 0;
    }
    if (c == '$' && i + 2 < text.size() && text[i + 1] == '$' && text[i + 2] == '{') {
      out += "${";
      i += 3;
      continue;
    }
    if (c != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 2);
    size_t nl = text.find('\n', i + 2);
    if (close == std::string::npos || (nl != std::string::npos && nl < close)) {
      diags.error(line, "", "unterminated '${' in environment reference");
      out.push_back(c);
      ++i;
      continue;
    }
    std::string body = text.substr(i + 2, close - i - 2);
    std::string name = body, op, arg;
    size_t colon = body.find(':');
    if (colon != std::string::npos && colon + 1 < body.size() &&
        (body[colon + 1] == '-' || body[colon + 1] == '?')) {
      name = body.substr(0, colon);
      op = body.substr(colon, 2);
      arg = body.substr(colon + 2);
    }
    if (!valid_name(name)) {
      diags.error(line, "", "invalid environment variable reference '${" + body + "}'");
      i = close + 1;
      continue;
    }
    auto value = env(name);
    if (value && value->empty() && !op.empty())
      value.reset();  // ":-" and ":?" treat empty as unset
    if (value) {
      out += *value;
    } else if (op == ":-") {
      out += arg;
    } else {
      diags.error(line, "",
                  op == ":?" ? "environment variable " + name +
                                   " is required: " + (arg.empty() ? std::string("not set") : arg)
                             : "environment variable " + name + " is not set (use ${" + name +
                                   ":-default} for a default)");
      diags.unresolved_at(line);
      // A placeholder keeps the value a scalar, so the rest of the config is still checked.
      out += "unset-" + name;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace auditrelay
