// The journald input on real journal files written by systemd-journal-remote: exactly Coder's
// entries, normalized as from a file; files that appear later; kill -9 and restarts; a vacuumed
// cursor; directories that are missing or cannot be read.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "agent/config/agent_config.h"
#include "agent/runtime.h"
#include "support/accepted_seqs.h"
#include "support/capabilities.h"
#include "support/http_server.h"
#include "support/journal_files.h"
#include "support/process.h"
#include "support/stalling_output.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {

std::string seq_line(int seq) {
  return R"({"ts":"2025-09-16T12:00:00.123456Z","level":"INFO","msg":"line","logger_names":["coderd"],"fields":{"seq":)" +
         std::to_string(seq) + "}}";
}

std::vector<JournalLine> seq_entries(int from, int to) {
  std::vector<JournalLine> out;
  for (int i = from; i < to; ++i) out.push_back(JournalLine{.message = seq_line(i)});
  return out;
}

// Seqs from..to-1 (from a multiple of 3) as three processes write them: a human entry with a
// two-line block from PID 200 whose lines come between the entries of PID 100 and of PID 300 on
// another host. So blocks are held while other processes' records go out, and a batch changes
// source in the middle.
std::vector<JournalLine> interleaved_entries(int from, int to) {
  std::vector<JournalLine> out;
  for (int i = from; i < to; i += 3) {
    out.push_back({.message = "2025-09-16 12:00:00.123 [info]  coderd: block entry  seq=" +
                              std::to_string(i + 1) + " ...",
                   .pid = 200});
    out.push_back({.message = seq_line(i), .pid = 100});
    out.push_back({.message = "    detail= part one", .pid = 200});
    if (i + 2 < to) out.push_back({.message = seq_line(i + 2), .pid = 300, .hostname = "other-vm"});
    out.push_back({.message = "            part two", .pid = 200});
  }
  return out;
}

std::vector<json> events_in(const std::string& path) {
  std::vector<json> out;
  for (const auto& line : read_lines(path)) {
    json e = json::parse(line, nullptr, false);
    if (!e.is_discarded()) out.push_back(std::move(e));
  }
  return out;
}

// seq → how many times it arrived; events without a seq count under -1.
std::map<int, int> seqs_in(const std::string& path) {
  std::map<int, int> out;
  for (const auto& e : events_in(path)) {
    bool has = e.contains("fields") && e["fields"].contains("seq");
    ++out[has ? e["fields"]["seq"].get<int>() : -1];
  }
  return out;
}

// The agent in this process: a journald input on dir/journal into an output (a file).
struct Agent {
  // `output`: the output's flow mapping ($DIR: the test's directory); `top`: more settings.
  explicit Agent(const TempDir& dir, const std::string& input_options = "",
                 const std::string& output =
                     "{name: out, type: file, path: \"$DIR/out.ndjson\", "
                     "batch: {max_delay: 20ms}}",
                 const std::string& top = "") {
    Diagnostics d("t");
    std::string yaml = "data_dir: " + dir / "data" + "\nserver: {listen: \"127.0.0.1:0\"}\n" + top +
                       "inputs:\n  - {name: journal, type: journald, directory: \"" +
                       dir / "journal" + "\"" + input_options + "}\noutputs:\n  - " + output + "\n";
    for (size_t p = yaml.find("$DIR"); p != std::string::npos; p = yaml.find("$DIR"))
      yaml.replace(p, 4, dir.path());
    EXPECT_TRUE(load_config_text(yaml, "t", process_env(), cfg, d)) << d.to_string();
  }
  void start() {
    rt = std::make_unique<Runtime>(cfg);
    std::string err;
    ASSERT_TRUE(rt->start(err)) << err;
  }
  ~Agent() {
    if (rt) rt->stop();
  }
  uint64_t sent() {
    return rt->metrics().value("auditrelay_output_events_sent_total", "output=\"out\"");
  }
  uint64_t metric(const std::string& name) {
    return rt->metrics().value(name, "input=\"journal\"");
  }
  httplib::Result get(const std::string& path) {
    httplib::Client c("127.0.0.1", rt->server_port());
    return c.Get(path.c_str());
  }
  AgentConfig cfg;
  std::unique_ptr<Runtime> rt;
};

