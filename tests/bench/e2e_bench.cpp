// End-to-end benchmark: the real agent binary reads a generated file of Coder lines (slog JSON,
// or the human format for "human -> http") and ships it to a file, to a counting HTTP / HEC /
// OTLP / _bulk sink on loopback (tests/bench/counting_sink.h, epoll), or to librdkafka's mock Kafka cluster
// (3 brokers, zstd). Prints events/s, MB/s, the agent's CPU seconds (per 1M events) and peak
// RSS, the median of several runs, and writes them as JSON.
//   ./build/tests/bench/e2e_bench [events] [runs] [result.json]
//   E2E_ONLY=<path substring>   one path (several: comma-separated substrings);
//   E2E_ONLY=latency            the write-to-delivery latency probe
//   E2E_ONLY=idle               the idle cost of the file and journald inputs: 10 lines/s (or
//                               journal entries/s) for 20 s, the agent's CPU share
//   "journal -> http" reads the same lines as journal entries of coder.service, written by
//   systemd-journal-remote (1M entries take it about 45 s)
//   E2E_MIX=heavy               the audit-heavy line mix (~580 B) instead of the reference mix
//   E2E_COMPARE=/path/to/auditrelay   also run that binary (an older build), interleaved run by
//                               run with this one on the same data, and print both: only ratios
//                               from one invocation mean something on a shared machine
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/agent_process.h"
#include "tests/bench/counting_sink.h"
#include "tests/bench/generator.h"
#include "tests/bench/kafka_watermarks.h"
#include "tests/support/journal_files.h"

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using auditrelay::bench::CountingHttpSink;

namespace {

struct Result {
  double events_per_s, mb_per_s, cpu_s, cpu_per_1m, rss_mib;
};

// Counts newlines incrementally: only bytes appended since the last call are read.
struct NewlineCounter {
  std::string path;
  size_t offset = 0, lines = 0;
  size_t operator()() {
    std::ifstream in(path, std::ios::binary);
    if (!in) return lines;
    in.seekg(static_cast<std::streamoff>(offset));
    std::vector<char> buf(1 << 20);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      offset += static_cast<size_t>(in.gcount());
      lines += static_cast<size_t>(std::count(buf.data(), buf.data() + in.gcount(), '\n'));
    }
    return lines;
  }
};

// librdkafka's in-process mock cluster; counts what reached its topics by their high watermarks.
class KafkaMock {
 public:
  KafkaMock() {
    char err[512];
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
    mc_ = rd_kafka_mock_cluster_new(owner_, 3);
    for (const char* t : auditrelay::bench::kCoderTopics)
      rd_kafka_mock_topic_create(mc_, t, auditrelay::bench::kBenchPartitions, 3);
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps().c_str(), err, sizeof err);
    query_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  }
  ~KafkaMock() {
    rd_kafka_destroy(query_);
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(owner_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }
  size_t messages() { return auditrelay::bench::messages_in_topics(query_); }

 private:
  rd_kafka_t* owner_;
  rd_kafka_t* query_;
  rd_kafka_mock_cluster_t* mc_;
};

pid_t spawn_agent(const std::string& binary, const std::string& cfg) {
  // E2E_AGENT_ENV="K=V K2=V2" adds variables to the agent's environment only (allocator and
  // glibc tunables experiments), not to the benchmark's own.
  const char* extra = std::getenv("E2E_AGENT_ENV");
  return auditrelay::bench::spawn_process({binary, "run", "--config", cfg, "--log-level", "warn"},
                                          extra ? extra : "");
}
using auditrelay::bench::peak_rss_kib;
double stop_agent(pid_t pid) { return auditrelay::bench::stop_process(pid); }

// The input under test, as a YAML flow mapping.
std::string file_input(const std::string& glob, const std::string& format) {
  return "{type: file, paths: [\"" + glob + "\"], format: " + format + "}";
}
std::string journal_input(const std::string& dir) {
  return "{type: journald, directory: \"" + dir + "\"}";
}

