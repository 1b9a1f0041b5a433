// End-to-end benchmark: the real agent binary reads a generated file of Coder JSON lines and
// ships it to a file, to a counting HTTP / HEC sink on loopback, or to librdkafka's mock Kafka
// cluster (3 brokers, zstd). Prints events/s, MB/s, the agent's
// CPU seconds (per 1M events) and peak RSS, the median of several runs, and writes them as JSON.
//   ./build/tests/bench/e2e_bench [events] [runs] [result.json]
#include <httplib.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/generator.h"

extern char** environ;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

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

[[maybe_unused]] size_t count_newlines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  size_t n = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    n += static_cast<size_t>(std::count(buf.data(), buf.data() + in.gcount(), '\n'));
  }
  return n;
}

// librdkafka's in-process mock cluster; counts what reached its topics by their high watermarks.
class KafkaMock {
 public:
  KafkaMock() {
    char err[512];
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
    mc_ = rd_kafka_mock_cluster_new(owner_, 3);
    for (const char* t : kTopics) rd_kafka_mock_topic_create(mc_, t, kPartitions, 3);
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
  size_t messages() {
    size_t total = 0;
    for (const char* t : kTopics)
      for (int p = 0; p < kPartitions; ++p) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_query_watermark_offsets(query_, t, p, &lo, &hi, 2000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR)
          total += static_cast<size_t>(hi);
      }
    return total;
  }

 private:
  static constexpr const char* kTopics[] = {"coder.audit", "coder.connection", "coder.log"};
  static constexpr int kPartitions = 4;
  rd_kafka_t* owner_;
  rd_kafka_t* query_;
  rd_kafka_mock_cluster_t* mc_;
};

