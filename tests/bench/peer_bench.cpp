// Side by side with a peer: auditrelay and Fluent Bit, interleaved run by run on the same
// generated Coder lines and the same loopback sinks, on three paths, with the ratios printed.
//   FLUENT_BIT=/path/to/fluent-bit ./build/tests/bench/peer_bench [runs=3]
//   PEER_ONLY=bulk,trickle,kafka   the paths to run (default: all three)
//   PEER_EVENTS=1000000            bulk events (Kafka sends 300,000; trickle runs 20 s)
//   PEER_RUNS=1                    also print every bulk and Kafka run, in the order they ran
//
//   bulk     1M slog JSON lines already in a file -> HTTP NDJSON. Fluent Bit tuned for throughput:
//            Flush 0.2, threaded tail, 1 MiB buffers, the json parser.
//   trickle  1,000 and 10,000 lines/s appended in 1 ms ticks (write(2), one call per tick) for
//            20 s -> HTTP. Fluent Bit's default profile plus the json parser; auditrelay with
//            batch.max_delay 200ms. CPU is counted from the first append to the last delivery;
//            idle CPU is the 5 s before the first append, after one warm-up line was delivered.
//   kafka    300k lines -> librdkafka's mock cluster (3 brokers, 4 partitions per topic) in its
//            own process (auditrelay-kafka-mock), zstd, acks=all.
//
// CPU is the agent process's own user + system time (all threads) from /proc, read when the
// last event arrives; RSS is its VmHWM. The benchmark runs the peer binary it is given and never
// builds or downloads one (docs/performance.md says how the figures there were obtained). Without
// FLUENT_BIT it prints auditrelay's figures alone.
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/agent_process.h"
#include "tests/bench/counting_sink.h"
#include "tests/bench/generator.h"
#include "tests/bench/kafka_watermarks.h"

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using auditrelay::bench::CountingHttpSink;

namespace {

enum class Path { bulk, trickle, kafka };

// What one agent needs to be started on one path.
struct Setup {
  Path path;
  std::string dir;     // work directory of this run
  std::string input;   // glob of the input files
  std::string target;  // http://127.0.0.1:port or the Kafka bootstrap servers
};

// One agent under test: writes its own configuration for a path and returns its command line.
struct Agent {
  std::string name;
  std::function<std::vector<std::string>(const Setup&)> command;
};

std::string port_of(const std::string& url) { return url.substr(url.rfind(':') + 1); }

std::vector<std::string> auditrelay_command(const Setup& s) {
  std::string cfg = s.dir + "/auditrelay.yaml";
  std::ofstream out(cfg);
  out << "data_dir: " << s.dir << "/auditrelay-data\n"
      << "inputs:\n  - {type: file, paths: [\"" << s.input << "\"], format: slog_json}\n"
      << "outputs:\n";
  if (s.path == Path::kafka)
    out << "  - {type: kafka, brokers: [\"" << s.target << "\"]}\n";
  else
    out << "  - {type: http, url: \"" << s.target << "/ingest\""
        << (s.path == Path::trickle ? ", batch: {max_delay: 200ms}" : "") << "}\n";
  return {AUDITRELAY_BINARY, "run", "--config", cfg, "--log-level", "warn"};
}

// Fluent Bit's classic configuration. Bulk gets the tuning a user chasing throughput would do;
// trickle and Kafka its defaults. Every path parses the lines as JSON, as auditrelay does.
std::vector<std::string> fluent_bit_command(const std::string& binary, const Setup& s) {
  std::string parsers = s.dir + "/parsers.conf";
  std::ofstream(parsers) << "[PARSER]\n    Name json\n    Format json\n    Time_Key ts\n"
                            "    Time_Format %Y-%m-%dT%H:%M:%S.%LZ\n    Time_Keep On\n";
  std::string cfg = s.dir + "/fluent-bit.conf";
  std::ofstream out(cfg);
  bool bulk = s.path == Path::bulk;
  out << "[SERVICE]\n    Flush " << (bulk ? "0.2" : "1") << "\n    Grace 1\n    Log_Level warn\n"
      << "    Parsers_File " << parsers << "\n\n"
      << "[INPUT]\n    Name tail\n    Path " << s.input << "\n    Parser json\n"
      << "    Read_from_Head On\n";
  if (bulk) out << "    Threaded On\n    Buffer_Chunk_Size 1M\n    Buffer_Max_Size 1M\n";
  out << "\n[OUTPUT]\n    Match *\n";
  if (s.path == Path::kafka)
    out << "    Name kafka\n    Brokers " << s.target << "\n    Topics coder.log\n"
        << "    Format json\n    rdkafka.compression.codec zstd\n"
        << "    rdkafka.request.required.acks -1\n";
  else
    out << "    Name http\n    Host 127.0.0.1\n    Port " << port_of(s.target)
        << "\n    URI /ingest\n    Format json_lines\n";
  return {binary, "-q", "-c", cfg};  // -q: no banner on stdout, between the benchmark's lines
}

std::vector<std::string> generate_lines(size_t n, uint64_t seed) {
  auditrelay::bench::CoderLineGenerator gen(seed);
  std::vector<std::string> lines(n);
  for (auto& l : lines) gen.json_line(l);
  return lines;
}

void write_file(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary);
  for (const auto& l : lines) out << l;
}

