#pragma once
// Runs text through the same path as `auditrelay normalize`: LineReader + framer of a format,
// then the Processor, and returns the events as parsed JSON.
#include <array>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/event/line_reader.h"
#include "core/registry/registry.h"
#include "coder/processor.h"
#include "support/temp_dir.h"

namespace auditrelay::test {

inline std::string sample_path(const std::string& name) { return std::string(AUDITRELAY_SAMPLES_DIR) + "/" + name; }

// Transforms with one output that takes every event in `schema` (defaults otherwise).
inline const coder::Transforms& transforms_for(Schema schema) {
  static const auto kEach = [] {
    std::array<std::unique_ptr<coder::Transforms>, kSchemaCount> each;
    for (size_t s = 0; s < kSchemaCount; ++s) {
      each[s] = std::make_unique<coder::Transforms>();
      each[s]->routes.emplace_back();
      each[s]->schemas.push_back(static_cast<Schema>(s));
    }
    return each;
  }();
  return *kEach[static_cast<size_t>(schema)];
}

inline std::vector<nlohmann::json> normalize_text(const std::string& text, const std::string& format = "auto",
                                                  const coder::Transforms* transforms = nullptr,
                                                  size_t chunk = 4096, Schema schema = Schema::AuditV1) {
  const Format* f = Registry::instance().format(format);
  if (!f) throw std::runtime_error("no format " + format);
  coder::Processor p(transforms ? *transforms : transforms_for(schema), nullptr);
  RecordBatch batch;
  auto src = std::make_shared<SourceInfo>();
  src->input = "test";
  src->type = "file";
  src->path = "/test.log";
  src->identity = "test";
  src->host = "testhost";
  batch.source = src;
  batch.observed = Timestamp{1'800'000'000, 0, 9};
  BatchSink sink(&batch);
  LineReader reader(f->make_framer(), 1 << 20);
  // Feed in chunks so records cross read boundaries as they do when tailing.
  std::string padded = text;
  padded.reserve(text.size() + 64);
  for (size_t off = 0; off < text.size(); off += chunk)
    reader.feed(std::string_view(padded).substr(off, std::min(chunk, text.size() - off)), off, sink);
  reader.finish(sink);
  EncodedBatch enc;
  p.process(batch, enc);
  std::vector<nlohmann::json> out;
  for (const auto& e : enc.events) out.push_back(nlohmann::json::parse(enc.event_json(e, schema)));
  return out;
}

inline std::vector<nlohmann::json> normalize_sample(const std::string& name, const std::string& format = "auto") {
  return normalize_text(slurp(sample_path(name)), format);
}

inline const nlohmann::json* find_by_id(const std::vector<nlohmann::json>& events, const std::string& id) {
  for (const auto& e : events)
    if (e.value("event_id", "") == id) return &e;
  return nullptr;
}

}  // namespace auditrelay::test
