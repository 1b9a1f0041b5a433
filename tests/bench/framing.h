#pragma once
// Frames generated text into record batches of ~256 KiB, as the file input does (benchmarks).
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/time.h"
#include "core/event/format.h"
#include "core/event/line_reader.h"
#include "core/event/record.h"

namespace auditrelay::bench {

inline std::vector<std::unique_ptr<RecordBatch>> frame(const std::string& text, const Format* f) {
  std::vector<std::unique_ptr<RecordBatch>> out;
  LineReader reader(f->make_framer(), 1 << 20);
  auto src = std::make_shared<SourceInfo>();
  src->input = "bench";
  src->type = "file";
  src->path = "/var/log/coder/coderd.log";
  src->identity = "fp:bench";
  src->host = "bench-host";
  const size_t chunk = 256 * 1024;
  for (size_t off = 0; off < text.size(); off += chunk) {
    auto b = std::make_unique<RecordBatch>();
    b->source = src;
    b->observed = now_timestamp();
    b->reserve(chunk + 8192);
    BatchSink sink(b.get());
    reader.feed(std::string_view(text).substr(off, std::min(chunk, text.size() - off)), off, sink);
    if (off + chunk >= text.size()) reader.finish(sink);
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace auditrelay::bench