struct Figures {
  double events_per_s = 0, cpu_per_1m = 0, rss_mib = 0;  // bulk, kafka
  double cpu_share = 0, idle_share = 0, p50_ms = 0, p99_ms = 0;  // trickle (share: % of a core)
  bool complete = true;
};

Figures median(std::vector<Figures> v) {
  auto mid = [&](double Figures::*f) {
    std::vector<double> x;
    for (auto& r : v) x.push_back(r.*f);
    std::sort(x.begin(), x.end());
    return x[x.size() / 2];
  };
  Figures m{mid(&Figures::events_per_s), mid(&Figures::cpu_per_1m), mid(&Figures::rss_mib),
            mid(&Figures::cpu_share),    mid(&Figures::idle_share), mid(&Figures::p50_ms),
            mid(&Figures::p99_ms),       true};
  for (auto& r : v) m.complete = m.complete && r.complete;
  return m;
}

// Waits until `delivered()` reaches `n`, or `limit` passes; false on the timeout.
bool wait_delivered(const std::function<size_t()>& delivered, size_t n, std::chrono::seconds limit,
                    std::chrono::milliseconds step = std::chrono::milliseconds(5)) {
  auto deadline = Clock::now() + limit;
  while (delivered() < n) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(step);
  }
  return true;
}

// Reads the input file through once, so that every run starts with it in the page cache, as
// a log file just written is. Fluent Bit's tail drops the file from the cache as it reads it
// (file_cache_advise, on by default: posix_fadvise DONTNEED), so without this every run after
// one of Fluent Bit's read a cold file from disk: auditrelay's bulk runs that followed Fluent
// Bit's took 2.0-2.2 CPU s/1M against 1.3-1.6 for the run before any (PEER_RUNS=1).
void warm_page_cache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
  }
}

// A run of one agent on lines already in a file: throughput, CPU per 1M events, peak RSS.
Figures throughput_run(const Agent& agent, Setup s, size_t events,
                       const std::function<size_t()>& delivered) {
  fs::remove_all(s.dir + "/auditrelay-data");
  warm_page_cache(s.dir + "/in/coderd.log");
  pid_t pid = auditrelay::bench::spawn_process(agent.command(s));
  auto t0 = Clock::now();
  Figures f;
  f.complete = wait_delivered(delivered, events, std::chrono::seconds(600));
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  double cpu = auditrelay::bench::process_cpu_seconds(pid);
  f.rss_mib = auditrelay::bench::peak_rss_kib(pid) / 1024.0;
  auditrelay::bench::stop_process(pid);
  f.events_per_s = static_cast<double>(delivered()) / secs;
  f.cpu_per_1m = cpu / (static_cast<double>(events) / 1e6);
  return f;
}

// librdkafka's mock cluster in its own process, so that its CPU is not the agent's; the
// benchmark counts what reached the topics by their high watermarks.
class KafkaMockProcess {
 public:
  KafkaMockProcess() {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = auditrelay::bench::spawn_process(
        {KAFKA_MOCK_BINARY, "3", "coder.audit:4", "coder.connection:4", "coder.log:4"}, "", fds[1]);
    close(fds[1]);
    char buf[512];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    if (n <= 0) throw std::runtime_error("the mock cluster printed no bootstrap address");
    bootstraps_.assign(buf, static_cast<size_t>(n));
    bootstraps_.erase(bootstraps_.find_last_not_of("\r\n") + 1);
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    query_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  }
  ~KafkaMockProcess() {
    rd_kafka_destroy(query_);
    auditrelay::bench::stop_process(pid_);
  }
  const std::string& bootstraps() const { return bootstraps_; }
  size_t messages() { return auditrelay::bench::messages_in_topics(query_); }

 private:
  pid_t pid_;
  std::string bootstraps_;
  rd_kafka_t* query_;
};