// What `auditrelay normalize` makes of a sample file: the events a file input would send.
std::vector<json> normalized_sample(const std::string& name) {
  TempDir tmp;
  Child c =
      spawn({AUDITRELAY_BINARY, "normalize", std::string(AUDITRELAY_SAMPLES_DIR) + "/" + name},
            tmp / "out", tmp / "err");
  EXPECT_EQ(c.wait(), 0) << slurp(tmp / "err");
  return events_in(tmp / "out");
}

// An event without what depends on where it was read: its id, source and observed time, and
// for a line in no known format its time (the read time for a file, the journal's for an entry).
std::string comparable(json e) {
  bool raw = e["source"].value("format", "") == "raw";
  e.erase("event_id");
  e.erase("observed_time");
  e.erase("source");
  if (raw) e.erase("time");
  return e.dump();
}

}  // namespace

// The JSON and human samples, line by line as journald stores a service's stdout (one entry per
// line, blocks included, from two processes of coder.service), mixed with other units' entries.
TEST(Journald, ReadsExactlyCodersEntriesNormalizedAsFromAFile) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  std::vector<JournalLine> lines;
  auto json_lines = read_lines(std::string(AUDITRELAY_SAMPLES_DIR) + "/coderd.json.log");
  auto human_lines = read_lines(std::string(AUDITRELAY_SAMPLES_DIR) + "/coderd.human.log");
  for (size_t i = 0; i < std::max(json_lines.size(), human_lines.size()); ++i) {
    if (i < json_lines.size()) lines.push_back(JournalLine{.message = json_lines[i], .pid = 100});
    lines.push_back(JournalLine{.unit = "nginx.service", .message = "GET / 200", .pid = 7});
    if (i < human_lines.size()) lines.push_back(JournalLine{.message = human_lines[i], .pid = 200});
    lines.push_back(JournalLine{.unit = "", .message = "kernel: eth0 up", .pid = 1});
  }
  // A line in no known format takes its severity from the entry's PRIORITY (3: error).
  lines.push_back(JournalLine{.message = "Started Coder server.", .pid = 300, .priority = 3});
  ASSERT_TRUE(JournalWriter().write(dir / "journal", "system.journal", lines));

  std::vector<std::string> want;
  for (const auto* sample : {"coderd.json.log", "coderd.human.log"})
    for (const auto& e : normalized_sample(sample)) want.push_back(comparable(e));
  ASSERT_GT(want.size(), 90u);

  Agent agent(dir);
  ASSERT_NO_FATAL_FAILURE(agent.start());
  ASSERT_TRUE(wait_until([&] { return agent.sent() == want.size() + 1; })) << agent.sent();
  agent.rt->stop();

  std::vector<std::string> got;
  bool saw_started = false;
  for (const auto& e : events_in(dir / "out.ndjson")) {
    const json& src = e["source"];
    EXPECT_EQ(src["type"], "journald");
    EXPECT_EQ(src["input"], "journal");
    EXPECT_EQ(src["host"], "coder-vm");
    EXPECT_EQ(src["journal"]["unit"], "coder.service");
    EXPECT_EQ(src["journal"]["boot_id"], kBootId);
    EXPECT_TRUE(src["journal"]["cursor"].get<std::string>().starts_with("s=")) << src;
    EXPECT_FALSE(src.contains("offset"));
    if (e.value("message", "") == "Started Coder server.") {
      saw_started = true;
      EXPECT_EQ(e["severity"], "error");
      EXPECT_EQ(src["journal"]["pid"], 300);
      EXPECT_EQ(e["time"], "2025-09-16T12:00:00.000" + std::to_string(lines.size()) + "Z")
          << "the entry's own time (the writer gives entry i i microseconds)";
      continue;
    }
    got.push_back(comparable(e));
  }
  EXPECT_TRUE(saw_started);
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
}

