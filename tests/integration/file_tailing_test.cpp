// The file input against real files: rotation by rename, copytruncate, truncation, deletion,
// identical headers (Vector's five file-source cases), inode reuse, rotation while the agent is
// stopped, 1,000 files with bounded descriptors, container log paths, long and split lines.
// Each writer test appends at full speed while the file is rotated and checks every line is
// delivered exactly once and whole.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "agent/config/agent_config.h"
#include "agent/runtime.h"
#include "support/checkpoints.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {

std::string line(int seq, const std::string& tag = "a") {
  return R"({"ts":"2025-09-16T12:00:00.123456789Z","level":"INFO","msg":"line","logger_names":["coderd"],"fields":{"seq":)" +
         std::to_string(seq) + R"(,"file":")" + tag +
         R"(","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}})" + "\n";
}

std::string lines(int from, int to, const std::string& tag = "a") {
  std::string s;
  for (int i = from; i < to; ++i) s += line(i, tag);
  return s;
}

// An agent in this process: one file input, one file output.
struct Tail {
  TempDir dir;
  AgentConfig cfg;
  std::unique_ptr<Runtime> rt;
  // `pattern` is relative to the input directory.
  explicit Tail(const std::string& pattern, const std::string& input_extra = "",
                const std::string& format = "slog_json") {
    std::filesystem::create_directories(dir / "in");
    std::string paths = "\"" + dir / "in/" + pattern + "\"";
    std::string yaml =
        "data_dir: " + dir / "data" +
        "\npipeline: {checkpoint_interval: 50ms}\ninputs:\n  - {name: tail, type: file, paths: [" +
        paths + "], format: " + format +
        ", glob_interval: 100ms, poll_interval: 20ms, rotate_wait: 300ms" + input_extra +
        "}\noutputs:\n  - {type: file, path: " + dir / "out.ndjson" +
        ", batch: {max_delay: 20ms}}\n";
    Diagnostics d("t");
    EXPECT_TRUE(load_config_text(yaml, "t", process_env(), cfg, d)) << d.to_string();
  }
  ~Tail() { stop(); }
  void start() {
    rt = std::make_unique<Runtime>(cfg);
    std::string err;
    ASSERT_TRUE(rt->start(err)) << err;
  }
  void stop() {
    if (rt) rt->stop();
    rt.reset();
  }
  std::string in(const std::string& name) const { return dir / ("in/" + name); }
  std::vector<json> events() const {
    std::vector<json> out;
    for (const auto& l : read_lines(dir / "out.ndjson"))
      out.push_back(json::parse(l));  // throws on a partial line
    return out;
  }
  // seq → times delivered, for one file tag.
  std::map<int, int> delivered(const std::string& tag = "a") const {
    std::map<int, int> m;
    for (const auto& e : events())
      if (e.contains("fields") && e["fields"].is_object() && e["fields"].value("file", "") == tag)
        ++m[e["fields"]["seq"].get<int>()];
    return m;
  }
  bool has_all(int n, const std::string& tag = "a") const {
    return delivered(tag).size() >= static_cast<size_t>(n);
  }
  uint64_t metric(const std::string& name, const std::string& labels = "input=\"tail\"") const {
    return rt->metrics().value(name, labels);
  }
  // The agent has done all it can with what is on disk: every file it tracks read to its end
  // (read lag 0), at least `lines` lines read and every line read acknowledged by the output,
  // and the positions of `files` saved at their sizes. What it would still do wrong (read a
  // file again) has then happened or would need a new reason.
  bool caught_up(const std::vector<std::string>& files, uint64_t lines) const {
    if (metric("auditrelay_read_lag_bytes") != 0) return false;
    // Read before and after: equal to sent only if no line was read in between.
    uint64_t read = metric("auditrelay_lines_read_total");
    uint64_t sent = metric("auditrelay_output_events_sent_total", "output=\"file\"");
    return read >= lines && sent == read && metric("auditrelay_lines_read_total") == read &&
           saved_at_end(dir / "data", files);
  }
  // What caught_up looks at, for failure messages.
  std::string state(const std::vector<std::string>& files) const {
    std::string out =
        "read lag " + std::to_string(metric("auditrelay_read_lag_bytes")) + ", lines read " +
        std::to_string(metric("auditrelay_lines_read_total")) + ", sent " +
        std::to_string(metric("auditrelay_output_events_sent_total", "output=\"file\"")) +
        ", files watched " + std::to_string(metric("auditrelay_files_watched"));
    SavedPositions saved(dir / "data");
    for (const auto& f : files) {
      std::error_code ec;
      out += "; " + f.substr(f.rfind('/') + 1) + " size " +
             std::to_string(std::filesystem::file_size(f, ec)) + " saved";
      for (uint64_t o : saved.of(f)) out += " " + std::to_string(o);
    }
    return out;
  }
  // ...and rotated files are read to their ends and closed: only `live` files are tracked.
  bool caught_up_and_closed(const std::vector<std::string>& files, uint64_t lines,
                            uint64_t live) const {
    return metric("auditrelay_files_watched") == live && caught_up(files, lines);
  }
};

