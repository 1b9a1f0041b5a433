#pragma once
// Protocol Buffers wire format, written directly into a string: the few OTLP messages the otlp
// output sends. tests/bench/otlp_encode_bench builds the same requests with libprotobuf's
// generated classes (arena-allocated) and SerializeToString: that costs 4.3x the instructions of
// this writer per event (callgrind), which would have put the otlp output well outside 20 % of
// the http output's CPU per event. The tests decode every request with libprotobuf.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace auditrelay {

class ProtobufWriter {
 public:
  explicit ProtobufWriter(std::string& out) : out_(out) {}

  enum WireType : uint8_t { Varint = 0, Fixed64 = 1, Len = 2, Fixed32 = 5 };

  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void tag(uint32_t field, WireType type) { varint((uint64_t{field} << 3) | type); }

  void uint_field(uint32_t field, uint64_t v) {
    tag(field, Varint);
    varint(v);
  }
  // int64 fields take negative numbers as ten-byte two's complement varints.
  void int_field(uint32_t field, int64_t v) { uint_field(field, static_cast<uint64_t>(v)); }
  void bool_field(uint32_t field, bool v) { uint_field(field, v ? 1 : 0); }
  void fixed64_field(uint32_t field, uint64_t v) {
    tag(field, Fixed64);
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));  // little-endian
    out_.append(b, 8);
  }
  void double_field(uint32_t field, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    fixed64_field(field, bits);
  }
  void bytes_field(uint32_t field, std::string_view v) {
    tag(field, Len);
    varint(v.size());
    out_.append(v);
  }

  // A nested message: begin() writes its tag and keeps one byte for the length, end() writes
  // the length there, moving the body when the length needs more than one byte (most
  // attributes are shorter than 128 bytes and are never moved).
  size_t begin(uint32_t field) {
    tag(field, Len);
    out_.push_back('\0');
    return out_.size();
  }
  void end(size_t body_start) {
    const size_t len = out_.size() - body_start;
    if (len < 0x80) {
      out_[body_start - 1] = static_cast<char>(len);
      return;
    }
    char buf[10];
    size_t n = 0;
    for (uint64_t v = len; v >= 0x80; v >>= 7) buf[n++] = static_cast<char>(v | 0x80);
    buf[n] = static_cast<char>(len >> (7 * n));
    ++n;
    out_.insert(body_start - 1, n - 1, '\0');
    std::memcpy(out_.data() + body_start - 1, buf, n);
  }

  std::string& out() { return out_; }

 private:
  std::string& out_;
};

}  // namespace auditrelay
