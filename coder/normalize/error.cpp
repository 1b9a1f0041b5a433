// flatten_error (coder/normalizer.h): Coder's error value as one line.
#include "coder/normalizer.h"
#include "coder/null_like.h"

namespace auditrelay::coder {
namespace {

void append(std::string& s, std::string_view part) {
  if (part.empty()) return;
  if (!s.empty()) s += ": ";
  s += part;
}

// An xerrors chain: its strings, and its objects' msg (or message), joined with ": ".
void flatten_chain(simdjson::dom::array chain, std::string& out) {
  for (auto item : chain) {
    std::string_view s;
    simdjson::dom::object o;
    if (!item.get_string().get(s)) {
      append(out, s);
    } else if (!item.get_object().get(o)) {
      std::string_view m;
      if (!o["msg"].get_string().get(m))
        append(out, m);
      else if (!o["message"].get_string().get(m))
        append(out, m);
    }
  }
}

// An error object: its message (or msg) and detail, else its compact JSON.
void flatten_object(simdjson::dom::element el, simdjson::dom::object obj, std::string& out) {
  std::string_view m, d;
  bool has_m = !obj["message"].get_string().get(m);
  bool has_d = !obj["detail"].get_string().get(d);
  if (!has_m && !obj["msg"].get_string().get(m)) has_m = true;
  if (has_m) {
    out = m;
    if (has_d && !d.empty()) append(out, d);
  } else {
    out = simdjson::minify(el);
  }
}

}  // namespace

std::string_view flatten_error(const Value& v, Arena& arena, std::string& out) {
  switch (v.type) {
    case Value::Type::String:
      return clean_text(v.text).empty() ? std::string_view{} : v.text;
    case Value::Type::Json: {
      out.clear();
      simdjson::dom::array arr;
      simdjson::dom::object obj;
      if (!v.el.get_array().get(arr))
        flatten_chain(arr, out);
      else if (!v.el.get_object().get(obj))
        flatten_object(v.el, obj, out);
      if (out.empty()) return {};
      return arena.copy(out);
    }
    case Value::Type::Absent:
    case Value::Type::Null:
      return {};
    default: {
      char buf[24];
      return arena.copy(text_of(v, buf));
    }
  }
}

}  // namespace auditrelay::coder