void expect_exactly_once(const std::map<int, int>& d, int n) {
  ASSERT_EQ(d.size(), static_cast<size_t>(n)) << "lines lost";
  int dup = 0;
  for (const auto& [seq, times] : d) {
    EXPECT_TRUE(seq >= 0 && seq < n) << seq;
    dup += times - 1;
  }
  EXPECT_EQ(dup, 0) << "lines delivered twice";
}

void expect_no_stray_events(const Tail& t) {
  for (const auto& e : t.events())
    EXPECT_TRUE(e.contains("fields") && e["fields"].is_object() && e["fields"].contains("seq"))
        << e.dump();
}

// Appends lines at full speed; rotations take the lock so they happen between two lines,
// as a logger that reopens its file would see them.
struct Writer {
  std::string path;
  int fd = -1;
  std::mutex mu;
  std::atomic<int> next{0};
  int total;
  std::thread thread;
  Writer(std::string p, int n) : path(std::move(p)), total(n) {
    reopen();
    thread = std::thread([this] {
      while (next < total) {
        std::lock_guard lock(mu);
        std::string chunk;
        int upto = std::min(total, next.load() + 50);
        for (int i = next; i < upto; ++i) chunk += line(i);
        EXPECT_EQ(::write(fd, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
        next = upto;
        // ~50k lines/s: a busy coderd, and slow enough that each rotation is seen on its own.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  ~Writer() {
    if (thread.joinable()) thread.join();
    if (fd >= 0) ::close(fd);
  }
  void reopen() {
    if (fd >= 0) ::close(fd);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  void wait_for(int seq) {
    while (next < seq) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void join() { thread.join(); }
  int written() const { return next.load(); }
};

TEST(FileTailing, RenameAndCreateUnderLoadDeliversEveryLineOnce) {
  // The pattern names only the live file: a renamed one is read to its end through its descriptor.
  Tail t("a.log");
  const int n = 60000;
  t.start();
  Writer w(t.in("a.log"), n);
  for (int r = 1; r <= 3; ++r) {
    w.wait_for(n * r / 4);
    // The agent has seen this generation (two renames between two looks would hide the middle
    // file from any tailer whose pattern names only the live file).
    ASSERT_TRUE(
        wait_until([&] { return t.delivered().size() > static_cast<size_t>(n * (r - 1) / 4); }));
    std::lock_guard lock(w.mu);
    std::filesystem::rename(t.in("a.log"), t.in("a.log." + std::to_string(r)));
    w.reopen();
  }
  w.join();
  ASSERT_TRUE(wait_until([&] { return t.has_all(n); })) << t.delivered().size();
  // Every generation read to its end and acknowledged, the renamed ones closed (where a
  // re-read would start): a re-read would be in the output by now.
  std::vector<std::string> generations{t.in("a.log"), t.in("a.log.1"), t.in("a.log.2"),
                                       t.in("a.log.3")};
  ASSERT_TRUE(wait_until([&] { return t.caught_up_and_closed(generations, n, 1); }))
      << t.state(generations);
  expect_exactly_once(t.delivered(), n);
  expect_no_stray_events(t);
  EXPECT_GE(t.rt->metrics().value("auditrelay_file_rotations_total", "input=\"tail\""), 3u);
}

TEST(FileTailing, CopyTruncateUnderLoadReadsTheCopyFromWhereTheOriginalWas) {
  // logrotate's copytruncate: the copy matches the pattern, so the lines written between the
  // last read and the truncation are read from it.
  Tail t("a.log*");
  const int n = 60000;
  t.start();
  Writer w(t.in("a.log"), n);
  for (int r = 1; r <= 3; ++r) {
    w.wait_for(n * r / 4);
    ASSERT_TRUE(
        wait_until([&] { return t.delivered().size() > static_cast<size_t>(n * (r - 1) / 4); }));
    std::lock_guard lock(w.mu);  // the writer pauses for copy + truncate, as logrotate's window
    std::filesystem::copy_file(t.in("a.log"), t.in("a.log." + std::to_string(r)));
    ASSERT_EQ(::truncate(t.in("a.log").c_str(), 0), 0);
  }
  w.join();
  ASSERT_TRUE(wait_until([&] { return t.has_all(n); })) << t.delivered().size();
  // The copies read and closed, the live file read and acknowledged to its end. (A copy read
  // only from where the original was may have nothing to save a position for; an empty one, of
  // a file the writer had finished with, is never told apart and stays watched.)
  uint64_t live = 1;
  for (int r = 1; r <= 3; ++r)
    live += std::filesystem::file_size(t.in("a.log." + std::to_string(r))) == 0;
  ASSERT_TRUE(wait_until([&] { return t.caught_up_and_closed({t.in("a.log")}, n, live); }))
      << t.state({t.in("a.log"), t.in("a.log.1"), t.in("a.log.2"), t.in("a.log.3")});
  expect_exactly_once(t.delivered(), n);
  expect_no_stray_events(t);
}

TEST(FileTailing, TruncationStartsOverEvenWhenTheFileRegrowsPastTheOldOffset) {
  Tail t("a.log");
  t.start();
  write_text(t.in("a.log"), lines(0, 1000));
  ASSERT_TRUE(wait_until([&] { return t.has_all(1000); }));
  // Truncate and at once write more than was there: the size never drops below the offset,
  // only the fingerprint tells.
  write_text(t.in("a.log"), lines(1000, 4000));
  ASSERT_TRUE(wait_until([&] { return t.has_all(4000); })) << t.delivered().size();
  ASSERT_TRUE(wait_until([&] { return t.caught_up({t.in("a.log")}, 4000); }));
  expect_exactly_once(t.delivered(), 4000);
}

TEST(FileTailing, DeletedWhileOpenIsReadToItsEndAndItsPositionForgotten) {
  Tail t("a.log", ", read_buffer: 4KiB");
  const int n = 20000;
  write_text(t.in("a.log"), lines(0, n));
  t.start();
  ASSERT_TRUE(wait_until([&] { return !t.delivered().empty(); }));
  std::filesystem::remove(t.in("a.log"));
  ASSERT_TRUE(wait_until([&] { return t.has_all(n); })) << t.delivered().size();
  expect_exactly_once(t.delivered(), n);
  // Once closed, the deleted file's position is dropped.
  ASSERT_TRUE(wait_until(
      [&] { return t.rt->metrics().value("auditrelay_files_watched", "input=\"tail\"") == 0; }));
  t.stop();
  EXPECT_EQ(slurp(t.dir / "data/checkpoints.json").find("file:tail:"), std::string::npos)
      << slurp(t.dir / "data/checkpoints.json");
}

TEST(FileTailing, IdenticalHeadersAreTwoFiles) {
  // The first 2 KiB of both files are the same bytes (a shared banner), then they differ.
  std::string header = lines(0, 12, "header");
  ASSERT_GT(header.size(), 2048u);
  Tail t("*.log");
  write_text(t.in("a.log"), header + lines(0, 500, "a"));
  write_text(t.in("b.log"), header + lines(0, 700, "b"));
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(500, "a") && t.has_all(700, "b"); }));
  ASSERT_TRUE(wait_until([&] {
    return t.caught_up({t.in("a.log"), t.in("b.log")}, 12 * 2 + 1200);
  }));
  expect_exactly_once(t.delivered("a"), 500);
  expect_exactly_once(t.delivered("b"), 700);
  std::map<int, int> headers = t.delivered("header");
  ASSERT_EQ(headers.size(), 12u);
  for (const auto& [seq, times] : headers)
    EXPECT_EQ(times, 2) << "header line " << seq << " is in both files";
  std::set<std::string> ids;
  for (const auto& e : t.events()) ids.insert(e["event_id"].get<std::string>());
  EXPECT_EQ(ids.size(), t.events().size())
      << "the same line in two files must not share an event_id";
}

TEST(FileTailing, AReusedInodeWithOtherContentIsANewFile) {
  Tail t("a.log");
  write_text(t.in("a.log"), lines(0, 100, "old"));
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(100, "old"); }));
  t.stop();
  struct stat before {};
  ASSERT_EQ(::stat(t.in("a.log").c_str(), &before), 0);
  std::filesystem::remove(t.in("a.log"));
  // Another file, longer than the saved offset (a wrong match would skip its start); the file
  // system usually hands out the freed inode again.
  write_text(t.in("a.log"), lines(0, 300, "new"));
  struct stat after {};
  ASSERT_EQ(::stat(t.in("a.log").c_str(), &after), 0);
  RecordProperty("inode_reused", before.st_ino == after.st_ino ? "yes" : "no");
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(300, "new"); })) << t.delivered("new").size();
  expect_exactly_once(t.delivered("new"), 300);
}