TEST(Journald, FilesThatAppearWhileRunningAreRead) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  JournalWriter writer;
  ASSERT_TRUE(writer.write(dir / "journal", "system@1.journal", seq_entries(0, 100)));
  Agent agent(dir);
  ASSERT_NO_FATAL_FAILURE(agent.start());
  ASSERT_TRUE(wait_until([&] { return agent.sent() == 100; }));
  ASSERT_TRUE(writer.write(dir / "journal", "system@2.journal", seq_entries(100, 250)));
  ASSERT_TRUE(wait_until([&] { return agent.sent() == 250; })) << agent.sent();
  EXPECT_EQ(agent.metric("auditrelay_journal_entries_read_total"), 250u);
  auto seqs = seqs_in(dir / "out.ndjson");
  EXPECT_EQ(seqs.size(), 250u);
  for (const auto& [seq, n] : seqs) EXPECT_EQ(n, 1) << seq;
}

// kill -9 at random moments while journal files keep appearing; then every entry has arrived,
// and after a clean stop a restart sends nothing again.
TEST(Journald, KillDashNineLosesNothingAndACleanStopSendsNothingTwice) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  JournalWriter writer;
  const int per_file = 9999, files = 4;  // multiples of 3 (interleaved_entries)
  for (int f = 0; f < 2; ++f)
    ASSERT_TRUE(writer.write(dir / "journal", "system@" + std::to_string(f) + ".journal",
                             interleaved_entries(f * per_file, (f + 1) * per_file)));
  write_text(dir / "cfg.yaml", "data_dir: " + dir / "data" +
                                   "\npipeline: {checkpoint_interval: 20ms, max_in_flight: 1MiB}\n"
                                   "inputs:\n  - {type: journald, directory: \"" +
                                   dir / "journal" +
                                   "\", batch_size: 16KiB}\n"
                                   "outputs:\n  - {type: file, path: \"" +
                                   dir / "out.ndjson" +
                                   "\", batch: {max_events: 200, max_delay: 20ms}}\n");
  std::mt19937 rng(26);
  auto run = [&](const std::string& log) {
    return spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                 dir / log);
  };
  for (int round = 0; round < 4; ++round) {
    if (round == 1) {  // a file appears while the agent is down
      ASSERT_TRUE(writer.write(dir / "journal", "system@2.journal",
                               interleaved_entries(2 * per_file, 3 * per_file)));
    }
    std::string log = "stderr" + std::to_string(round);
    Child c = run(log);
    size_t before = count_lines(dir / "out.ndjson");
    ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") > before; }))
        << slurp(dir / log);
    if (round == 2) {  // and one while it runs
      ASSERT_TRUE(writer.write(dir / "journal", "system@3.journal",
                               interleaved_entries(3 * per_file, 4 * per_file)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
  const size_t n = static_cast<size_t>(per_file * files);
  {
    Child last = run("stderr-last");
    ASSERT_TRUE(wait_until([&] { return seqs_in(dir / "out.ndjson").size() >= n; }))
        << slurp(dir / "stderr-last");
    last.signal(SIGTERM);
    EXPECT_EQ(last.wait(), 0);
  }
  auto seqs = seqs_in(dir / "out.ndjson");
  EXPECT_EQ(seqs.count(-1), 0u) << "a block was cut into pieces";
  EXPECT_EQ(seqs.size(), n);
  EXPECT_EQ(seqs.begin()->first, 0);
  EXPECT_EQ(seqs.rbegin()->first, static_cast<int>(n) - 1);
  for (const auto& e : events_in(dir / "out.ndjson")) {
    if (e["message"] == "block entry") {
      ASSERT_EQ(e["fields"]["detail"], "part one\npart two");
    }
  }

  // After the clean stop: one new entry, and exactly that one arrives.
  size_t delivered = count_lines(dir / "out.ndjson");
  ASSERT_TRUE(writer.write(dir / "journal", "system@9.journal",
                           seq_entries(static_cast<int>(n), static_cast<int>(n) + 1)));
  Child again = run("stderr-again");
  ASSERT_TRUE(wait_until([&] {
    return seqs_in(dir / "out.ndjson").count(static_cast<int>(n)) == 1;
  })) << slurp(dir / "stderr-again");
  again.signal(SIGTERM);
  EXPECT_EQ(again.wait(), 0);
  EXPECT_EQ(count_lines(dir / "out.ndjson"), delivered + 1);
}

// The delivery core's worst moment, from the journal: at concurrency 4 with small batches the
// one request carrying seq 1500 fails over and over while the other parts of its batch (and
// held blocks of other processes around it) are delivered; kill -9, heal the collector,
// restart: every entry arrives.
TEST(Journald, AStuckPartAtConcurrencyFourSurvivesKillDashNine) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  const int n = 6000;
  ASSERT_TRUE(JournalWriter().write(dir / "journal", "system.journal", interleaved_entries(0, n)));
  std::atomic<bool> healed{false};
  std::atomic<int> stuck_tries{0};
  Accepted accepted;
  TestHttpServer collector;
  collector.set_handler([&](const Recorded& r) -> Scripted {
    if (!healed && r.body.find("\"seq\":1500}") != std::string::npos) {
      ++stuck_tries;
      return {503, "busy", ""};
    }
    accepted.add(r.body);
    return {200, "", ""};
  });
  write_text(dir / "cfg.yaml",
             "data_dir: " + dir / "data" +
                 "\npipeline: {checkpoint_interval: 20ms, max_in_flight: 16MiB}\n"
                 "inputs:\n  - {type: journald, directory: \"" +
                 dir / "journal" +
                 "\", batch_size: 256KiB}\n"
                 "outputs:\n  - {name: h, type: http, url: \"" +
                 collector.url() +
                 "/ingest\", concurrency: 4, batch: {max_events: 100, max_delay: 20ms},"
                 " retry: {initial: 50ms, max: 100ms}}\n");
  {
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                    dir / "stderr1");
    ASSERT_TRUE(wait_until([&] { return stuck_tries.load() >= 3 && accepted.size() >= n - 100u; }))
        << slurp(dir / "stderr1");
    ASSERT_FALSE(accepted.has(1500));
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
  healed = true;
  Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                  dir / "stderr2");
  ASSERT_TRUE(wait_until([&] { return accepted.size() == static_cast<size_t>(n); }))
      << "missing entries after the restart; " << slurp(dir / "stderr2");
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait(), 0);
}