// Journal export format: one entry per line of `text`, as coder.service's stdout, one
// microsecond apart.
void journal_export(std::string& out, std::string_view text, uint64_t first_usec) {
  uint64_t t = first_usec;
  auditrelay::test::JournalLine entry{.hostname = "bench"};
  for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string_view::npos; start = nl + 1) {
    entry.message.assign(text.substr(start, nl - start));
    auditrelay::test::export_entry(out, entry, t++);
  }
}

Result run_once(const std::string& binary, const std::string& dir, const std::string& input,
                const std::string& output_yaml, size_t events, size_t input_bytes,
                const std::function<size_t()>& delivered) {
  fs::remove_all(dir + "/data");
  fs::remove(dir + "/out.ndjson");
  std::string cfg = dir + "/bench.yaml";
  std::ofstream(cfg) << "data_dir: " << dir << "/data\n"
                     << "inputs:\n  - " << input << "\n"
                     << "outputs:\n"
                     << output_yaml;
  // Extra options for the output under test, e.g. E2E_OUTPUT_OPTIONS='concurrency: 2'.
  if (const char* extra = std::getenv("E2E_OUTPUT_OPTIONS"))
    std::ofstream(cfg, std::ios::app) << "    " << extra << "\n";
  // Extra top-level settings to compare against the defaults, e.g. E2E_CONFIG='pipeline: {workers:
  // 1}'.
  if (const char* extra = std::getenv("E2E_CONFIG"))
    std::ofstream(cfg, std::ios::app) << extra << "\n";
  pid_t pid = spawn_agent(binary, cfg);
  auto t0 = Clock::now();
  while (delivered() < events) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  double hwm_kib = peak_rss_kib(pid);
  double cpu = stop_agent(pid);
  return Result{events / secs, input_bytes / 1e6 / secs, cpu, cpu / (events / 1e6),
                hwm_kib / 1024.0};
}

Result median(std::vector<Result> rs) {
  auto mid = [&](auto field) {
    std::vector<double> v;
    for (auto& r : rs) v.push_back(r.*field);
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  return Result{mid(&Result::events_per_s), mid(&Result::mb_per_s), mid(&Result::cpu_s),
                mid(&Result::cpu_per_1m), mid(&Result::rss_mib)};
}

}  // namespace