TEST(FileTailing, ARotationWhileStoppedIsFinishedBeforeItsSuccessor) {
  Tail t("a.log");
  write_text(t.in("a.log"), lines(0, 1000));
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(1000); }));
  t.stop();
  // While stopped: more lines in the old file, then it is renamed and a new one starts.
  write_text(t.in("a.log"), lines(1000, 1500), true);
  std::filesystem::rename(t.in("a.log"), t.in("a.log.1"));
  write_text(t.in("a.log"), lines(1500, 2000));
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(2000); })) << t.delivered().size();
  // This run: the rest of the old file and the new one, both acknowledged to their ends, the old
  // one closed.
  ASSERT_TRUE(wait_until([&] {
    return t.caught_up_and_closed({t.in("a.log.1"), t.in("a.log")}, 1000, 1);
  })) << t.state({t.in("a.log.1"), t.in("a.log")});
  expect_exactly_once(t.delivered(), 2000);
  std::vector<int> order;
  for (const auto& e : t.events()) order.push_back(e["fields"]["seq"].get<int>());
  for (size_t i = 1; i < order.size(); ++i)
    ASSERT_LT(order[i - 1], order[i]) << "out of order at " << i;
}

TEST(FileTailing, GzipRotationsAreSkippedByDefault) {
  Tail t("a.log*");
  write_text(t.in("a.log.1.gz"), lines(0, 10, "gz"));
  write_text(t.in("a.log"), lines(0, 10));
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(10); }));
  // Both files were there at the first scan: a .gz read would be done and delivered by now.
  ASSERT_TRUE(wait_until([&] { return t.caught_up({t.in("a.log")}, 10); }));
  EXPECT_TRUE(t.delivered("gz").empty());
}