// The file holding the saved cursor, and the next one, are vacuumed while the agent is down:
// it resumes at the oldest remaining entry and counts the gap.
TEST(Journald, AVacuumedCursorResumesAtTheOldestRemainingEntryAndCountsTheGap) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  JournalWriter writer;
  ASSERT_TRUE(writer.write(dir / "journal", "system@1.journal", seq_entries(0, 100)));
  {
    Agent agent(dir);
    ASSERT_NO_FATAL_FAILURE(agent.start());
    ASSERT_TRUE(wait_until([&] { return agent.sent() == 100; }));
  }
  ASSERT_TRUE(writer.write(dir / "journal", "system@2.journal", seq_entries(100, 150)));
  ASSERT_TRUE(writer.write(dir / "journal", "system@3.journal", seq_entries(150, 200)));
  std::filesystem::remove(dir / "journal/system@1.journal");
  std::filesystem::remove(dir / "journal/system@2.journal");

  Agent agent(dir);
  ASSERT_NO_FATAL_FAILURE(agent.start());
  ASSERT_TRUE(wait_until([&] { return agent.sent() == 50; })) << agent.sent();
  EXPECT_EQ(agent.metric("auditrelay_journal_cursor_gaps_total"), 1u);
  auto seqs = seqs_in(dir / "out.ndjson");
  EXPECT_EQ(seqs.size(), 150u);  // 0..99 from the first run, 150..199 now
  EXPECT_EQ(seqs.count(100), 0u);
  EXPECT_EQ(seqs.count(150), 1u);
  for (const auto& [seq, n] : seqs) EXPECT_EQ(n, 1) << seq;
}

