// Parse + normalize + JSON encode throughput per format on one core, with allocations per line
// counted in steady state. Run: ./build/tests/bench/normalize_bench [lines] [reference|heavy]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "agent/event/line_reader.h"
#include "agent/registry/registry.h"
#include "coder/processor.h"
#include "tests/bench/framing.h"
#include "tests/bench/generator.h"

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

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

using bench::frame;

void run(const char* label, const std::string& text, const char* format, size_t entries) {
  const Format* f = Registry::instance().format(format);
  auto t0 = Clock::now();
  auto batches = frame(text, f);
  double frame_s = std::chrono::duration<double>(Clock::now() - t0).count();

  coder::Transforms transforms;
  coder::Processor proc(transforms, nullptr);
  EncodedBatch enc;
  // Warm-up pass: buffers reach their steady-state capacity.
  for (auto& b : batches) {
    enc.json.clear();
    enc.attrs.clear();
    enc.events.clear();
    proc.process(*b, enc);
  }
  uint64_t allocs0 = g_allocs.load();
  double cpu0 = cpu_seconds();
  auto t1 = Clock::now();
  size_t events = 0, out_bytes = 0;
  for (auto& b : batches) {
    enc.json.clear();
    enc.attrs.clear();
    enc.events.clear();
    events += proc.process(*b, enc);
    out_bytes += enc.json.size();
  }
  double secs = std::chrono::duration<double>(Clock::now() - t1).count();
  double cpu = cpu_seconds() - cpu0;
  uint64_t allocs = g_allocs.load() - allocs0;
  double mb = text.size() / 1e6;
  std::printf(
      "%-11s entries %8zu  events %8zu  parse+normalize+encode: %9.0f lines/s  %7.1f MB/s  "
      "%6.2f CPU s/GB  allocs/line %.3f  | framing: %7.1f MB/s\n",
      label, entries, events, events / secs, mb / secs, cpu / (text.size() / 1e9),
      static_cast<double>(allocs) / events, mb / frame_s);
  (void)out_bytes;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  auto mix = bench::mix_from_name(argc > 2 ? argv[2] : nullptr);
  bench::CoderLineGenerator gj(7, mix), gh(7, mix);
  std::string json, human;
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
  run("slog_json", json, "slog_json", n);
  run("slog_human", human, "slog_human", n);
  run("auto(json)", json, "auto", n);
  run("auto(human)", human, "auto", n);
  std::printf("peak RSS: %.1f MiB\n", peak_rss_kib() / 1024.0);
  return 0;
}
