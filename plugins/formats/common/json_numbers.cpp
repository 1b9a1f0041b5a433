#include "plugins/formats/common/json_numbers.h"

#include "core/common/strings.h"

namespace auditrelay::formats {
namespace {

bool number_char(char c) {
  return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// The end of the JSON string that opens at json[start] (just past its closing quote).
size_t string_end(std::string_view json, size_t start) {
  size_t i = start + 1;
  while (i < json.size()) {
    if (json[i] == '\\')
      i += 2;
    else if (json[i++] == '"')
      return i;
  }
  return json.size();
}

}  // namespace

bool quote_unportable_numbers(std::string_view json, std::string& out) {
  out.clear();
  out.reserve(json.size() + 16);
  bool changed = false;
  size_t i = 0;
  while (i < json.size()) {
    char c = json[i];
    if (c == '"') {
      size_t end = string_end(json, i);
      out.append(json.substr(i, end - i));
      i = end;
    } else if (c == '-' || is_digit(c)) {
      size_t end = i;
      while (end < json.size() && number_char(json[end])) ++end;
      std::string_view token = json.substr(i, end - i);
      if (is_json_number(token) && !is_portable_json_number(token)) {
        out.push_back('"');
        out.append(token);
        out.push_back('"');
        changed = true;
      } else {
        out.append(token);
      }
      i = end;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return changed;
}

}  // namespace auditrelay::formats