// read_from: end skips what is there at the very first start only.
TEST(Journald, ReadFromEndSkipsOnlyWhatWasThereAtTheFirstStart) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  JournalWriter writer;
  ASSERT_TRUE(writer.write(dir / "journal", "system@1.journal", seq_entries(0, 10)));
  {
    Agent agent(dir, ", read_from: end");
    ASSERT_NO_FATAL_FAILURE(agent.start());
    // The tail is saved at once: after that, what is written is read.
    ASSERT_TRUE(wait_until([&] {
      return slurp(dir / "data/checkpoints.json").find("journald:journal") != std::string::npos;
    }));
    ASSERT_TRUE(writer.write(dir / "journal", "system@2.journal", seq_entries(10, 20)));
    ASSERT_TRUE(wait_until([&] { return agent.sent() == 10; }));
  }
  ASSERT_TRUE(writer.write(dir / "journal", "system@3.journal", seq_entries(20, 30)));
  Agent agent(dir, ", read_from: end");
  ASSERT_NO_FATAL_FAILURE(agent.start());
  ASSERT_TRUE(wait_until([&] { return agent.sent() == 10; }));
  auto seqs = seqs_in(dir / "out.ndjson");
  EXPECT_EQ(seqs.size(), 20u);
  EXPECT_EQ(seqs.begin()->first, 10);
  EXPECT_EQ(seqs.rbegin()->first, 29);
}

// The journal is the buffer: while the output holds everything in flight, reading stops (it
// waits for memory) instead of buffering the journal in memory; then everything arrives.
TEST(Journald, AStalledOutputStopsReadingWithinTheMemoryBudget) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  const int n = 20000;  // ~8 MB of records against a 1 MiB budget
  ASSERT_TRUE(JournalWriter().write(dir / "journal", "system.journal", seq_entries(0, n)));
  g_stalling_output.stalled = true;
  g_stalling_output.delivered = 0;
  Agent agent(dir, ", batch_size: 16KiB", "{name: out, type: test_stall, batch: {max_events: 100}}",
              "pipeline: {max_in_flight: 1MiB}\n");
  ASSERT_NO_FATAL_FAILURE(agent.start());
  // Waiting while the budget is used up (the gauge is also 1 for a moment at every batch).
  ASSERT_TRUE(wait_until([&] {
    return agent.metric("auditrelay_input_waiting_for_memory") == 1 &&
           agent.rt->metrics().value("auditrelay_bytes_in_flight") >= (1u << 20) - (64u << 10);
  }));
  uint64_t read = agent.metric("auditrelay_journal_entries_read_total");
  EXPECT_LT(read, static_cast<uint64_t>(n) / 2) << "read while the output held everything";
  EXPECT_LE(agent.rt->metrics().value("auditrelay_bytes_in_flight"), 2u << 20);
  g_stalling_output.stalled = false;
  ASSERT_TRUE(wait_until([&] {
    return g_stalling_output.delivered.load() == static_cast<size_t>(n);
  })) << g_stalling_output.delivered.load();
  EXPECT_EQ(agent.metric("auditrelay_journal_entries_read_total"), static_cast<uint64_t>(n));
}