// Trickle: `rate` lines/s for `secs`, appended in 1 ms ticks by a plain write(2) per tick.
// Every line carries its sequence number in fields.bench_seq so that the sink can take the time
// from write to delivery.
Figures trickle_run(const Agent& agent, const std::string& dir, double rate, double secs) {
  const size_t n = static_cast<size_t>(rate * secs);
  auto lines = generate_lines(n + 1, 9);
  for (size_t seq = 0; seq < lines.size(); ++seq)
    lines[seq].replace(lines[seq].find("\"fields\":{"), 10,
                       "\"fields\":{\"bench_seq\":" + std::to_string(seq) + ",");
  std::vector<Clock::time_point> written(lines.size());
  std::vector<double> latency_ms;
  std::mutex mu;  // the sink's thread appends, this one reads at the end
  CountingHttpSink sink([&](std::string_view body) {
    auto now = Clock::now();
    static constexpr std::string_view key = "\"bench_seq\":";
    std::lock_guard lock(mu);
    for (size_t p = body.find(key); p != std::string_view::npos; p = body.find(key, p + 1)) {
      size_t seq = std::strtoull(body.data() + p + key.size(), nullptr, 10);
      if (seq > 0 && seq <= n)
        latency_ms.push_back(std::chrono::duration<double, std::milli>(now - written[seq]).count());
    }
  });
  fs::remove_all(dir);
  fs::create_directories(dir + "/in");
  std::string log = dir + "/in/coderd.log";
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  Setup s{Path::trickle, dir, dir + "/in/*.log", "http://127.0.0.1:" + std::to_string(sink.port())};
  pid_t pid = auditrelay::bench::spawn_process(agent.command(s));
  // Warm-up: one line, delivered, shows the agent is tailing the file; then 5 s of nothing.
  Figures f;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  written[0] = Clock::now();
  (void)!::write(fd, lines[0].data(), lines[0].size());
  f.complete = wait_delivered([&] { return sink.events(); }, 1, std::chrono::seconds(30));
  double idle0 = auditrelay::bench::process_cpu_seconds(pid);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  double cpu0 = auditrelay::bench::process_cpu_seconds(pid);
  f.idle_share = 100 * (cpu0 - idle0) / 5;
  auto start = Clock::now();
  std::string tick_bytes;
  for (size_t seq = 1; seq <= n;) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(
                                              static_cast<int64_t>((seq - 1) * 1e6 / rate)));
    size_t due = std::min(
        n, static_cast<size_t>(std::chrono::duration<double>(Clock::now() - start).count() * rate) +
               1);
    tick_bytes.clear();
    auto now = Clock::now();
    for (; seq <= due; ++seq) {
      tick_bytes += lines[seq];
      written[seq] = now;
    }
    (void)!::write(fd, tick_bytes.data(), tick_bytes.size());
  }
  ::close(fd);
  f.complete = f.complete && wait_delivered([&] { return sink.events(); }, n + 1,
                                            std::chrono::seconds(60), std::chrono::milliseconds(1));
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  f.cpu_share = 100 * (auditrelay::bench::process_cpu_seconds(pid) - cpu0) / elapsed;
  f.rss_mib = auditrelay::bench::peak_rss_kib(pid) / 1024.0;
  auditrelay::bench::stop_process(pid);
  std::lock_guard lock(mu);
  std::sort(latency_ms.begin(), latency_ms.end());
  auto pct = [&](double q) {
    return latency_ms.empty() ? 0.0 : latency_ms[static_cast<size_t>(q * (latency_ms.size() - 1))];
  };
  f.p50_ms = pct(0.5);
  f.p99_ms = pct(0.99);
  return f;
}

bool selected(std::string_view name) {
  const char* only = std::getenv("PEER_ONLY");
  return !only || std::string_view(only).find(name) != std::string_view::npos;
}

