// The disk buffer: write-ahead log round trips, torn and corrupt records, full-buffer policies,
// and the end-to-end promise: an outage, the source file deleted, a restart, nothing lost.
#include "core/pipeline/disk_buffer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>

#include <nlohmann/json.hpp>
#include <thread>

#include "agent/config/agent_config.h"
#include "agent/runtime.h"
#include "coder/event/event_attributes.h"
#include "support/http_server.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {

std::shared_ptr<EncodedBatch> make_batch(int first, int n, size_t pad = 0) {
  auto b = std::make_shared<EncodedBatch>();
  auto src = std::make_shared<SourceInfo>();
  src->input = "in";
  src->host = "h";
  b->source = src;
  for (int i = first; i < first + n; ++i) {
    EncodedEvent e;
    std::string j = R"({"schema":"audit/v1","seq":)" + std::to_string(i) + R"(,"pad":")" +
                    std::string(pad, 'x') + "\"}";
    e.json[0] = Slice{static_cast<uint32_t>(b->json.size()), static_cast<uint32_t>(j.size())};
    b->json += j;
    std::string id = "id-" + std::to_string(i);
    slot(e.meta, TextAttr::EventId) =
        Slice{static_cast<uint32_t>(b->attrs.size()), static_cast<uint32_t>(id.size())};
    b->attrs += id;
    set_kind(e.meta, Kind::Audit);
    e.meta.time = Timestamp{1751525776, 144719000, 6};
    e.routes = 1;
    b->events.push_back(e);
  }
  return b;
}

std::vector<int> drain(DiskBuffer& buf, bool ack = true) {
  std::vector<int> seqs;
  while (auto b = buf.next()) {
    for (const auto& e : b->events) {
      json j = json::parse(b->event_json(e));
      seqs.push_back(j["seq"].get<int>());
      EXPECT_EQ(text(*b, e.meta, TextAttr::EventId), "id-" + std::to_string(j["seq"].get<int>()));
      EXPECT_EQ(e.meta.time.nanos, 144719000u);
      EXPECT_EQ(kind(e.meta), Kind::Audit);
    }
    if (ack) b->ack->done();
  }
  return seqs;
}

std::string only_segment(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".wal") return e.path().string();
  return {};
}

const std::atomic<bool> kNoStop{false};

}  // namespace

TEST(DiskBuffer, RoundTripAndCursorSurviveReopen) {
  TempDir dir;
  Metrics m;
  {
    DiskBuffer buf(dir / "b", 1 << 30, DiskBuffer::WhenFull::Block, m, "o");
    std::string err;
    ASSERT_TRUE(buf.open(err)) << err;
    ASSERT_TRUE(buf.append(*make_batch(0, 3), 1, kNoStop));
    ASSERT_TRUE(buf.append(*make_batch(3, 2), 1, kNoStop));
    auto b = buf.next();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->events.size(), 3u);
    b->ack->done();  // first record delivered; the second is read but not delivered
    auto second = buf.next();
    ASSERT_NE(second, nullptr);
  }
  DiskBuffer again(dir / "b", 1 << 30, DiskBuffer::WhenFull::Block, m, "o");
  std::string err;
  ASSERT_TRUE(again.open(err)) << err;
  EXPECT_EQ(drain(again), (std::vector<int>{3, 4})) << "only the undelivered record comes back";
}

TEST(DiskBuffer, TornTailIsTruncatedAndWritingGoesOn) {
  TempDir dir;
  Metrics m;
  {
    DiskBuffer buf(dir / "b", 1 << 30, DiskBuffer::WhenFull::Block, m, "o");
    std::string err;
    ASSERT_TRUE(buf.open(err)) << err;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(buf.append(*make_batch(i * 10, 10), 1, kNoStop));
  }
  std::string seg = only_segment(dir / "b");
  auto size = std::filesystem::file_size(seg);
  std::filesystem::resize_file(seg, size - 40);  // cut in the middle of the last record
  DiskBuffer buf(dir / "b", 1 << 30, DiskBuffer::WhenFull::Block, m, "o");
  std::string err;
  ASSERT_TRUE(buf.open(err)) << err;
  ASSERT_TRUE(buf.append(*make_batch(100, 1), 1, kNoStop));
  auto seqs = drain(buf);
  ASSERT_EQ(seqs.size(), 21u);
  EXPECT_EQ(seqs.front(), 0);
  EXPECT_EQ(seqs[19], 19);
  EXPECT_EQ(seqs.back(), 100);
}