// units and matches: sd-journal's rule, values of one field ORed, fields ANDed.
TEST(Journald, UnitsAndMatchesSelectEntries) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  std::vector<JournalLine> lines;
  for (int i = 0; i < 12; ++i)
    lines.push_back(JournalLine{.unit = i % 3 == 0   ? "coder.service"
                                        : i % 3 == 1 ? "coder-provisioner.service"
                                                     : "nginx.service",
                                .message = seq_line(i),
                                .priority = i % 2 ? 3 : 6});
  ASSERT_TRUE(JournalWriter().write(dir / "journal", "system.journal", lines));
  Agent agent(
      dir,
      ", units: [coder.service, coder-provisioner.service], matches: {PRIORITY: [\"3\", \"4\"]}");
  ASSERT_NO_FATAL_FAILURE(agent.start());
  // Coder's two units and priority 3: 1, 3, 7, 9.
  ASSERT_TRUE(wait_until([&] { return agent.sent() == 4; }));
  auto seqs = seqs_in(dir / "out.ndjson");
  EXPECT_EQ(seqs, (std::map<int, int>{{1, 1}, {3, 1}, {7, 1}, {9, 1}}));

  // units: [] reads every unit.
  TempDir every;
  std::filesystem::create_directories(every / "journal");
  std::filesystem::copy(dir / "journal/system.journal", every / "journal/system.journal");
  Agent all(every, ", units: []");
  ASSERT_NO_FATAL_FAILURE(all.start());
  ASSERT_TRUE(wait_until([&] { return all.sent() == 12; })) << all.sent();
}

