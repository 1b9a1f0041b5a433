// Reloading the config while events flow: SIGHUP and POST /reload re-read the file; unchanged
// inputs and outputs keep running (no gap, no duplicate), a changed input resumes from its
// acknowledged positions, a new output receives everything from the swap on, and a bad config
// is rejected with its problems while the running one goes on.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/config/agent_config.h"
#include "agent/runtime.h"
#include "support/checkpoints.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {

std::string line(int seq) {
  return R"({"ts":"2025-09-16T12:00:00.123456789Z","level":"INFO","msg":"line","logger_names":["coderd"],"fields":{"seq":)" +
         std::to_string(seq) + R"(,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}})" + "\n";
}

// Appends lines [from, total) to a file at a steady pace (about 20,000 lines/s).
struct Writer {
  std::atomic<int> next{0};
  std::thread thread;
  Writer(const std::string& path, int total, int from = 0) : next(from) {
    thread = std::thread([this, path, total] {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      while (next < total) {
        std::string chunk;
        int upto = std::min(total, next.load() + 20);
        for (int i = next; i < upto; ++i) chunk += line(i);
        EXPECT_EQ(::write(fd, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
        next = upto;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      ::close(fd);
    });
  }
  ~Writer() {
    if (thread.joinable()) thread.join();
  }
  void wait_for(int n) const {
    while (next < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
};

// seq → times delivered in an NDJSON output file.
std::map<int, int> delivered(const std::string& path) {
  std::map<int, int> m;
  for (const auto& l : read_lines(path)) {
    json e = json::parse(l);
    if (e.contains("fields") && e["fields"].contains("seq")) ++m[e["fields"]["seq"].get<int>()];
  }
  return m;
}

int duplicates(const std::map<int, int>& d) {
  int dup = 0;
  for (const auto& [seq, n] : d) dup += n - 1;
  return dup;
}

struct Agent {
  TempDir dir;
  std::string config = dir / "auditrelay.yaml";
  std::unique_ptr<Runtime> rt;
  Agent() { std::filesystem::create_directories(dir / "in"); }
  std::string base(const std::string& input_extra = "", const std::string& server = "") const {
    return "data_dir: " + dir / "data" + "\npipeline: {checkpoint_interval: 50ms}\n" + server +
           "inputs:\n  - {name: tail, type: file, paths: [\"" + dir / "in/*.log" +
           "\"], format: slog_json, glob_interval: 100ms" + input_extra +
           "}\noutputs:\n  - {name: a, type: file, path: " + dir / "a.ndjson" +
           ", batch: {max_delay: 20ms}}\n";
  }
  std::string output_b(const std::string& extra = "") const {
    return "  - {name: b, type: file, path: " + dir / "b.ndjson" + ", batch: {max_delay: 20ms}" +
           extra + "}\n";
  }
  void start(const std::string& yaml) {
    write_text(config, yaml);
    AgentConfig cfg;
    Diagnostics d(config);
    ASSERT_TRUE(load_config_file(config, process_env(), cfg, d)) << d.to_string();
    rt = std::make_unique<Runtime>(cfg);
    std::string err;
    ASSERT_TRUE(rt->start(err)) << err;
  }
  bool reload(const std::string& yaml, std::string& report) {
    write_text(config, yaml);
    return rt->reload(report);
  }
  // The agent has done all it can: the log read to its end (read lag 0), at least `lines` lines
  // read, every line read acknowledged by output a (which takes them all), and the log's
  // position saved at its end (which takes every output's acknowledgement).
  bool caught_up(uint64_t lines) const {
    const Metrics& m = rt->metrics();
    if (m.value("auditrelay_read_lag_bytes", "input=\"tail\"") != 0) return false;
    // Read before and after: equal to sent only if no line was read in between.
    uint64_t read = m.value("auditrelay_lines_read_total", "input=\"tail\"");
    uint64_t sent = m.value("auditrelay_output_events_sent_total", "output=\"a\"");
    return read >= lines && sent == read &&
           m.value("auditrelay_lines_read_total", "input=\"tail\"") == read &&
           saved_at_end(dir / "data", {dir / "in/coderd.log"});
  }
};

TEST(Reload, AnAddedOutputGetsEverythingFromTheSwapWhileTheOthersRunOn) {
  Agent a;
  const int n = 30000;
  a.start(a.base());
  // The reload happens while the writer writes; the last lines come after it for sure (a slow
  // agent may have read everything the writer wrote by the time the reload runs).
  const int tail = n - 100;
  Writer w(a.dir / "in/coderd.log", tail);
  w.wait_for(tail / 3);
  ASSERT_TRUE(wait_until([&] { return !delivered(a.dir / "a.ndjson").empty(); }));
  std::string report;
  ASSERT_TRUE(a.reload(a.base() + a.output_b(), report)) << report;
  EXPECT_NE(report.find("output b: added"), std::string::npos) << report;
  EXPECT_EQ(report.find("input tail"), std::string::npos)
      << "the unchanged input was restarted: " << report;
  w.thread.join();
  Writer(a.dir / "in/coderd.log", n, tail).thread.join();
  ASSERT_TRUE(
      wait_until([&] { return delivered(a.dir / "a.ndjson").size() == static_cast<size_t>(n); }));
  ASSERT_TRUE(wait_until([&] { return delivered(a.dir / "b.ndjson").count(n - 1) == 1; }))
      << "b has " << delivered(a.dir / "b.ndjson").size() << " lines";
  // Both outputs acknowledged everything: a duplicate would be in their files by now.
  ASSERT_TRUE(wait_until([&] { return a.caught_up(n); }));
  // The unchanged output and input never stopped: every line exactly once.
  auto da = delivered(a.dir / "a.ndjson");
  EXPECT_EQ(da.size(), static_cast<size_t>(n));
  EXPECT_EQ(duplicates(da), 0);
  // The new output has one contiguous run, from the swap to the end.
  auto db = delivered(a.dir / "b.ndjson");
  ASSERT_FALSE(db.empty());
  int first = db.begin()->first;
  EXPECT_GT(first, 0) << "b got lines from before the reload";
  EXPECT_EQ(db.size(), static_cast<size_t>(n - first)) << "b has a gap";
  EXPECT_EQ(duplicates(db), 0);
  EXPECT_EQ(a.rt->metrics().value("auditrelay_config_reloads_total", "result=\"success\""), 1u);
}

TEST(Reload, AChangedInputResumesWhereItWasAcknowledged) {
  Agent a;
  const int n = 30000;
  a.start(a.base());
  const int tail = n - 100;
  Writer w(a.dir / "in/coderd.log", tail);
  w.wait_for(tail / 3);
  ASSERT_TRUE(wait_until([&] { return !delivered(a.dir / "a.ndjson").empty(); }));
  std::string report;
  ASSERT_TRUE(a.reload(a.base(", multiline_flush: 2s"), report)) << report;
  EXPECT_NE(report.find("input tail: restarted"), std::string::npos) << report;
  w.thread.join();
  Writer(a.dir / "in/coderd.log", n, tail).thread.join();  // read by the new input for sure
  ASSERT_TRUE(
      wait_until([&] { return delivered(a.dir / "a.ndjson").size() == static_cast<size_t>(n); }));
  ASSERT_TRUE(wait_until([&] { return a.caught_up(n); }));
  auto da = delivered(a.dir / "a.ndjson");
  EXPECT_EQ(da.size(), static_cast<size_t>(n)) << "lines lost";
  // The old input's batches were acknowledged before the new one started from their positions.
  EXPECT_EQ(duplicates(da), 0);
}

TEST(Reload, AChangedOutputAndTransformsApplyFromTheSwap) {
  Agent a;
  const int n = 20000;
  a.start(a.base() + a.output_b());
  Writer w(a.dir / "in/coderd.log", n);
  w.wait_for(n / 3);
  ASSERT_TRUE(wait_until([&] { return !delivered(a.dir / "b.ndjson").empty(); }));
  std::string report;
  // b now takes only error events (none here), and a drop rule applies to everything.
  std::string next = a.base() + a.output_b(", match: \"severity:error\"") +
                     "transforms:\n  drop: [\"message:nothing-matches\"]\n";
  ASSERT_TRUE(a.reload(next, report)) << report;
  EXPECT_NE(report.find("output b: restarted"), std::string::npos) << report;
  EXPECT_NE(report.find("transforms: updated"), std::string::npos) << report;
  size_t b_at_reload = delivered(a.dir / "b.ndjson").size();
  w.thread.join();
  Writer(a.dir / "in/coderd.log", n + 100, n).thread.join();  // after the swap for sure: a only
  ASSERT_TRUE(wait_until(
      [&] { return delivered(a.dir / "a.ndjson").size() == static_cast<size_t>(n + 100); }));
  // Every batch acknowledged by every output it went to: nothing more is on its way to b.
  ASSERT_TRUE(wait_until([&] { return a.caught_up(n + 100); }));
  auto da = delivered(a.dir / "a.ndjson");
  EXPECT_EQ(duplicates(da), 0);
  // b stopped at the swap: what it had, plus what it delivered of the batches before it.
  auto db = delivered(a.dir / "b.ndjson");
  EXPECT_GE(db.size(), b_at_reload);
  EXPECT_LE(db.size(), static_cast<size_t>(n));
  EXPECT_EQ(db.count(n), 0u) << "b got a line from after the swap";
  EXPECT_EQ(duplicates(db), 0);
  EXPECT_EQ(db.size(), static_cast<size_t>(db.rbegin()->first + 1))
      << "b has a gap before the swap";
}

TEST(Reload, ADiskBufferedOutputReplacedUnderItsNameLosesNothing) {
  // The new instance opens the same write-ahead log: what the old one had buffered but not yet
  // delivered is delivered by the new one (at least once), and nothing after the swap is missed.
  Agent a;
  const int n = 20000;
  auto b = [&](const std::string& max_delay) {
    return "  - {name: b, type: file, path: " + a.dir / "b.ndjson" +
           ", batch: {max_delay: " + max_delay + "}, buffer: {type: disk}}\n";
  };
  a.start(a.base() + b("20ms"));
  Writer w(a.dir / "in/coderd.log", n);
  w.wait_for(n / 3);
  ASSERT_TRUE(wait_until([&] { return !delivered(a.dir / "b.ndjson").empty(); }));
  std::string report;
  ASSERT_TRUE(a.reload(a.base() + b("30ms"), report)) << report;
  EXPECT_NE(report.find("output b: restarted"), std::string::npos) << report;
  w.thread.join();
  ASSERT_TRUE(wait_until([&] {
    return delivered(a.dir / "b.ndjson").size() == static_cast<size_t>(n);
  })) << "b has "
      << delivered(a.dir / "b.ndjson").size() << " of " << n << " lines";
  auto da = delivered(a.dir / "a.ndjson");
  EXPECT_EQ(da.size(), static_cast<size_t>(n));
  EXPECT_EQ(duplicates(da), 0) << "the unchanged output was disturbed";
}

TEST(Reload, ABadConfigIsRejectedWithItsProblemsAndTheRunningOneKept) {
  Agent a;
  a.start(a.base());
  write_text(a.dir / "in/coderd.log", line(0));
  ASSERT_TRUE(wait_until([&] { return delivered(a.dir / "a.ndjson").size() == 1; }));
  std::string report;
  EXPECT_FALSE(a.reload(a.base() + "  - {name: c, type: nosuch}\n", report));
  EXPECT_NE(report.find("nosuch"), std::string::npos) << report;
  EXPECT_NE(report.find("running configuration is kept"), std::string::npos) << report;
  EXPECT_FALSE(a.reload("inputs: [", report));
  EXPECT_EQ(a.rt->metrics().value("auditrelay_config_reloads_total", "result=\"failure\""), 2u);
  // Still running as before.
  write_text(a.dir / "in/coderd.log", line(1), true);
  ASSERT_TRUE(wait_until([&] { return delivered(a.dir / "a.ndjson").size() == 2; }));
  // A later good reload still works.
  EXPECT_TRUE(a.reload(a.base(), report)) << report;
  EXPECT_NE(report.find("nothing changed"), std::string::npos) << report;
}

TEST(Reload, PostReloadAnswersWithWhatChangedOrTheProblems) {
  Agent a;
  std::string server = "server: {listen: \"127.0.0.1:0\"}\n";
  a.start(a.base("", server));
  ASSERT_GT(a.rt->server_port(), 0);
  httplib::Client client("127.0.0.1", a.rt->server_port());
  write_text(a.config, a.base("", server) + a.output_b());
  auto ok = client.Post("/reload");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->body.find("output b: added"), std::string::npos) << ok->body;
  write_text(a.config, a.base("", server) + "bogus_key: 1\n");
  auto bad = client.Post("/reload");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("bogus_key"), std::string::npos) << bad->body;
  write_text(a.dir / "in/coderd.log", line(7));
  ASSERT_TRUE(wait_until([&] { return delivered(a.dir / "b.ndjson").count(7) == 1; }));
}

namespace {

// One connection written to with raw request bytes, as curl writes them (no client library
// filling in headers).
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Sends a request and returns its whole response (headers and Content-Length bytes of body).
  std::string exchange(const std::string& request) {
    if (fd_ < 0 || ::write(fd_, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return {};
    std::string answer;
    char buf[4096];
    while (true) {
      size_t end = answer.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t at = answer.find("Content-Length: ");
        size_t length = at == std::string::npos ? 0 : std::stoul(answer.substr(at + 16));
        if (answer.size() >= end + 4 + length) return answer;
      }
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return answer;
      answer.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
};

}  // namespace

// `curl -X POST .../reload` sends no Content-Length: it reloads (operations.md shows it so). A
// body, when there is one, is read and dropped, and the next request on the connection is
// answered too.
TEST(Reload, PostReloadWithoutABodyReloads) {
  Agent a;
  std::string server = "server: {listen: \"127.0.0.1:0\"}\n";
  a.start(a.base("", server));
  ASSERT_GT(a.rt->server_port(), 0);
  write_text(a.config, a.base("", server) + a.output_b());
  std::string answer =
      RawConnection(a.rt->server_port()).exchange("POST /reload HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(answer.find("output b: added"), std::string::npos) << answer;
  EXPECT_EQ(a.rt->metrics().value("auditrelay_config_reloads_total", "result=\"success\""), 1u);

  RawConnection kept(a.rt->server_port());
  std::string first = kept.exchange("POST /reload HTTP/1.1\r\nHost: agent\r\nContent-Length: 9\r\n\r\nignored=1");
  EXPECT_TRUE(first.starts_with("HTTP/1.1 200")) << first;
  std::string second = kept.exchange("POST /reload HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(second.starts_with("HTTP/1.1 200")) << second;
  EXPECT_EQ(a.rt->metrics().value("auditrelay_config_reloads_total", "result=\"success\""), 3u);
}

// `auditrelay reload` does what `curl -X POST .../reload` does, for images without curl or a
// shell: what changed on stdout and exit 0; the problems on stderr and exit 1; 2 for a bad url.
TEST(Reload, TheReloadCommandAsksTheRunningAgent) {
  Agent a;
  std::string server = "server: {listen: \"127.0.0.1:0\"}\n";
  a.start(a.base("", server));
  ASSERT_GT(a.rt->server_port(), 0);
  std::string url = "http://127.0.0.1:" + std::to_string(a.rt->server_port());
  auto reload = [&](const std::string& u) {
    Child c = spawn({AUDITRELAY_BINARY, "reload", "--url", u}, a.dir / "reload.out", a.dir / "reload.err");
    return c.wait();
  };
  write_text(a.config, a.base("", server) + a.output_b());
  EXPECT_EQ(reload(url), 0) << slurp(a.dir / "reload.err");
  EXPECT_NE(slurp(a.dir / "reload.out").find("output b: added"), std::string::npos) << slurp(a.dir / "reload.out");
  write_text(a.config, a.base("", server) + "bogus_key: 1\n");
  EXPECT_EQ(reload(url + "/reload"), 1);
  EXPECT_NE(slurp(a.dir / "reload.err").find("bogus_key"), std::string::npos) << slurp(a.dir / "reload.err");
  EXPECT_EQ(reload("not a url"), 2);
  EXPECT_EQ(a.rt->metrics().value("auditrelay_config_reloads_total", "result=\"success\""), 1u);
}

// With server.token, POST /reload needs the bearer token (from `auditrelay reload --token-file`
// or $AUDITRELAY_SERVER_TOKEN); the probes and /metrics stay open.
TEST(Reload, AServerTokenGuardsReloadButNotTheProbes) {
  Agent a;
  write_text(a.dir / "token", "s3cret-token\n");
  std::string server = "server: {listen: \"127.0.0.1:0\", token_file: " + a.dir / "token" + "}\n";
  a.start(a.base("", server));
  ASSERT_GT(a.rt->server_port(), 0);
  std::string url = "http://127.0.0.1:" + std::to_string(a.rt->server_port());
  httplib::Client client("127.0.0.1", a.rt->server_port());
  for (const char* path : {"/metrics", "/healthz", "/readyz"}) {
    auto r = client.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
  }
  auto without = client.Post("/reload");
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 401);
  EXPECT_NE(without->body.find("Authorization: Bearer"), std::string::npos) << without->body;
  auto wrong = client.Post("/reload", {{"Authorization", "Bearer s3cret-tokeX"}}, "", "text/plain");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(a.rt->metrics().value("auditrelay_config_reloads_total", "result=\"success\""), 0u);

  write_text(a.config, a.base("", server) + a.output_b());
  Child refused = spawn({AUDITRELAY_BINARY, "reload", "--url", url}, a.dir / "reload.out",
                        a.dir / "reload.err");
  EXPECT_EQ(refused.wait(), 1);
  EXPECT_NE(slurp(a.dir / "reload.err").find("unauthorized"), std::string::npos);
  Child with_file = spawn({AUDITRELAY_BINARY, "reload", "--url", url, "--token-file", a.dir / "token"},
                          a.dir / "reload.out", a.dir / "reload.err");
  EXPECT_EQ(with_file.wait(), 0) << slurp(a.dir / "reload.err");
  EXPECT_NE(slurp(a.dir / "reload.out").find("output b: added"), std::string::npos);
  ::setenv("AUDITRELAY_SERVER_TOKEN", "s3cret-token", 1);
  Child with_env = spawn({AUDITRELAY_BINARY, "reload", "--url", url}, a.dir / "reload.out",
                         a.dir / "reload.err");
  EXPECT_EQ(with_env.wait(), 0) << slurp(a.dir / "reload.err");
  ::unsetenv("AUDITRELAY_SERVER_TOKEN");
  EXPECT_EQ(a.rt->metrics().value("auditrelay_config_reloads_total", "result=\"success\""), 2u);
}

TEST(Reload, SighupReloadsTheRunningAgent) {
  Agent a;
  write_text(a.config, a.base());
  Child c =
      spawn({AUDITRELAY_BINARY, "run", "--config", a.config}, a.dir / "stdout", a.dir / "stderr");
  write_text(a.dir / "in/coderd.log", line(0));
  ASSERT_TRUE(wait_until([&] { return delivered(a.dir / "a.ndjson").size() == 1; }))
      << slurp(a.dir / "stderr");
  write_text(a.config, a.base() + a.output_b());
  c.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] {
    return slurp(a.dir / "stderr").find("output b: added") != std::string::npos;
  })) << slurp(a.dir / "stderr");
  write_text(a.dir / "in/coderd.log", line(1), true);
  ASSERT_TRUE(wait_until([&] { return delivered(a.dir / "b.ndjson").count(1) == 1; }))
      << slurp(a.dir / "stderr");
  EXPECT_EQ(delivered(a.dir / "b.ndjson").count(0), 0u);
  // A bad config on SIGHUP: logged, and the agent runs on.
  write_text(a.config, "inputs: [");
  c.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] {
    return slurp(a.dir / "stderr").find("reload rejected") != std::string::npos;
  })) << slurp(a.dir / "stderr");
  write_text(a.dir / "in/coderd.log", line(2), true);
  ASSERT_TRUE(wait_until([&] { return delivered(a.dir / "a.ndjson").size() == 3; }))
      << slurp(a.dir / "stderr");
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait(), 0);
}

}  // namespace