// Latency: a writer appends lines at a steady rate (each carries its sequence number in a
// `bench_seq` field), the agent ships them with `batch.max_delay: 200ms`, and the sink takes the
// time from write to delivery of every event. Prints p50/p99/max.
void latency_probe(const std::string& binary, const std::string& dir, double rate, double secs) {
  size_t n = static_cast<size_t>(rate * secs);
  std::vector<Clock::time_point> written(n);
  std::vector<double> latency_ms;
  latency_ms.reserve(n);
  std::atomic<size_t> seen{0};
  CountingHttpSink sink([&](std::string_view body) {
    auto now = Clock::now();
    static constexpr std::string_view key = "\"bench_seq\":";
    for (size_t p = body.find(key); p != std::string_view::npos; p = body.find(key, p + 1)) {
      size_t seq = std::strtoull(body.data() + p + key.size(), nullptr, 10);
      if (seq < n)
        latency_ms.push_back(std::chrono::duration<double, std::milli>(now - written[seq]).count());
    }
    seen = latency_ms.size();
  });
  fs::create_directories(dir + "/lat");
  std::string log = dir + "/lat/coderd.log";
  std::ofstream(log).close();
  std::string cfg = dir + "/latency.yaml";
  std::ofstream(cfg) << "data_dir: " << dir << "/data-lat\n"
                     << "inputs:\n  - {type: file, paths: [\"" << dir
                     << "/lat/*.log\"], format: slog_json}\n"
                     << "outputs:\n  - type: http\n    url: \"http://127.0.0.1:" << sink.port()
                     << "/ingest\"\n    batch: {max_delay: 200ms}\n";
  pid_t pid = spawn_agent(binary, cfg);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the agent is tailing the empty file
  auditrelay::bench::CoderLineGenerator gen(9);
  FILE* out = std::fopen(log.c_str(), "a");
  // Writes in 1 ms ticks, as a service logging at this rate would.
  auto start = Clock::now();
  std::string line;
  for (size_t seq = 0; seq < n;) {
    auto tick = start + std::chrono::microseconds(static_cast<int64_t>(seq * 1e6 / rate));
    std::this_thread::sleep_until(tick);
    size_t due = std::min(
        n, static_cast<size_t>(std::chrono::duration<double>(Clock::now() - start).count() * rate) +
               1);
    for (; seq < due; ++seq) {
      line.clear();
      gen.json_line(line);
      line.replace(line.find("\"fields\":{"), 10,
                   "\"fields\":{\"bench_seq\":" + std::to_string(seq) + ",");
      written[seq] = Clock::now();
      std::fwrite(line.data(), 1, line.size(), out);
    }
    std::fflush(out);
  }
  std::fclose(out);
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (seen.load() < n && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  double cpu = stop_agent(pid);
  std::sort(latency_ms.begin(), latency_ms.end());
  auto pct = [&](double q) {
    return latency_ms.empty() ? 0.0 : latency_ms[static_cast<size_t>(q * (latency_ms.size() - 1))];
  };
  std::printf(
      "latency at %.0f events/s for %.0f s, batch.max_delay 200ms: %zu of %zu delivered, "
      "p50 %.0f ms, p99 %.0f ms, max %.0f ms, agent CPU %.1f %% of a core\n",
      rate, secs, latency_ms.size(), n, pct(0.5), pct(0.99), pct(1.0), 100 * cpu / secs);
}

// Idle cost: 10 lines/s appended to a file in one run, 10 entries/s appended to a journal (a
// live systemd-journal-remote) in the other, each for `secs`; prints the agent's CPU share.
void idle_probe(const std::string& binary, const std::string& dir, double rate, double secs) {
  CountingHttpSink sink;
  auditrelay::bench::CoderLineGenerator gen(5);
  for (bool journal : {false, true}) {
    std::string in = dir + (journal ? "/idle-journal" : "/idle-file");
    fs::create_directories(in);
    std::string cfg = dir + "/idle.yaml";
    std::ofstream(cfg) << "data_dir: " << dir << "/data-idle-" << journal << "\ninputs:\n  - "
                       << (journal ? journal_input(in) : file_input(in + "/*.log", "slog_json"))
                       << "\noutputs:\n  - type: http\n    url: \"http://127.0.0.1:" << sink.port()
                       << "/ingest\"\n";
    std::string cmd = std::string(auditrelay::test::kJournalRemote) + " -o " + in + "/live.journal - >/dev/null 2>&1";
    FILE* writer = journal ? popen(cmd.c_str(), "w") : std::fopen((in + "/coderd.log").c_str(), "a");
    sink.reset();
    pid_t pid = spawn_agent(binary, cfg);
    std::this_thread::sleep_for(std::chrono::seconds(1));  // started and caught up
    size_t n = static_cast<size_t>(rate * secs);
    auto cpu_now = [&] { return auditrelay::bench::process_cpu_seconds(pid); };
    double cpu0 = cpu_now();
    auto start = Clock::now();
    std::string line, entry;
    for (size_t i = 0; i < n; ++i) {
      std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / rate)));
      line.clear();
      gen.json_line(line);
      entry.clear();
      if (journal) journal_export(entry, line, 1758000000000000 + i);
      const std::string& bytes = journal ? entry : line;
      std::fwrite(bytes.data(), 1, bytes.size(), writer);
      std::fflush(writer);
    }
    while (sink.events() < n && Clock::now() - start < std::chrono::duration<double>(secs + 10))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = cpu_now() - cpu0;
    stop_agent(pid);
    journal ? pclose(writer) : std::fclose(writer);
    std::printf("idle, %s input, %.0f lines/s for %.0f s: %zu of %zu delivered, agent CPU %.2f %% of a core\n",
                journal ? "journald" : "file", rate, secs, sink.events(), n, 100 * cpu / elapsed);
  }
}