size_t open_descriptors() {
  size_t n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (d && ::readdir(d)) ++n;
  if (d) ::closedir(d);
  return n;
}

TEST(FileTailing, AThousandFilesWithBoundedDescriptors) {
  const int files = 1000, max_open = 100;
  Tail t("*.log", ", max_open_files: " + std::to_string(max_open));
  for (int i = 0; i < files; ++i)
    write_text(t.in("f" + std::to_string(i) + ".log"), lines(0, 3, std::to_string(i)));
  size_t baseline = open_descriptors();
  t.start();
  auto total = [&] { return t.events().size(); };
  ASSERT_TRUE(wait_until([&] { return total() >= static_cast<size_t>(files * 3); })) << total();
  // Descriptors stay bounded (the output, the checkpoint, inotify and a few sockets besides).
  EXPECT_LE(open_descriptors(), baseline + max_open + 20);
  EXPECT_LE(t.rt->metrics().value("auditrelay_files_open", "input=\"tail\""),
            static_cast<uint64_t>(max_open));
  EXPECT_EQ(t.rt->metrics().value("auditrelay_files_watched", "input=\"tail\""),
            static_cast<uint64_t>(files));
  // Closed files are opened again when they change.
  for (int i = 0; i < files; ++i)
    write_text(t.in("f" + std::to_string(i) + ".log"), lines(3, 4, std::to_string(i)), true);
  ASSERT_TRUE(wait_until([&] { return total() >= static_cast<size_t>(files * 4); })) << total();
  std::vector<std::string> all;
  for (int i = 0; i < files; ++i) all.push_back(t.in("f" + std::to_string(i) + ".log"));
  ASSERT_TRUE(wait_until([&] { return t.caught_up(all, files * 4); }));
  EXPECT_EQ(total(), static_cast<size_t>(files * 4));
  EXPECT_LE(open_descriptors(), baseline + max_open + 20);
}

