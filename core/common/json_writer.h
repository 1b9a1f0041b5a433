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
// json_plain(s) and, when true, s copied to dst (room for s.size() bytes) in the same pass; when
// false, dst holds some of s.
bool json_copy_plain(char* dst, std::string_view s);
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
  // For JsonMembers: true when the open object already has a member; it has one more now.
  bool next_member() {
    bool had = !first_[depth_];
    first_[depth_] = false;
    return had;
  }

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

// Members of the writer's open object, gathered on the stack and appended in one go: a run of
// plain short members costs one string append instead of one per member (each append with its
// capacity check was ~55 instructions; with the runs of event_writer.cpp normalize_bench's
// write_event_json went 367.9M -> 312.8M Ir, callgrind). Values
// that need escaping or do not fit go straight to the buffer; the bytes are the same as
// JsonWriter's. It may open objects of its own (begin_object/end_object, a few levels); the
// writer is not told of them, so nothing else may write through it until flush() or the end.
class JsonMembers {
 public:
  explicit JsonMembers(JsonWriter& w) : w_(w) {}
  ~JsonMembers() { flush(); }
  JsonMembers(const JsonMembers&) = delete;
  JsonMembers& operator=(const JsonMembers&) = delete;

  // "k":"v" with a literal key.
  void field(std::string_view k, std::string_view v) { pair(k, true, v, false); }
  void field_if_set(std::string_view k, std::string_view v) {
    if (!v.empty()) field(k, v);
  }
  // "k":"v" where both are the program's own text (names, captions, formatted times).
  void literal_field(std::string_view k, std::string_view v) { pair(k, true, v, true); }
  // "k":"v" with a key that may need escaping (a log line's own field name).
  void string_field(std::string_view k, std::string_view v) { pair(k, false, v, false); }
  // "k":<digits> with a literal key.
  void integer_field(std::string_view k, int64_t v);
  // "k":<json> where json is already valid JSON text (a number, true, false) and k a log
  // line's own field name.
  void raw_member(std::string_view k, std::string_view json);
  // "k":{ with a literal key; members follow until end_object().
  void begin_object(std::string_view k) {
    key(k);
    buf_[n_++] = '{';
    first_[++depth_] = true;
  }
  void end_object() {
    room(1);
    buf_[n_++] = '}';
    --depth_;
  }
  // Room for at most `need` bytes at the end of the run: write there, then commit() what was
  // written. A separator for a member at the open level is the caller's (see comma()).
  char* room(size_t need) {
    if (n_ + need > kRoom) flush();
    return buf_ + n_;
  }
  void commit(size_t n) { n_ += n; }
  // Room for a member of at most `most` bytes at the open level, after its separator: write it
  // there, then commit() what was written. most <= kRoom - 1.
  char* begin_member(size_t most) {
    room(most + 1);
    comma();
    return buf_ + n_;
  }
  // Puts the separator a new member of the open level needs, if any; call after room().
  void comma() {
    if (depth_ == 0 ? w_.next_member() : !first_[depth_]) buf_[n_++] = ',';
    first_[depth_] = false;
  }
  void flush() {
    if (n_ > 0) w_.buffer().append(buf_, n_);
    n_ = 0;
  }

  static constexpr size_t kRoom = 1024;

 private:
  void key(std::string_view k) {
    room(k.size() + 5);
    comma();
    buf_[n_++] = '"';
    std::memcpy(buf_ + n_, k.data(), k.size());
    n_ += k.size();
    buf_[n_++] = '"';
    buf_[n_++] = ':';
  }
  // "k":"v"; k_plain and v_plain say they are known to need no escaping (else checked while
  // copied). Inline so that a literal key's copy is a few stores.
  [[gnu::always_inline]] void pair(std::string_view k, bool k_plain, std::string_view v,
                                   bool v_plain) {
    if (k.size() + v.size() + 7 > kRoom) {
      room(1);
      comma();
      escaped_pair(k, v);
      return;
    }
    room(k.size() + v.size() + 7);
    comma();
    char* p = buf_ + n_;
    *p++ = '"';
    if (k_plain)
      std::memcpy(p, k.data(), k.size());
    else if (!json_copy_plain(p, k))
      return escaped_pair(k, v);
    p += k.size();
    std::memcpy(p, "\":\"", 3);
    p += 3;
    if (v_plain) {
      if (!v.empty()) std::memcpy(p, v.data(), v.size());
    } else if (!json_copy_plain(p, v))
      return escaped_pair(k, v);
    p += v.size();
    *p++ = '"';
    n_ = static_cast<size_t>(p - buf_);
  }
  // "k":"v" escaped, straight to the writer's buffer (after the run and its separator).
  void escaped_pair(std::string_view k, std::string_view v);

  static constexpr int kMaxDepth = 4;
  JsonWriter& w_;
  size_t n_ = 0;
  int depth_ = 0;
  bool first_[kMaxDepth + 1] = {};
  char buf_[kRoom];
};

}  // namespace auditrelay