int main(int argc, char** argv) {
  size_t events = argc > 1 ? std::stoul(argv[1]) : 1000000;
  int runs = argc > 2 ? std::stoi(argv[2]) : 3;
  std::string result_path = argc > 3 ? argv[3] : "e2e_bench.json";
  std::string binary = AUDITRELAY_BINARY;
  // E2E_MIX=heavy: 27 % audit and connection entries (~580-byte lines) instead of the reference
  // mix of ~395-byte lines the targets were set on.
  auto mix = auditrelay::bench::mix_from_name(std::getenv("E2E_MIX"));
  const char* only = std::getenv("E2E_ONLY");
  // E2E_ONLY may list several substrings, comma-separated ("file -> http,otlp").
  auto selected = [&](std::string_view name) {
    if (!only) return true;
    for (std::string_view rest = only; !rest.empty();) {
      std::string_view part = rest.substr(0, rest.find(','));
      if (!part.empty() && name.find(part) != std::string_view::npos) return true;
      rest.remove_prefix(std::min(rest.size(), part.size() + 1));
    }
    return false;
  };
  std::string dir =
      (fs::temp_directory_path() / ("auditrelay-e2e-" + std::to_string(getpid()))).string();
  fs::create_directories(dir);
  if (only && std::string_view(only) == "latency") {
    latency_probe(binary, dir, 10000, 20);
    fs::remove_all(dir);
    return 0;
  }
  if (only && std::string_view(only) == "idle") {
    idle_probe(binary, dir, 10, 20);
    fs::remove_all(dir);
    return 0;
  }
  // One file per input format; the human file is written only when a human path runs.
  auto generate = [&](bool json) {
    std::string sub = dir + (json ? "/in-json" : "/in-human");
    fs::create_directories(sub);
    auditrelay::bench::CoderLineGenerator gen(42, mix);
    std::string text;
    text.reserve(events * (json ? 600 : 360));
    for (size_t i = 0; i < events; ++i) json ? gen.json_line(text) : gen.human_line(text);
    std::ofstream(sub + "/coderd.log", std::ios::binary) << text;
    if (json && selected("journal -> http")) {
      fs::create_directories(dir + "/in-journal");
      std::string exported;
      exported.reserve(text.size() + events * 200);
      journal_export(exported, text, 1758000000000000);
      if (!auditrelay::test::run_journal_remote(dir + "/in-journal/system.journal", exported))
        std::fprintf(stderr, "systemd-journal-remote failed: is systemd-journal-remote installed?\n");
    }
    return fs::file_size(sub + "/coderd.log");
  };
  size_t json_bytes = generate(true);
  size_t human_bytes = selected("human -> http") ? generate(false) : 0;
  std::printf("e2e: %zu events, %s mix, %.1f MB of JSON input (%.0f B/line)", events,
              auditrelay::bench::mix_name(mix), json_bytes / 1e6,
              static_cast<double>(json_bytes) / events);
  if (human_bytes)
    std::printf(", %.1f MB human (%.0f B/entry)", human_bytes / 1e6,
                static_cast<double>(human_bytes) / events);
  std::printf(", %d runs per path, %u cores\n", runs, std::thread::hardware_concurrency());

  CountingHttpSink sink;
  std::string url = "http://127.0.0.1:" + std::to_string(sink.port());

  struct Path {
    const char* name;
    bool human;
    std::string yaml;
    std::function<size_t()> delivered;
  };
  std::unique_ptr<KafkaMock> kafka;
  size_t kafka_base = 0;  // messages already in the mock cluster before this run
  if (selected("file -> kafka")) kafka = std::make_unique<KafkaMock>();
  NewlineCounter out_lines{dir + "/out.ndjson"};
  auto received = [&] { return sink.events(); };
  std::vector<Path> paths = {
      {"file -> file", false, "  - type: file\n    path: " + dir + "/out.ndjson\n",
       [&] { return out_lines(); }},
      {"file -> http", false, "  - type: http\n    url: \"" + url + "/ingest\"\n", received},
      {"file -> splunk_hec", false,
       "  - type: splunk_hec\n    url: \"" + url + "\"\n    token: bench\n", received},
      {"human -> http", true, "  - type: http\n    url: \"" + url + "/ingest\"\n", received},
      {"journal -> http", false, "  - type: http\n    url: \"" + url + "/ingest\"\n", received},
      {"file -> otlp", false, "  - type: otlp\n    url: \"" + url + "\"\n", received},
      {"file -> otlp (json)", false, "  - type: otlp\n    url: \"" + url + "\"\n    encoding: json\n",
       received},
      {"file -> elasticsearch", false, "  - type: elasticsearch\n    url: \"" + url + "\"\n", received},
  };
  // Splunk with indexer acknowledgement that comes 2 s after each request (Splunk's typical
  // latency), against the same receiver without indexer_ack (issue 18's target: at least half).
  CountingHttpSink ack_sink({}, std::chrono::milliseconds(2000));
  std::string ack_url = "http://127.0.0.1:" + std::to_string(ack_sink.port());
  paths.push_back({"file -> hec 2s-ack receiver, no indexer_ack", false,
                   "  - type: splunk_hec\n    url: \"" + ack_url + "\"\n    token: bench\n",
                   [&] { return ack_sink.events(); }});
  paths.push_back({"file -> hec indexer_ack (2s)", false,
                   "  - type: splunk_hec\n    url: \"" + ack_url +
                       "\"\n    token: bench\n    indexer_ack: true\n",
                   [&] { return ack_sink.acknowledged(); }});
  if (kafka)
    paths.push_back({"file -> kafka", false,
                     "  - type: kafka\n    brokers: [\"" + kafka->bootstraps() + "\"]\n", [&] {
                       std::this_thread::sleep_for(
                           std::chrono::milliseconds(45));  // watermark queries are RPCs
                       return kafka->messages() - kafka_base;
                     }});
  std::string json = "{\"events\":" + std::to_string(events) + ",\"mix\":\"" +
                     auditrelay::bench::mix_name(mix) +
                     "\",\"input_bytes\":" + std::to_string(json_bytes) + ",\"paths\":{";
  std::printf("%-44s %12s %9s %10s %14s %10s\n", "path", "events/s", "MB/s", "CPU s", "CPU s/1M ev",
              "peak RSS");
  const char* compare = std::getenv("E2E_COMPARE");
  std::vector<std::pair<std::string, std::string>> binaries = {{"", binary}};
  if (compare) binaries.push_back({" [E2E_COMPARE]", compare});
  // Round-robin: run r of every path, then run r+1, so that the machine's drift (it is shared)
  // falls on every path alike and their ratios mean something.
  std::vector<Path*> chosen;
  for (auto& path : paths)
    if (selected(path.name)) chosen.push_back(&path);
  std::vector<std::vector<std::vector<Result>>> rs(
      chosen.size(), std::vector<std::vector<Result>>(binaries.size()));
  for (int r = 0; r < runs; ++r)
    for (size_t p = 0; p < chosen.size(); ++p) {
      const Path& path = *chosen[p];
      std::string input = std::string_view(path.name).starts_with("journal")
                              ? journal_input(dir + "/in-journal")
                              : file_input(dir + (path.human ? "/in-human/*.log" : "/in-json/*.log"),
                                           path.human ? "slog_human" : "slog_json");
      for (size_t b = 0; b < binaries.size(); ++b) {
        sink.reset();
        ack_sink.reset();
        out_lines = NewlineCounter{dir + "/out.ndjson"};
        if (kafka) kafka_base = kafka->messages();
        rs[p][b].push_back(run_once(binaries[b].second, dir, input, path.yaml, events,
                                    path.human ? human_bytes : json_bytes, path.delivered));
      }
    }
  for (size_t p = 0; p < chosen.size(); ++p)
    for (size_t b = 0; b < binaries.size(); ++b) {
      Result m = median(rs[p][b]);
      std::string name = chosen[p]->name + binaries[b].first;
      std::printf("%-44s %12.0f %9.1f %10.2f %14.2f %7.1f MiB\n", name.c_str(), m.events_per_s,
                  m.mb_per_s, m.cpu_s, m.cpu_per_1m, m.rss_mib);
      char buf[320];
      snprintf(buf, sizeof buf,
               "%s\"%s\":{\"events_per_s\":%.0f,\"mb_per_s\":%.1f,\"cpu_s_per_1m\":%.2f,\"peak_"
               "rss_mib\":%.1f}",
               json.back() == '{' ? "" : ",", name.c_str(), m.events_per_s, m.mb_per_s,
               m.cpu_per_1m, m.rss_mib);
      json += buf;
    }
  json += "}}\n";
  std::ofstream(result_path) << json;
  std::printf("results written to %s\n", result_path.c_str());
  fs::remove_all(dir);
  return 0;
}
