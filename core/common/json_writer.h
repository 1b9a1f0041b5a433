#pragma once
// Appends compact JSON to a caller-owned buffer. Strings are escaped and made valid UTF-8
// (invalid bytes become U+FFFD), so whatever bytes a log line held, the output is valid JSON.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace auditrelay {

// Appends s as the body of a JSON string (no quotes).
void json_escape_append(std::string& out, std::string_view s);
// True when s can go between quotes as it is: printable ASCII without '"' or '\\' (most of
// every log line). Checks 8 bytes at a time.
bool json_plain(std::string_view s);
// Appends a quoted JSON string.
inline void json_string_append(std::string& out, std::string_view s) {
  out.push_back('"');
  json_escape_append(out, s);
  out.push_back('"');
}
void json_int_append(std::string& out, int64_t v);
void json_uint_append(std::string& out, uint64_t v);
void json_double_append(std::string& out, double v);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) { first_[0] = true; }

  void begin_object() {
    value_prefix();
    out_.push_back('{');
    push();
  }
  void end_object() {
    out_.push_back('}');
    pop();
  }
  void begin_array() {
    value_prefix();
    out_.push_back('[');
    push();
  }
  void end_array() {
    out_.push_back(']');
    pop();
  }

  void key(std::string_view k) {
    if (!first_[depth_]) out_.push_back(',');
    first_[depth_] = false;
    json_string_append(out_, k);
    out_.push_back(':');
    after_key_ = true;
  }
  // A key known to need no escaping (the schema's own keys).
  void key_literal(std::string_view k) {
    // One append instead of four: keys are short.
    char buf[64];
    size_t n = 0;
    if (!first_[depth_]) buf[n++] = ',';
    first_[depth_] = false;
    if (k.size() > sizeof(buf) - 4) {
      out_.append(buf, n);
      json_string_append(out_, k);
      out_.push_back(':');
    } else {
      buf[n++] = '"';
      std::memcpy(buf + n, k.data(), k.size());
      n += k.size();
      buf[n++] = '"';
      buf[n++] = ':';
      out_.append(buf, n);
    }
    after_key_ = true;
  }
  void string(std::string_view v) {
    value_prefix();
    json_string_append(out_, v);
  }
  void integer(int64_t v) {
    value_prefix();
    json_int_append(out_, v);
  }
  void uinteger(uint64_t v) {
    value_prefix();
    json_uint_append(out_, v);
  }
  void number(double v) {
    value_prefix();
    json_double_append(out_, v);
  }
  void boolean(bool v) {
    value_prefix();
    out_.append(v ? "true" : "false");
  }
  void null() {
    value_prefix();
    out_.append("null");
  }
  // Already-valid JSON text.
  void raw(std::string_view json) {
    value_prefix();
    out_.append(json);
  }

  // Already-valid members of the open object (`"a":1,"b":2`); nothing when empty.
  void members(std::string_view json) {
    if (json.empty()) return;
    if (!first_[depth_]) out_.push_back(',');
    first_[depth_] = false;
    out_.append(json);
  }

  // "k":"v" with a literal key. The common case (a short plain value) is one append.
  void field(std::string_view k, std::string_view v) {
    if (!try_plain_pair(k, v)) {
      key_literal(k);
      string(v);
    }
  }
  // "k":"v" only when v is not empty: schemas leave out what an event does not have.
  void field_if_set(std::string_view k, std::string_view v) {
    if (!v.empty()) field(k, v);
  }
  // "k":"v" where both are the program's own text, known to need no escaping (a schema's
  // names and captions): no per-byte check.
  void literal_field(std::string_view k, std::string_view v) {
    if (!try_plain_pair(k, v, /*plain_known=*/true)) {
      key_literal(k);
      string(v);
    }
  }
  // "k":"v" with a key that may need escaping (a log line's own field name).
  void string_field(std::string_view k, std::string_view v) {
    if (!json_plain(k) || !try_plain_pair(k, v)) {
      key(k);
      string(v);
    }
  }
  std::string& buffer() { return out_; }

 private:
  // Writes ,"k":"v" in one append when it fits a stack buffer and v needs no escaping.
  bool try_plain_pair(std::string_view k, std::string_view v, bool plain_known = false) {
    constexpr size_t kRoom = 256;
    if (after_key_ || depth_ == 0 || k.size() + v.size() + 6 > kRoom ||
        (!plain_known && !json_plain(v)))
      return false;
    char buf[kRoom];
    size_t n = 0;
    if (!first_[depth_]) buf[n++] = ',';
    first_[depth_] = false;
    buf[n++] = '"';
    std::memcpy(buf + n, k.data(), k.size());
    n += k.size();
    buf[n++] = '"';
    buf[n++] = ':';
    buf[n++] = '"';
    if (!v.empty()) std::memcpy(buf + n, v.data(), v.size());
    n += v.size();
    buf[n++] = '"';
    out_.append(buf, n);
    return true;
  }
  void value_prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ > 0) {
      if (!first_[depth_]) out_.push_back(',');
      first_[depth_] = false;
    }
  }
  void push() {
    if (depth_ + 1 < kMaxDepth) ++depth_;
    first_[depth_] = true;
  }
  void pop() {
    if (depth_ > 0) --depth_;
  }

  // simdjson parses at most 1024 levels; a value written whole (see write_deep_as_string) sits
  // a few levels inside an event.
  static constexpr int kMaxDepth = 1100;
  std::string& out_;
  int depth_ = 0;
  bool after_key_ = false;
  // Per open level: nothing written in it yet. Set by push() before any read, so not cleared
  // (a bitset cost 1.3% of all instructions in normalize_bench; clearing 1 KiB per event more).
  bool first_[kMaxDepth];
};

}  // namespace auditrelay
