// Parse + normalize + JSON encode throughput per format on one core, with allocations per line
// counted in steady state. Run: ./build/tests/bench/normalize_bench [lines] [reference|heavy]
// [slog_json|slog_human|auto(json)|auto(human)|all] [audit_v1|ocsf|ecs]
// The schema (default audit_v1) is the one output's encoding: compare ocsf or ecs with audit_v1
// for what encoding to them costs.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "core/event/line_reader.h"
#include "core/registry/registry.h"
#include "coder/processor.h"
#include "tests/bench/framing.h"
#include "tests/bench/generator.h"
#include "tests/bench/process_stats.h"

namespace {
std::atomic<uint64_t> g_allocs{0};
}

// Every heap allocation is counted at the malloc level, so C libraries (OpenSSL, simdjson's
// C++ and ours through operator new) are all seen, not only `new`.
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* malloc(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
}

using namespace auditrelay;
using Clock = std::chrono::steady_clock;
using bench::cpu_seconds;

namespace {

using bench::frame;

void run(const char* label, const std::string& text, const char* format, size_t entries,
         Schema schema) {
  const Format* f = Registry::instance().format(format);
  // Framing writes every batch into new memory, so its figure includes first-touch page faults.
  auto t0 = Clock::now();
  auto batches = frame(text, f);
  double frame_s = std::chrono::duration<double>(Clock::now() - t0).count();

  coder::Transforms transforms;
  transforms.routes.emplace_back();
  transforms.schemas.push_back(schema);
  coder::Processor proc(transforms, nullptr);
  EncodedBatch enc;
  // Warm-up pass: buffers reach their steady-state capacity.
  for (auto& b : batches) {
    enc.json.clear();
    enc.attrs.clear();
    enc.events.clear();
    proc.process(*b, enc);
  }
  // Several timed passes over the same batches; the median is printed because this VM's
  // neighbours make any single pass 10-20 % slower now and then (min and max shown too).
  constexpr int kPasses = 5;
  std::vector<double> rates;
  uint64_t allocs = 0;
  size_t events = 0;
  double cpu = 0;
  for (int pass = 0; pass < kPasses; ++pass) {
    uint64_t allocs0 = g_allocs.load();
    double cpu0 = cpu_seconds();
    auto t1 = Clock::now();
    events = 0;
    for (auto& b : batches) {
      enc.json.clear();
      enc.attrs.clear();
      enc.events.clear();
      events += proc.process(*b, enc);
    }
    double secs = std::chrono::duration<double>(Clock::now() - t1).count();
    cpu += cpu_seconds() - cpu0;
    allocs += g_allocs.load() - allocs0;
    rates.push_back(events / secs);
  }
  std::sort(rates.begin(), rates.end());
  const double median = rates[kPasses / 2];
  const double bytes_per_line = static_cast<double>(text.size()) / entries;
  std::printf(
      "%-11s entries %8zu  events %8zu  parse+normalize+encode: %9.0f lines/s (median of %d, "
      "%.0f-%.0f)  %7.1f MB/s  %6.2f CPU s/GB  allocs/line %.3f  | framing: %7.1f MB/s\n",
      label, entries, events, median, kPasses, rates.front(), rates.back(),
      median * bytes_per_line / 1e6, cpu / (kPasses * text.size() / 1e9),
      static_cast<double>(allocs) / (kPasses * static_cast<double>(events)),
      text.size() / 1e6 / frame_s);
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  auto mix = bench::mix_from_name(argc > 2 ? argv[2] : nullptr);
  bench::CoderLineGenerator gj(7, mix), gh(7, mix);
  std::string json, human;
  json.reserve(n * 600);  // the heavy mix averages ~580 B per line; growth copies otherwise
  human.reserve(n * 480);
  for (size_t i = 0; i < n; ++i) {
    gj.json_line(json);
    gh.human_line(human);
  }
  std::printf("auditrelay normalize benchmark: %zu entries per format, %s mix, single thread\n", n,
              bench::mix_name(mix));
  std::printf("json  input: %.1f MB (%.0f bytes/line avg)\n", json.size() / 1e6,
              static_cast<double>(json.size()) / n);
  std::printf("human input: %.1f MB (%.0f bytes/entry avg)\n", human.size() / 1e6,
              static_cast<double>(human.size()) / n);
  // An optional third argument runs one of them only (profiling: callgrind, perf).
  const std::string only = argc > 3 ? argv[3] : "all";
  auto wanted = [&](const char* label) { return only == "all" || only == label; };
  Schema schema = Schema::AuditV1;
  if (argc > 4 && !parse_schema(argv[4], schema)) {
    std::fprintf(stderr, "unknown schema %s (%s)\n", argv[4], std::string(kSchemaChoices).c_str());
    return 2;
  }
  std::printf("schema: %s\n", std::string(schema_name(schema)).c_str());
  if (wanted("slog_json")) run("slog_json", json, "slog_json", n, schema);
  if (wanted("slog_human")) run("slog_human", human, "slog_human", n, schema);
  if (wanted("auto(json)")) run("auto(json)", json, "auto", n, schema);
  if (wanted("auto(human)")) run("auto(human)", human, "auto", n, schema);
  std::printf("peak RSS: %.1f MiB\n", bench::peak_rss_kib() / 1024.0);
  return 0;
}