TEST(FileTailing, ContainerLogsCarryKubernetesMetadataAndAreFilteredByNamespace) {
  Tail t("../containers/*.log", ", include_namespaces: [coder], exclude_pods: [\"*-canary\"]",
         "cri");
  std::filesystem::create_directories(t.dir / "containers");
  auto cri = [](const std::string& json_line) {
    return "2025-09-16T12:00:00.000000001Z stdout F " + json_line;
  };
  write_text(t.dir / "containers/coder-7d9f_coder_coder-0123456789abcdef.log",
             cri(line(1, "coder")));
  write_text(t.dir / "containers/coder-canary_coder_coder-0123456789abcdef.log",
             cri(line(2, "canary")));
  write_text(t.dir / "containers/coredns-1_kube-system_coredns-fedcba9876543210.log",
             cri(line(3, "dns")));
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(1, "coder"); }));
  // The three files were there at the first scan: a filtered one read would be delivered by now.
  ASSERT_TRUE(wait_until([&] {
    return t.caught_up({t.dir / "containers/coder-7d9f_coder_coder-0123456789abcdef.log"}, 1);
  }));
  auto events = t.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["source"]["kubernetes"]["namespace"], "coder");
  EXPECT_EQ(events[0]["source"]["kubernetes"]["pod"], "coder-7d9f");
  EXPECT_EQ(events[0]["source"]["kubernetes"]["container"], "coder");
}

// A bulk read hands its buffer to the batch and the lines are parsed where they were read; the
// lines that cross a read's end are joined and copied. Lines of every length up to 3 KiB, read
// 4 KiB at a time, must each arrive whole, in order.
TEST(FileTailing, LinesOfEveryLengthReadInPlaceArriveWhole) {
  Tail t("a.log", ", read_buffer: 4KiB");
  std::string text;
  std::vector<std::string> messages;
  for (int i = 0; i < 400; ++i) {
    std::string msg(static_cast<size_t>(1 + i * 37 % 3000), static_cast<char>('a' + i % 26));
    text += R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":")" + msg +
            R"(","fields":{"seq":)" + std::to_string(i) + R"(,"file":"a"}})" + "\n";
    messages.push_back(msg);
  }
  write_text(t.in("a.log"), text);
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(400); })) << t.delivered().size();
  auto events = t.events();
  ASSERT_EQ(events.size(), messages.size());
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i]["fields"]["seq"], static_cast<int>(i));
    ASSERT_EQ(events[i]["message"], messages[i]) << "seq " << i;
  }
}

TEST(FileTailing, CriPartialLinesAreJoinedAcrossReads) {
  // One 12 KiB entry split by the runtime into P chunks, read 4 KiB at a time.
  Tail t("a.log", ", read_buffer: 4KiB", "cri");
  std::string msg(12000, 'm');
  std::string entry = R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":")" + msg +
                      R"(","fields":{"seq":0,"file":"a"}})";
  std::string text;
  for (size_t at = 0; at < entry.size(); at += 5000) {
    bool last = at + 5000 >= entry.size();
    text += std::string("2025-09-16T12:00:00.000000001Z stdout ") + (last ? "F " : "P ") +
            entry.substr(at, 5000) + "\n";
  }
  write_text(t.in("a.log"), text + "2025-09-16T12:00:01.000000001Z stdout F " + line(1));
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(2); }));
  auto events = t.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["message"], msg);
}