void print_throughput(const char* path, const std::vector<Agent>& agents,
                      const std::vector<std::vector<Figures>>& runs) {
  std::vector<Figures> m;
  for (const auto& r : runs) m.push_back(median(r));
  // PEER_RUNS=1: every run, in the order they ran, before the medians (to see drift or an
  // agent that suffers from running after the other).
  if (std::getenv("PEER_RUNS"))
    for (size_t r = 0; r < runs[0].size(); ++r)
      for (size_t a = 0; a < agents.size(); ++a)
        std::printf("  run %zu  %-12s %12.0f %14.2f %10.1f MiB\n", r + 1, agents[a].name.c_str(),
                    runs[a][r].events_per_s, runs[a][r].cpu_per_1m, runs[a][r].rss_mib);
  for (size_t a = 0; a < agents.size(); ++a)
    std::printf("%-10s %-12s %12.0f %14.2f %10.1f MiB%s\n", path, agents[a].name.c_str(),
                m[a].events_per_s, m[a].cpu_per_1m, m[a].rss_mib,
                m[a].complete ? "" : "  NOT ALL DELIVERED");
  if (agents.size() == 2)
    std::printf("%-10s %-12s %11.2fx %13.2fx %9.2fx  (auditrelay / peer; CPU: peer / auditrelay)\n",
                path, "ratio", m[0].events_per_s / m[1].events_per_s,
                m[1].cpu_per_1m / m[0].cpu_per_1m, m[0].rss_mib / m[1].rss_mib);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::stoi(argv[1]) : 3;
  const char* events_env = std::getenv("PEER_EVENTS");
  size_t bulk_events = events_env ? std::stoul(events_env) : 1000000;
  const size_t kafka_events = 300000;
  std::vector<Agent> agents = {{"auditrelay", auditrelay_command}};
  if (const char* fb = std::getenv("FLUENT_BIT")) {
    std::string binary = fb;
    agents.push_back({"fluent-bit", [binary](const Setup& s) { return fluent_bit_command(binary, s); }});
  }
  std::string dir =
      (fs::temp_directory_path() / ("auditrelay-peer-" + std::to_string(getpid()))).string();
  fs::create_directories(dir);
  std::printf("peer_bench: %u cores, %d runs per agent and path, interleaved%s\n",
              std::thread::hardware_concurrency(), runs,
              agents.size() == 1 ? " (no FLUENT_BIT: auditrelay alone)" : "");
  std::printf("%-10s %-12s %12s %14s %14s\n", "path", "agent", "events/s", "CPU s/1M ev",
              "peak RSS");

  if (selected("bulk")) {
    fs::create_directories(dir + "/bulk/in");
    write_file(dir + "/bulk/in/coderd.log", generate_lines(bulk_events, 42));
    CountingHttpSink sink;
    Setup s{Path::bulk, dir + "/bulk", dir + "/bulk/in/*.log",
            "http://127.0.0.1:" + std::to_string(sink.port())};
    std::vector<std::vector<Figures>> results(agents.size());
    for (int r = 0; r < runs; ++r)
      for (size_t a = 0; a < agents.size(); ++a) {
        sink.reset();
        results[a].push_back(
            throughput_run(agents[a], s, bulk_events, [&] { return sink.events(); }));
      }
    print_throughput("bulk", agents, results);
  }

  if (selected("kafka")) {
    fs::create_directories(dir + "/kafka/in");
    write_file(dir + "/kafka/in/coderd.log", generate_lines(kafka_events, 43));
    KafkaMockProcess kafka;
    Setup s{Path::kafka, dir + "/kafka", dir + "/kafka/in/*.log", kafka.bootstraps()};
    std::vector<std::vector<Figures>> results(agents.size());
    for (int r = 0; r < runs; ++r)
      for (size_t a = 0; a < agents.size(); ++a) {
        size_t base = kafka.messages();
        results[a].push_back(throughput_run(agents[a], s, kafka_events,
                                            [&] { return kafka.messages() - base; }));
      }
    print_throughput("kafka", agents, results);
  }

  if (selected("trickle")) {
    std::printf("%-10s %-12s %12s %14s %14s %10s %10s\n", "trickle", "agent", "lines/s",
                "CPU % busy", "CPU % idle", "p50 ms", "p99 ms");
    for (double rate : {1000.0, 10000.0}) {
      std::vector<std::vector<Figures>> results(agents.size());
      for (int r = 0; r < runs; ++r)
        for (size_t a = 0; a < agents.size(); ++a)
          results[a].push_back(trickle_run(agents[a], dir + "/trickle", rate, 20));
      std::vector<Figures> m;
      for (const auto& r : results) m.push_back(median(r));
      for (size_t a = 0; a < agents.size(); ++a)
        std::printf("%-10s %-12s %12.0f %14.2f %14.2f %10.0f %10.0f  RSS %.1f MiB%s\n", "trickle",
                    agents[a].name.c_str(), rate, m[a].cpu_share, m[a].idle_share, m[a].p50_ms,
                    m[a].p99_ms, m[a].rss_mib, m[a].complete ? "" : "  NOT ALL DELIVERED");
      if (agents.size() == 2)
        std::printf("%-10s %-12s %12.0f %13.2fx %13.2fx  (peer CPU / auditrelay CPU)\n", "trickle",
                    "ratio", rate, m[1].cpu_share / m[0].cpu_share,
                    m[1].idle_share / std::max(m[0].idle_share, 0.01));
    }
  }
  fs::remove_all(dir);
  return 0;
}