// A disk that fills up in the middle of a record (here: the file size limit, which makes write()
// stop short and then fail, as ENOSPC does) must not leave the record's first part in the
// segment: the retried append would land after it and the reader, finding garbage where the
// record should start, would skip every record after it, records already acknowledged to their
// source.
TEST(DiskBuffer, AWriteThatFailsHalfwayLeavesNothingBehind) {
  TempDir dir;
  Metrics m;
  {
    DiskBuffer buf(dir / "b", 1 << 30, DiskBuffer::WhenFull::Block, m, "o");
    std::string err;
    ASSERT_TRUE(buf.open(err)) << err;
    ASSERT_TRUE(buf.append(*make_batch(0, 10), 1, kNoStop));
    auto written = std::filesystem::file_size(only_segment(dir / "b"));

    struct rlimit saved {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
    struct rlimit tight = saved;
    tight.rlim_cur = written + 100;  // room for the next record's first 100 bytes only
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tight), 0);
    bool appended = buf.append(*make_batch(10, 10, 200), 1, kNoStop);
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
    std::signal(SIGXFSZ, old_handler);
    ASSERT_FALSE(appended) << "the record did not fit under the limit";

    // The output driver retries the same batch; then more arrive.
    ASSERT_TRUE(buf.append(*make_batch(10, 10, 200), 1, kNoStop));
    ASSERT_TRUE(buf.append(*make_batch(20, 10), 1, kNoStop));
    std::vector<int> all(30);
    for (int i = 0; i < 30; ++i) all[i] = i;
    EXPECT_EQ(drain(buf, false), all) << "read in this run";
  }
  DiskBuffer again(dir / "b", 1 << 30, DiskBuffer::WhenFull::Block, m, "o");
  std::string err;
  ASSERT_TRUE(again.open(err)) << err;
  std::vector<int> all(30);
  for (int i = 0; i < 30; ++i) all[i] = i;
  EXPECT_EQ(drain(again), all) << "read again after a restart (none was delivered)";
}

TEST(DiskBuffer, CorruptRecordIsSkippedAndCounted) {
  TempDir dir;
  Metrics m;
  {
    DiskBuffer buf(dir / "b", 1 << 30, DiskBuffer::WhenFull::Block, m, "o");
    std::string err;
    ASSERT_TRUE(buf.open(err)) << err;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(buf.append(*make_batch(i * 10, 10), 1, kNoStop));
  }
  std::string seg = only_segment(dir / "b");
  std::string data = slurp(seg);
  size_t second = data.find("\"seq\":15");  // inside the second record's payload
  ASSERT_NE(second, std::string::npos);
  data[second + 7] ^= 0x01;
  write_text(seg, data);
  DiskBuffer buf(dir / "b", 1 << 30, DiskBuffer::WhenFull::Block, m, "o");
  std::string err;
  ASSERT_TRUE(buf.open(err)) << err;
  auto seqs = drain(buf);
  ASSERT_EQ(seqs.size(), 20u);
  EXPECT_EQ(seqs[9], 9);
  EXPECT_EQ(seqs[10], 20);
  EXPECT_EQ(m.value("auditrelay_buffer_corrupt_records_total", "output=\"o\""), 1u);
}

TEST(DiskBuffer, FullBufferDropsOldestOrBlocks) {
  TempDir dir;
  Metrics m;
  {
    DiskBuffer buf(dir / "drop", 3 << 20, DiskBuffer::WhenFull::DropOldest, m, "d");
    std::string err;
    ASSERT_TRUE(buf.open(err)) << err;
    for (int i = 0; i < 80; ++i)
      ASSERT_TRUE(buf.append(*make_batch(i * 10, 10, 10000), 1, kNoStop));  // ~8 MB
    EXPECT_LE(buf.size_on_disk(), uint64_t{4} << 20);
    EXPECT_GT(m.value("auditrelay_buffer_dropped_bytes_total", "output=\"d\""), 0u);
    auto seqs = drain(buf);
    ASSERT_FALSE(seqs.empty());
    EXPECT_EQ(seqs.back(), 799);  // the newest data is kept
    EXPECT_GT(seqs.front(), 0);   // the oldest was dropped
  }
  const uint64_t max_size = 3 << 20;
  // The largest record the writer makes (its last batches have the longest numbers).
  uint64_t largest = 0;
  {
    DiskBuffer probe(dir / "probe", 1 << 30, DiskBuffer::WhenFull::Block, m, "p");
    std::string err;
    ASSERT_TRUE(probe.open(err)) << err;
    ASSERT_TRUE(probe.append(*make_batch(790, 10, 10000), 1, kNoStop));
    largest = probe.size_on_disk();
  }
  DiskBuffer buf(dir / "block", max_size, DiskBuffer::WhenFull::Block, m, "b");
  std::string err;
  ASSERT_TRUE(buf.open(err)) << err;
  std::atomic<bool> stop{false}, refused_before_stop{false};
  std::atomic<int> appended{0};
  std::thread writer([&] {
    for (int i = 0; i < 80; ++i) {
      if (!buf.append(*make_batch(i * 10, 10, 10000), 1, stop)) {
        refused_before_stop = !stop.load();
        break;
      }
      ++appended;
    }
  });
  // Full: none of the writer's batches fits any more, so in block mode it waits in append...
  ASSERT_TRUE(wait_until([&] { return buf.size_on_disk() + largest > max_size; }));
  // ...until the stop lets it give up. A writer that does not wait writes all 80 (or drops).
  stop = true;
  writer.join();
  EXPECT_LT(appended.load(), 80) << "block mode kept writing past max_size";
  EXPECT_FALSE(refused_before_stop.load()) << "block mode gave up on a full buffer without waiting";
  EXPECT_LE(buf.size_on_disk(), max_size);
  EXPECT_EQ(m.value("auditrelay_buffer_dropped_bytes_total", "output=\"b\""), 0u);
}

