#include "coder/null_like.h"

#include <charconv>

#include "core/common/strings.h"

namespace auditrelay::coder {

namespace {
constexpr std::string_view kNilUuid = "00000000-0000-0000-0000-000000000000";

bool strip_valid_suffix(std::string_view& s, bool& valid) {
  if (s.size() >= 12 && s.substr(s.size() - 12) == " Valid:true}") {
    valid = true;
    s.remove_suffix(12);
    return true;
  }
  if (s.size() >= 13 && s.substr(s.size() - 13) == " Valid:false}") {
    valid = false;
    s.remove_suffix(13);
    return true;
  }
  return false;
}
}  // namespace

std::string_view clean_text(std::string_view s) {
  if (s.empty() || s == "<nil>" || s == kNilUuid) return {};
  if (s.front() == '{' && s.back() == '}') {
    std::string_view inner = s;
    bool valid = false;
    if (strip_valid_suffix(inner, valid)) {
      if (!valid) return {};
      if (inner.starts_with("{String:")) return clean_text(inner.substr(8));
      if (inner.starts_with("{Int32:")) return clean_text(inner.substr(7));
      if (inner.starts_with("{Int64:")) return clean_text(inner.substr(7));
      if (inner.starts_with("{UUID:")) return clean_text(inner.substr(6));
      if (inner.starts_with("{Bool:")) return clean_text(inner.substr(6));
      if (inner.starts_with("{Time:")) return clean_text(inner.substr(6));
      if (inner.starts_with("{IPNet:{IP:")) {
        std::string_view rest = inner.substr(11);
        size_t sp = rest.find(" Mask:");
        return clean_text(sp == std::string_view::npos ? rest : rest.substr(0, sp));
      }
    }
  }
  return s;
}

std::string_view text_of(const Value& v, char* buf) {
  switch (v.type) {
    case Value::Type::String: return clean_text(v.text);
    case Value::Type::Number: return v.text;
    case Value::Type::Int: {
      auto r = std::to_chars(buf, buf + 24, v.i);
      return {buf, static_cast<size_t>(r.ptr - buf)};
    }
    case Value::Type::UInt: {
      auto r = std::to_chars(buf, buf + 24, v.u);
      return {buf, static_cast<size_t>(r.ptr - buf)};
    }
    case Value::Type::Bool: return v.i ? "true" : "false";
    default: return {};
  }
}

bool is_null_like(const Value& v) {
  switch (v.type) {
    case Value::Type::Absent:
    case Value::Type::Null: return true;
    case Value::Type::String: return clean_text(v.text).empty();
    default: return false;
  }
}

}  // namespace auditrelay::coder