TEST(Journald, BadConfigIsALocatedValidateError) {
  TempDir dir;
  std::string yaml = "data_dir: " + dir / "data" +
                     "\ninputs:\n"
                     "  - type: journald\n"
                     "    directory: " +
                     dir / "nowhere" +
                     "\n"
                     "    format: cri\n"
                     "    matches: {_systemd_unit: x, PRIORITY: [3, [4]], _SYSTEMD_UNIT: y}\n"
                     "outputs:\n  - {type: stdout}\n";
  AgentConfig cfg;
  Diagnostics d("cfg.yaml");
  EXPECT_FALSE(load_config_text(yaml, "cfg.yaml", process_env(), cfg, d));
  std::string text = d.to_string();
  EXPECT_NE(
      text.find("cfg.yaml:4: inputs[0].directory: '" + dir / "nowhere" + "' is not a directory"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("cfg.yaml:5: inputs[0].format: unknown format 'cri' for the journal"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("inputs[0].matches._systemd_unit: a journal field name is upper-case"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("inputs[0].matches.PRIORITY: expected a value or a list of values"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("inputs[0].matches._SYSTEMD_UNIT: give units in `units`"), std::string::npos)
      << text;
}

// A journal file the agent may not read: /readyz says why, nothing crashes, and once it can be
// read its entries arrive. The directory vanishing while running is the same: not ready.
TEST(Journald, AnUnreadableJournalMakesTheAgentUnreadyUntilItCanBeRead) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  ASSERT_TRUE(JournalWriter().write(dir / "journal", "system.journal", seq_entries(0, 5)));
  ::chmod((dir / "journal/system.journal").c_str(), 0);
  Agent agent(dir);
  {
    WithoutPermissionOverride unprivileged;  // the agent's threads start without it
    ASSERT_NO_FATAL_FAILURE(agent.start());
  }
  std::string why;
  ASSERT_TRUE(wait_until([&] {
    auto r = agent.get("/readyz");
    if (r && r->status == 503) why = r->body;
    return !why.empty();
  }));
  EXPECT_NE(why.find("input journal: no journal file in " + dir / "journal" + " can be read"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("systemd-journal group"), std::string::npos) << why;
  ::chmod((dir / "journal/system.journal").c_str(), 0644);
  ASSERT_TRUE(wait_until([&] { return agent.sent() == 5; }));
  ASSERT_TRUE(wait_until([&] {
    auto r = agent.get("/readyz");
    return r && r->status == 200;
  }));
  std::filesystem::remove_all(dir / "journal");
  ASSERT_TRUE(wait_until([&] {
    auto r = agent.get("/readyz");
    return r && r->status == 503;
  }));
}

// A MESSAGE of several lines (sd_journal_send) gives a record per line, each with its own
// event_id; an over-long message is cut at max_line_size and counted; read_from: end on an empty
// journal still saves where it began, so a restart misses nothing written meanwhile.
TEST(Journald, LinesOfOneMessageMessagesCutAndAnEmptyJournalAtTheFirstStart) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  Agent first(dir, ", read_from: end, max_line_size: 200");
  ASSERT_NO_FATAL_FAILURE(first.start());
  ASSERT_TRUE(wait_until([&] {
    return slurp(dir / "data/checkpoints.json").find("journald:journal") != std::string::npos;
  }));
  first.rt->stop();
  first.rt.reset();
  std::vector<JournalLine> lines = {{.message = "first line\nsecond line\nthird line", .pid = 0},
                                    {.message = std::string(1000, 'x'), .pid = 7}};
  ASSERT_TRUE(JournalWriter().write(dir / "journal", "system.journal", lines));
  Agent agent(dir, ", read_from: end, max_line_size: 200");
  ASSERT_NO_FATAL_FAILURE(agent.start());
  ASSERT_TRUE(wait_until([&] { return agent.sent() == 4; })) << agent.sent();
  auto events = events_in(dir / "out.ndjson");
  ASSERT_EQ(events.size(), 4u);
  std::set<std::string> ids;
  for (const auto& e : events) ids.insert(e["event_id"].get<std::string>());
  EXPECT_EQ(ids.size(), 4u) << "every record has its own id";
  EXPECT_EQ(events[0]["message"], "first line");
  EXPECT_EQ(events[2]["message"], "third line");
  EXPECT_EQ(events[0]["source"]["journal"]["pid"], 0);
  EXPECT_EQ(events[3]["message"], std::string(200, 'x'));
  EXPECT_EQ(agent.metric("auditrelay_journal_messages_truncated_total"), 1u);
}

// The checkpoint never passes a block still held for its process's next line, even though a
// later entry of another process was delivered: after a stop, the block is read again whole.
TEST(Journald, AHeldBlockKeepsTheCheckpointBeforeIt) {
  TempDir dir;
  std::filesystem::create_directories(dir / "journal");
  JournalWriter writer;
  auto header = [](int seq, const char* end) {
    return "2025-09-16 12:00:00.123 [info]  coderd: block entry  seq=" + std::to_string(seq) + end;
  };
  ASSERT_TRUE(writer.write(dir / "journal", "system@1.journal",
                           {{.message = header(1, " ..."), .pid = 200},
                            {.message = "    detail= part one", .pid = 200},
                            {.message = seq_line(0), .pid = 100}}));
  {
    Agent agent(dir, ", multiline_flush: 1h");
    ASSERT_NO_FATAL_FAILURE(agent.start());
    ASSERT_TRUE(wait_until([&] { return agent.sent() == 1; }));  // seq 0; the block is held
  }
  ASSERT_TRUE(writer.write(dir / "journal", "system@2.journal",
                           {{.message = "            part two", .pid = 200},
                            {.message = seq_line(2), .pid = 100},
                            {.message = header(3, ""), .pid = 200}}));
  Agent agent(dir, ", multiline_flush: 1h");
  ASSERT_NO_FATAL_FAILURE(agent.start());
  ASSERT_TRUE(wait_until([&] {
    auto seqs = seqs_in(dir / "out.ndjson");
    return seqs.count(1) && seqs.count(2) && seqs.count(3);
  })) << slurp(dir / "out.ndjson");
  for (const auto& e : events_in(dir / "out.ndjson")) {
    if (e["fields"].value("seq", 0) == 1) {
      EXPECT_EQ(e["fields"]["detail"], "part one\npart two");
    }
  }
}