Result run_once(const std::string& binary, const std::string& dir, const std::string& output_yaml,
                size_t events, size_t input_bytes, const std::function<size_t()>& delivered) {
  fs::remove_all(dir + "/data");
  fs::remove(dir + "/out.ndjson");
  std::string cfg = dir + "/bench.yaml";
  std::ofstream(cfg) << "data_dir: " << dir << "/data\n"
                     << "inputs:\n  - {type: file, paths: [\"" << dir
                     << "/in/*.log\"], format: slog_json}\n"
                     << "outputs:\n"
                     << output_yaml;
  // Extra options for the output under test, e.g. E2E_OUTPUT_OPTIONS='concurrency: 2'.
  if (const char* extra = std::getenv("E2E_OUTPUT_OPTIONS"))
    std::ofstream(cfg, std::ios::app) << "    " << extra << "\n";
  // Extra top-level settings to compare against the defaults, e.g. E2E_CONFIG='pipeline: {workers:
  // 1}'.
  if (const char* extra = std::getenv("E2E_CONFIG"))
    std::ofstream(cfg, std::ios::app) << extra << "\n";
  std::vector<std::string> args{binary, "run", "--config", cfg, "--log-level", "warn"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  auto t0 = Clock::now();
  posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv.data(), environ);
  while (delivered() < events) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  // The agent's own peak RSS since exec (wait4's ru_maxrss would include the moment before exec
  // when the spawned child still shared this process's memory).
  double hwm_kib = 0;
  {
    std::ifstream st("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (st >> key) {
      if (key == "VmHWM:") {
        st >> hwm_kib;
        break;
      }
      st.ignore(4096, '\n');
    }
  }
  kill(pid, SIGTERM);
  int status;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  double cpu =
      ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
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

int main(int argc, char** argv) {
  size_t events = argc > 1 ? std::stoul(argv[1]) : 1000000;
  int runs = argc > 2 ? std::stoi(argv[2]) : 3;
  std::string result_path = argc > 3 ? argv[3] : "e2e_bench.json";
  std::string binary = AUDITRELAY_BINARY;
  std::string dir =
      (fs::temp_directory_path() / ("auditrelay-e2e-" + std::to_string(getpid()))).string();
  fs::create_directories(dir + "/in");
  {
    auditrelay::bench::CoderLineGenerator gen(42);
    std::string text;
    text.reserve(events * 600);
    for (size_t i = 0; i < events; ++i) gen.json_line(text);
    std::ofstream(dir + "/in/coderd.log", std::ios::binary) << text;
  }
  size_t bytes = fs::file_size(dir + "/in/coderd.log");
  std::printf("e2e: %zu events, %.1f MB input (%.0f B/line), %d runs per path, %u cores\n", events,
              bytes / 1e6, static_cast<double>(bytes) / events, runs,
              std::thread::hardware_concurrency());

  // Counting HTTP sink on loopback (also answers HEC-style).
  std::atomic<size_t> received{0};
  httplib::Server sink;
  sink.set_tcp_nodelay(true);  // a response's header and body writes must not wait for delayed ACKs
  sink.Post(".*", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/services/collector/event") {
      size_t n = 0;
      for (size_t p = req.body.find("{\"time\":"); p != std::string::npos;
           p = req.body.find("{\"time\":", p + 1))
        ++n;
      received += n;
      res.set_content(R"({"text":"Success","code":0})", "application/json");
    } else {
      received += static_cast<size_t>(std::count(req.body.begin(), req.body.end(), '\n'));
    }
  });
  sink.Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{}", "application/json");
  });
  int port = sink.bind_to_any_port("127.0.0.1");
  std::thread sink_thread([&] { sink.listen_after_bind(); });
  std::string url = "http://127.0.0.1:" + std::to_string(port);

  struct Path {
    const char* name;
    std::string yaml;
    std::function<size_t()> delivered;
  };
  const char* only = std::getenv("E2E_ONLY");
  std::unique_ptr<KafkaMock> kafka;
  size_t kafka_base = 0;  // messages already in the mock cluster before this run
  if (!only || std::string("file -> kafka").find(only) != std::string::npos)
    kafka = std::make_unique<KafkaMock>();
  NewlineCounter out_lines{dir + "/out.ndjson"};
  std::vector<Path> paths = {
      {"file -> file", "  - type: file\n    path: " + dir + "/out.ndjson\n",
       [&] { return out_lines(); }},
      {"file -> http", "  - type: http\n    url: \"" + url + "/ingest\"\n",
       [&] { return received.load(); }},
      {"file -> splunk_hec", "  - type: splunk_hec\n    url: \"" + url + "\"\n    token: bench\n",
       [&] { return received.load(); }},
  };
  if (kafka)
    paths.push_back(
        {"file -> kafka", "  - type: kafka\n    brokers: [\"" + kafka->bootstraps() + "\"]\n", [&] {
           std::this_thread::sleep_for(
               std::chrono::milliseconds(45));  // watermark queries are RPCs
           return kafka->messages() - kafka_base;
         }});
  std::string json = "{\"events\":" + std::to_string(events) +
                     ",\"input_bytes\":" + std::to_string(bytes) + ",\"paths\":{";
  std::printf("%-20s %12s %9s %10s %14s %10s\n", "path", "events/s", "MB/s", "CPU s", "CPU s/1M ev",
              "peak RSS");
  for (size_t i = 0; i < paths.size(); ++i) {
    if (only && std::string(paths[i].name).find(only) == std::string::npos) continue;
    std::vector<Result> rs;
    for (int r = 0; r < runs; ++r) {
      received = 0;
      out_lines = NewlineCounter{dir + "/out.ndjson"};
      if (kafka) kafka_base = kafka->messages();
      rs.push_back(run_once(binary, dir, paths[i].yaml, events, bytes, paths[i].delivered));
    }
    Result m = median(rs);
    std::printf("%-20s %12.0f %9.1f %10.2f %14.2f %7.1f MiB\n", paths[i].name, m.events_per_s,
                m.mb_per_s, m.cpu_s, m.cpu_per_1m, m.rss_mib);
    char buf[256];
    snprintf(buf, sizeof buf,
             "%s\"%s\":{\"events_per_s\":%.0f,\"mb_per_s\":%.1f,\"cpu_s_per_1m\":%.2f,\"peak_rss_"
             "mib\":%.1f}",
             json.back() == '{' ? "" : ",", paths[i].name, m.events_per_s, m.mb_per_s, m.cpu_per_1m,
             m.rss_mib);
    json += buf;
  }
  json += "}}\n";
  std::ofstream(result_path) << json;
  std::printf("results written to %s\n", result_path.c_str());
  sink.stop();
  sink_thread.join();
  fs::remove_all(dir);
  return 0;
}