TEST(FileTailing, LinesOverTheMaximumAreCutAndCounted) {
  Tail t("a.log", ", max_line_size: 1KiB", "raw");
  write_text(t.in("a.log"), std::string(5000, 'z') + "\nshort line\n");
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.events().size() >= 2; }));
  auto events = t.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["message"].get<std::string>().size(), 1024u);
  EXPECT_EQ(events[1]["message"], "short line");
  EXPECT_EQ(t.rt->metrics().value("auditrelay_lines_truncated_total", "input=\"tail\""), 1u);
}

TEST(FileTailing, AFinalLineWithoutNewlineWaitsForItsEnd) {
  Tail t("a.log");
  std::string l = line(1);
  write_text(t.in("a.log"), line(0) + l.substr(0, 40));
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(1); }));
  // The half line has been read (every byte of the file, no lag) and whatever was made of it
  // acknowledged; the position saved stays at the end of the whole line.
  ASSERT_TRUE(wait_until([&] {
    return t.metric("auditrelay_bytes_read_total") == line(0).size() + 40 && t.caught_up({}, 1) &&
           SavedPositions(t.dir / "data").has(t.in("a.log"), line(0).size());
  }));
  EXPECT_EQ(t.events().size(), 1u) << "a half line was emitted";
  write_text(t.in("a.log"), l.substr(40), true);
  ASSERT_TRUE(wait_until([&] { return t.has_all(2); }));
  expect_exactly_once(t.delivered(), 2);
}

// A service logging line by line: appends 1 ms apart, all within one read_coalesce window, are
// read by one call (without the window the input reads after nearly every append; issue 20).
TEST(FileTailing, AppendsWithinReadCoalesceAreReadTogether) {
  Tail t("a.log", ", read_coalesce: 2s");
  write_text(t.in("a.log"), line(0));
  t.start();
  ASSERT_TRUE(wait_until([&] { return t.has_all(1); }));
  ASSERT_EQ(t.metric("auditrelay_file_reads_total"), 1u);
  int fd = ::open(t.in("a.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  for (int i = 1; i <= 20; ++i) {
    std::string l = line(i);
    ASSERT_EQ(::write(fd, l.data(), l.size()), static_cast<ssize_t>(l.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::close(fd);
  ASSERT_TRUE(wait_until([&] { return t.has_all(21); }));
  expect_exactly_once(t.delivered(), 21);
  EXPECT_EQ(t.metric("auditrelay_file_reads_total"), 2u) << "20 appends read by more than one call";
}

}  // namespace

// stdout stops in the middle of an entry (a human line announcing a block that never comes)
// while stderr keeps writing: stderr's events wait for it (first-line order), but only for
// multiline_flush, not until stdout writes again.
TEST(FileTailing, AContainerStreamSilentMidEntryHoldsTheOtherOnlyForMultilineFlush) {
  Tail t("pod.log", ", multiline_flush: 200ms", "cri");
  write_text(t.in("pod.log"),
             "2025-09-16T12:00:00.000000001Z stdout F 2025-09-16 12:00:00.000 [info]  coderd: "
             "waiting ...\n");
  t.start();
  // stderr trickles in (a real writer that never pauses long enough for the idle flush) until
  // its events come out.
  int written = 0;
  bool out = wait_until(
      [&] {
        write_text(t.in("pod.log"), "2025-09-16T12:00:00.000000002Z stderr F " + line(written++),
                   true);
        return t.has_all(1);
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(out) << written << " stderr lines written, none delivered";
  auto events = t.events();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0]["message"], "waiting ...");  // first in the file, first out, dots kept
  EXPECT_EQ(events[1]["fields"]["seq"], 0);
}