TEST(DiskBuffer, OutageSourceDeletedRestartNothingLost) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"m","fields":{"seq":)" +
            std::to_string(i) + "}}\n";
  write_text(dir / "in/a.log", text);
  int port;
  {
    TestHttpServer probe;
    port = probe.port();
  }
  auto config = [&] {
    return "data_dir: " + dir / "data" + R"(
pipeline: {checkpoint_interval: 20ms, shutdown_timeout: 1s}
inputs:
  - {type: file, paths: [")" +
           dir / "in" + R"(/*.log"], format: slog_json, poll_interval: 10ms}
outputs:
  - {name: coll, type: http, url: "http://127.0.0.1:)" +
           std::to_string(port) + R"(/i", buffer: {type: disk},
     batch: {max_delay: 10ms}, retry: {initial: 20ms, max: 100ms}}
)";
  };
  AgentConfig cfg;
  Diagnostics d("t");
  ASSERT_TRUE(load_config_text(config(), "t", process_env(), cfg, d)) << d.to_string();
  {
    Runtime rt(cfg);
    std::string err;
    ASSERT_TRUE(rt.start(err)) << err;
    // The output is down, yet the source is fully acknowledged once the events are in the buffer.
    ASSERT_TRUE(wait_until([&] {
      return slurp(dir / "data/checkpoints.json")
                 .find("\"offset\":" + std::to_string(text.size())) != std::string::npos;
    }));
    rt.stop();
  }
  std::filesystem::remove(dir / "in/a.log");  // rotated away for good
  // The collector comes back; a new agent delivers everything from the buffer.
  httplib::Server srv;
  std::mutex mu;
  std::vector<int> got;
  srv.Post(".*", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    std::istringstream in(req.body);
    std::string l;
    while (std::getline(in, l))
      if (!l.empty()) got.push_back(json::parse(l)["fields"]["seq"].get<int>());
    res.status = 200;
  });
  ASSERT_TRUE(srv.bind_to_port("127.0.0.1", port));
  std::thread t([&] { srv.listen_after_bind(); });
  {
    Runtime rt(cfg);
    std::string err;
    ASSERT_TRUE(rt.start(err)) << err;
    EXPECT_TRUE(wait_until([&] {
      std::lock_guard lock(mu);
      return got.size() >= 1000;
    }));
    rt.stop();
  }
  srv.stop();
  t.join();
  std::lock_guard lock(mu);
  std::set<int> unique(got.begin(), got.end());
  EXPECT_EQ(unique.size(), 1000u);
  EXPECT_EQ(*unique.begin(), 0);
  EXPECT_EQ(*unique.rbegin(), 999);
}

TEST(DiskBuffer, ConcurrentBatchesInFlightDeliverEverything) {
  TestHttpServer server;
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"m","fields":{"seq":)" +
            std::to_string(i) + "}}\n";
  write_text(dir / "in/a.log", text);
  AgentConfig cfg;
  Diagnostics d("t");
  ASSERT_TRUE(
      load_config_text("data_dir: " + dir / "data" + R"(
pipeline: {checkpoint_interval: 20ms}
inputs:
  - {type: file, paths: [")" +
                           dir / "in" + R"(/*.log"], format: slog_json, poll_interval: 10ms}
outputs:
  - {type: http, url: ")" + server.url() +
                           R"(/i", concurrency: 4, batch: {max_events: 100, max_delay: 10ms}}
)",
                       "t", process_env(), cfg, d))
      << d.to_string();
  Runtime rt(cfg);
  std::string err;
  ASSERT_TRUE(rt.start(err)) << err;
  auto count = [&] {
    std::set<int> seen;
    size_t total = 0;
    for (const auto& r : server.requests()) {
      std::istringstream in(r.body);
      std::string l;
      while (std::getline(in, l))
        if (!l.empty()) {
          seen.insert(json::parse(l)["fields"]["seq"].get<int>());
          ++total;
        }
    }
    return std::make_pair(seen.size(), total);
  };
  ASSERT_TRUE(wait_until([&] { return count().first >= 20000; }));
  ASSERT_TRUE(wait_until([&] {
    return slurp(dir / "data/checkpoints.json").find("\"offset\":" + std::to_string(text.size())) !=
           std::string::npos;
  }));
  rt.stop();
  EXPECT_EQ(count().second, 20000u) << "no duplicates in the normal case";
}
