#include "plugins/outputs/otlp/otlp_response.h"

#include <simdjson.h>

#include <charconv>

namespace auditrelay {
namespace {

// Reads protobuf fields one by one; stops (returns false) at the end or on malformed input.
class ProtobufReader {
 public:
  explicit ProtobufReader(std::string_view data) : data_(data) {}

  struct Field {
    uint32_t number = 0;
    uint64_t varint = 0;     // wire type 0
    std::string_view bytes;  // wire type 2
  };

  bool next(Field& f) {
    uint64_t tag;
    if (!read_varint(tag)) return false;
    f.number = static_cast<uint32_t>(tag >> 3);
    switch (tag & 7) {
      case 0:
        return read_varint(f.varint);
      case 1:
        return skip(8);
      case 5:
        return skip(4);
      case 2: {
        uint64_t len;
        if (!read_varint(len) || len > data_.size() - pos_) return false;
        f.bytes = data_.substr(pos_, len);
        pos_ += len;
        return true;
      }
      default:
        return false;
    }
  }

 private:
  bool read_varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool skip(size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

simdjson::dom::element parse_json(simdjson::dom::parser& parser, std::string_view body, bool& ok) {
  simdjson::dom::element root;
  ok = !body.empty() && !parser.parse(body.data(), body.size()).get(root);
  return root;
}

}  // namespace

OtlpPartialSuccess parse_partial_success(std::string_view body, bool json) {
  OtlpPartialSuccess out;
  if (json) {
    simdjson::dom::parser parser;
    bool ok;
    auto root = parse_json(parser, body, ok);
    simdjson::dom::element ps;
    if (!ok || root["partialSuccess"].get(ps)) return out;
    // int64 in proto3 JSON is a string, but a number is accepted too.
    simdjson::dom::element n;
    std::string_view s;
    int64_t v;
    if (!ps["rejectedLogRecords"].get(n)) {
      if (!n.get_int64().get(v))
        out.rejected_log_records = v;
      else if (!n.get_string().get(s))
        std::from_chars(s.data(), s.data() + s.size(), out.rejected_log_records);
    }
    if (!ps["errorMessage"].get_string().get(s)) out.error_message = s;
    return out;
  }
  ProtobufReader response(body);
  ProtobufReader::Field f;
  while (response.next(f)) {
    if (f.number != 1) continue;
    ProtobufReader partial(f.bytes);
    ProtobufReader::Field g;
    while (partial.next(g)) {
      if (g.number == 1) out.rejected_log_records = static_cast<int64_t>(g.varint);
      if (g.number == 2) out.error_message = g.bytes;
    }
  }
  return out;
}

std::string status_message(std::string_view body, bool json) {
  if (json) {
    simdjson::dom::parser parser;
    bool ok;
    auto root = parse_json(parser, body, ok);
    std::string_view s;
    if (ok && !root["message"].get_string().get(s)) return std::string(s);
    return {};
  }
  ProtobufReader status(body);
  ProtobufReader::Field f;
  while (status.next(f))
    if (f.number == 2) return std::string(f.bytes);
  return {};
}

}  // namespace auditrelay
