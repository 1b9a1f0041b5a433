#pragma once
// A source field's value as a parser found it, before normalization. Strings are views into the
// batch or the worker's arena; JSON objects and arrays are simdjson DOM elements.
#include <simdjson.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace auditrelay {

struct Value {
  enum class Type : uint8_t {
    Absent,
    Null,
    String,   // text holds the decoded string
    Number,   // text holds a JSON number token (human format bare numbers)
    Int,
    UInt,
    Double,
    Bool,
    Json,     // el is an object or array
  };
  Type type = Type::Absent;
  std::string_view text;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  simdjson::dom::element el;

  static Value null() { Value v; v.type = Type::Null; return v; }
  static Value string(std::string_view s) { Value v; v.type = Type::String; v.text = s; return v; }
  static Value integer(int64_t x) { Value v; v.type = Type::Int; v.i = x; return v; }
  static Value boolean(bool b) { Value v; v.type = Type::Bool; v.i = b; return v; }
};

struct Field {
  std::string_view key;
  Value value;
};

// By-value views of an element (a simdjson_result temporary must not be iterated through a
// reference: it dies at the end of the full expression).
inline simdjson::dom::object object_of(simdjson::dom::element el) {
  simdjson::dom::object o;
  if (el.get_object().get(o)) return {};
  return o;
}
inline simdjson::dom::array array_of(simdjson::dom::element el) {
  simdjson::dom::array a;
  if (el.get_array().get(a)) return {};
  return a;
}
inline bool non_empty_object(const simdjson::dom::element& el) {
  simdjson::dom::object o;
  return !el.get_object().get(o) && o.size() > 0;
}

// Converts a DOM element into a Value (scalars decoded, objects/arrays kept as elements).
inline Value value_from_element(simdjson::dom::element el) {
  using simdjson::dom::element_type;
  Value v;
  switch (el.type()) {
    case element_type::STRING: v.type = Value::Type::String; v.text = el.get_string().value_unsafe(); break;
    case element_type::INT64: v.type = Value::Type::Int; v.i = el.get_int64().value_unsafe(); break;
    case element_type::UINT64: v.type = Value::Type::UInt; v.u = el.get_uint64().value_unsafe(); break;
    case element_type::DOUBLE: v.type = Value::Type::Double; v.d = el.get_double().value_unsafe(); break;
    case element_type::BOOL: v.type = Value::Type::Bool; v.i = el.get_bool().value_unsafe(); break;
    case element_type::NULL_VALUE: v.type = Value::Type::Null; break;
    default: v.type = Value::Type::Json; v.el = el; break;
  }
  return v;
}

}  // namespace auditrelay
