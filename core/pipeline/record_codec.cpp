#include "core/pipeline/record_codec.h"

#include <zlib.h>

#include <cstring>

namespace auditrelay {
namespace {

// Set in the category byte when a u16 class id follows it (records written before the class
// existed have categories below 0x80 and read as class 0).
constexpr uint8_t kHasClassId = 0x80;

void put64(std::string& s, uint64_t v) {
  s.append(reinterpret_cast<const char*>(&v), 8);
}
void put_str(std::string& s, std::string_view v) {
  put_u32(s, static_cast<uint32_t>(v.size()));
  s.append(v);
}

struct Reader {
  std::string_view d;
  size_t p = 0;
  bool ok = true;
  uint32_t u32() {
    if (p + 4 > d.size()) return ok = false, 0;
    uint32_t v;
    std::memcpy(&v, d.data() + p, 4);
    p += 4;
    return v;
  }
  uint64_t u64() {
    if (p + 8 > d.size()) return ok = false, 0;
    uint64_t v;
    std::memcpy(&v, d.data() + p, 8);
    p += 8;
    return v;
  }
  uint16_t u16() {
    if (p + 2 > d.size()) return ok = false, 0;
    uint16_t v;
    std::memcpy(&v, d.data() + p, 2);
    p += 2;
    return v;
  }
  uint8_t u8() {
    if (p + 1 > d.size()) return ok = false, 0;
    return static_cast<uint8_t>(d[p++]);
  }
  std::string_view str() {
    uint32_t n = u32();
    if (!ok || p + n > d.size()) return ok = false, std::string_view{};
    std::string_view v = d.substr(p, n);
    p += n;
    return v;
  }
};

// One event's attributes, in the order PayloadWriter::add writes them; the text goes to b.attrs.
EventMeta read_meta(Reader& r, EncodedBatch& b) {
  EventMeta m;
  m.time.seconds = static_cast<int64_t>(r.u64());
  m.time.nanos = r.u32();
  m.time.digits = static_cast<int8_t>(r.u8());
  uint8_t category = r.u8();
  if (category & kHasClassId) {
    category &= static_cast<uint8_t>(~kHasClassId);
    m.class_id = r.u16();
  }
  m.category = category;
  m.severity = static_cast<Severity>(r.u8());
  for (Slice& text : m.text) {
    std::string_view s = r.str();
    text = Slice{static_cast<uint32_t>(b.attrs.size()), static_cast<uint32_t>(s.size())};
    b.attrs.append(s);
  }
  return m;
}

}  // namespace

void put_u32(std::string& s, uint32_t v) {
  s.append(reinterpret_cast<const char*>(&v), 4);
}

uint32_t crc32_of(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

PayloadWriter::PayloadWriter(const SourceInfo* src, size_t reserve) {
  out_.reserve(reserve + 64);
  put_u32(out_, 0);  // count, patched by finish()
  put_str(out_, src ? src->input : "");
  put_str(out_, src ? src->path : "");
  put_str(out_, src ? src->host : "");
}

void PayloadWriter::add(const EventMeta& m, const EncodedBatch& from, std::string_view json) {
  ++count_;
  put64(out_, static_cast<uint64_t>(m.time.seconds));
  put_u32(out_, m.time.nanos);
  out_.push_back(static_cast<char>(m.time.digits));
  out_.push_back(static_cast<char>(m.category | kHasClassId));
  out_.append(reinterpret_cast<const char*>(&m.class_id), 2);
  out_.push_back(static_cast<char>(m.severity));
  for (Slice text : m.text) put_str(out_, from.attr(text));
  put_str(out_, json);
}

std::string PayloadWriter::finish() {
  std::memcpy(out_.data(), &count_, 4);
  return std::move(out_);
}

std::shared_ptr<EncodedBatch> decode_payload(std::string_view payload) {
  auto b = std::make_shared<EncodedBatch>();
  Reader r{payload};
  uint32_t count = r.u32();
  auto src = std::make_shared<SourceInfo>();
  src->input = std::string(r.str());
  src->path = std::string(r.str());
  src->host = std::string(r.str());
  b->source = src;
  b->json.reserve(payload.size());
  for (uint32_t i = 0; i < count && r.ok; ++i) {
    EncodedEvent e;
    e.meta = read_meta(r, *b);
    std::string_view json = r.str();
    // A payload holds the one encoding its output sends, which then serves every schema slot.
    e.json.fill(Slice{static_cast<uint32_t>(b->json.size()), static_cast<uint32_t>(json.size())});
    b->json.append(json);
    e.routes = ~uint64_t{0};
    b->events.push_back(e);
  }
  if (!r.ok) return nullptr;
  return b;
}

}  // namespace auditrelay
