// The command line as users and their scripts see it: exit codes, messages, signals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <tuple>

#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

struct Result {
  int code;
  std::string out, err;
};

Result run(const std::vector<std::string>& args, const std::string& in = "/dev/null") {
  TempDir dir;
  std::vector<std::string> full{AUDITRELAY_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  Child c = spawn(full, dir / "out", dir / "err", in);
  int code = c.wait();
  return Result{code, slurp(dir / "out"), slurp(dir / "err")};
}

// Writes dir/cfg.yaml: a file input on dir/in/*.log into a file output dir/out.ndjson, with
// extra input options and extra top-level YAML; returns its path.
std::string file_to_file_config(const TempDir& dir, const std::string& input_options,
                                const std::string& max_delay, const std::string& top = "") {
  write_text(dir / "cfg.yaml", "data_dir: " + dir / "data" + "\n" + top +
                                   "inputs:\n  - {type: file, paths: [\"" + dir / "in" +
                                   "/*.log\"], " + input_options +
                                   "}\noutputs:\n  - {type: file, path: " + dir / "out.ndjson" +
                                   ", batch: {max_delay: " + max_delay + "}}\n");
  return dir / "cfg.yaml";
}

}  // namespace

TEST(Cli, VersionAndHelp) {
  auto r = run({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("auditrelay "));
  EXPECT_EQ(run({"--version"}).code, 0);
  r = run({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("normalize"));
  EXPECT_EQ(run({"run", "--help"}).code, 0);
  EXPECT_EQ(run({"--no-such-flag"}).code, 2);
  EXPECT_EQ(run({"frobnicate"}).code, 2);
}

TEST(Cli, ValidateReportsEveryProblemWithItsLocation) {
  TempDir dir;
  write_text(dir / "good.yaml",
             "data_dir: /tmp/x\ninputs:\n  - {type: file, paths: [/var/log/*.log]}\noutputs:\n  - "
             "{type: stdout}\n");
  auto r = run({"validate", "--config", dir / "good.yaml"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("valid"));
  write_text(dir / "bad.yaml",
             "inputs:\n  - type: file\n    pathz: [/x]\noutputs:\n  - {type: stdout, match: "
             "\"kind:nope\"}\n");
  r = run({"validate", "--config", dir / "bad.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(dir / "bad.yaml" + ":3: inputs[0].pathz: unknown key 'pathz' for "
                                                  "input type 'file' (did you mean 'paths'?)"));
  EXPECT_THAT(r.err,
              HasSubstr(dir / "bad.yaml" + ":2: inputs[0].paths: required option is missing"));
  EXPECT_THAT(
      r.err,
      HasSubstr("outputs[0].match: invalid filter query: Query param \"kind\" has invalid value"));
  r = run({"validate", "--config", dir / "missing.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot read config file"));
}

// The bundled API pages are whole, pretty-printed responses, as curl prints them: --format api
// takes them (as well as rows one per line), and --help names every format.
TEST(Cli, NormalizeTakesWholeApiResponses) {
  for (const auto& [file, key, kind] :
       {std::tuple{"api.audit_logs.json", "audit_logs", "audit"},
        std::tuple{"api.connection_logs.json", "connection_logs", "connection"}}) {
    std::string path = std::string(AUDITRELAY_SAMPLES_DIR) + "/" + file;
    auto page = json::parse(slurp(path));
    auto r = run({"normalize", "--format", "api", path});
    ASSERT_EQ(r.code, 0) << r.err;
    std::vector<json> events;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) events.push_back(json::parse(line));
    ASSERT_EQ(events.size(), page[key].size()) << file;
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i]["kind"], kind) << file;
      EXPECT_EQ(events[i]["event_id"], page[key][i]["id"]) << file;
      EXPECT_EQ(events[i]["source"]["format"], "api") << file;
    }
  }
  auto help = run({"normalize", "--help"});
  for (const char* format : {"api", "auto", "cri", "docker", "raw", "slog_human", "slog_json"})
    EXPECT_NE(help.out.find(format), std::string::npos) << format;
}

TEST(Cli, NormalizeSamplesAndStdin) {
  auto r = run({"normalize", std::string(AUDITRELAY_SAMPLES_DIR) + "/coderd.json.log"});
  EXPECT_EQ(r.code, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    json e = json::parse(line);
    EXPECT_EQ(e["schema"], "audit/v1");
    ++n;
  }
  EXPECT_EQ(n, 48);
  r = run({"normalize", "--format", "slog_human"},
          std::string(AUDITRELAY_SAMPLES_DIR) + "/coderd.human.log");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 49);
  EXPECT_EQ(run({"normalize", "--format", "xml"}).code, 2);
  EXPECT_EQ(run({"normalize", "/nonexistent/file.log"}).code, 2);
}

// --schema: the same events in OCSF or ECS, one per line, in input order.
TEST(Cli, NormalizePrintsEverySchema) {
  const std::string sample = std::string(AUDITRELAY_SAMPLES_DIR) + "/coderd.json.log";
  auto audit = run({"normalize", sample});
  auto ocsf = run({"normalize", "--schema", "ocsf", sample});
  auto ecs = run({"normalize", "--schema", "ecs", sample});
  ASSERT_EQ(ocsf.code, 0) << ocsf.err;
  ASSERT_EQ(ecs.code, 0) << ecs.err;
  std::istringstream a(audit.out), o(ocsf.out), e(ecs.out);
  std::string la, lo, le;
  int n = 0;
  while (std::getline(a, la)) {
    ASSERT_TRUE(std::getline(o, lo) && std::getline(e, le));
    json ja = json::parse(la), jo = json::parse(lo), je = json::parse(le);
    EXPECT_EQ(jo["metadata"]["uid"], ja["event_id"]);
    EXPECT_EQ(jo["type_uid"], jo["class_uid"].get<int>() * 100 + jo["activity_id"].get<int>());
    EXPECT_EQ(je["event"]["id"], ja["event_id"]);
    EXPECT_EQ(je["@timestamp"], ja["time"]);
    ++n;
  }
  EXPECT_EQ(n, 48);
  EXPECT_FALSE(std::getline(o, lo));
  auto bad = run({"normalize", "--schema", "cef", sample});
  EXPECT_NE(bad.code, 0);
  EXPECT_THAT(bad.err, HasSubstr("schema"));
}

TEST(Cli, RunDrainsOnSigtermAndSavesCheckpoints) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  std::string text;
  for (int i = 0; i < 5000; ++i)
    text += "2025-09-16 12:00:00.000 [info]  coderd: line " + std::to_string(i) +
            "  seq=" + std::to_string(i) + "\n";
  write_text(dir / "in/coderd.log", text);
  file_to_file_config(dir, "poll_interval: 20ms", "50ms");
  Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml", "--log-format", "json"},
                  dir / "stdout", dir / "stderr");
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") >= 5000; }))
      << slurp(dir / "stderr");
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait(), 0) << slurp(dir / "stderr");
  EXPECT_EQ(count_lines(dir / "out.ndjson"), 5000u);
  std::string cp = slurp(dir / "data/checkpoints.json");
  EXPECT_THAT(cp, HasSubstr("\"offset\":" + std::to_string(text.size())));
  // Own logs are JSON lines on stderr.
  for (const auto& l : read_lines(dir / "stderr")) EXPECT_NO_THROW((void)json::parse(l)) << l;
  EXPECT_THAT(slurp(dir / "stderr"), HasSubstr("SIGTERM received"));
}

// --log-level debug shows what moves (records read, events delivered, checkpoints saved); the
// default info level does not.
TEST(Cli, DebugLoggingShowsReadsDeliveriesAndCheckpoints) {
  for (const char* level : {"debug", "info"}) {
    TempDir dir;
    std::filesystem::create_directories(dir / "in");
    write_text(dir / "in/coderd.log", "2025-09-16 12:00:00.000 [info]  coderd: hello\n");
    file_to_file_config(dir, "poll_interval: 20ms", "10ms",
                        "pipeline: {checkpoint_interval: 20ms}\n");
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml", "--log-format", "text",
                     "--log-level", level},
                    dir / "stdout", dir / "stderr");
    ASSERT_TRUE(wait_until([&] {
      return slurp(dir / "data/checkpoints.json").find("\"offset\":46") != std::string::npos;
    })) << slurp(dir / "stderr");
    c.signal(SIGTERM);
    EXPECT_EQ(c.wait(), 0);
    std::string log = slurp(dir / "stderr");
    bool debug = std::string(level) == "debug";
    for (const char* what :
         {"1 record(s) read from", "output file: 1 event(s) delivered", "checkpoints saved to"})
      EXPECT_EQ(log.find(what) != std::string::npos, debug) << level << ": " << what << "\n" << log;
  }
}

// A line cut at max_line_size is told in the log (not only counted), at most once a minute.
TEST(Cli, RunWarnsAboutCutLinesOnceAMinute) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  write_text(dir / "in/coderd.log",
             std::string(3000, 'a') + "\nshort\n" + std::string(5000, 'b') + "\n");
  file_to_file_config(
      dir, "format: raw, max_line_size: 1KiB, read_buffer: 4KiB, poll_interval: 20ms", "20ms");

  Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml", "--log-format", "json"},
                  dir / "stdout", dir / "stderr");
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") >= 3; }))
      << slurp(dir / "stderr");
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait(), 0);
  int warnings = 0;
  for (const auto& l : read_lines(dir / "stderr")) {
    json e = json::parse(l, nullptr, false);
    std::string msg = e.is_object() ? e.value("message", e.value("msg", "")) : l;
    if (msg.find("longer than max_line_size (1024 bytes)") == std::string::npos) continue;
    ++warnings;
    EXPECT_THAT(msg, HasSubstr(dir / "in/coderd.log"));
  }
  EXPECT_EQ(warnings, 1) << slurp(dir / "stderr");
}

TEST(Cli, RunWithBadConfigExits2AndLockedDataDirExits1) {
  TempDir dir;
  write_text(dir / "bad.yaml", "inputs: 3\n");
  auto r = run({"run", "--config", dir / "bad.yaml", "--log-format", "text"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("inputs: expected a list"));
  write_text(dir / "cfg.yaml", "data_dir: " + dir / "data" + "\ninputs: [{type: file, paths: [\"" +
                                   dir / "none/*.log" + "\"]}]\noutputs: [{type: stdout}]\n");
  Child first =
      spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "o1", dir / "e1");
  ASSERT_TRUE(wait_until([&] { return slurp(dir / "e1").find("started") != std::string::npos; }));
  r = run({"run", "--config", dir / "cfg.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("in use by another auditrelay process"));
  first.signal(SIGINT);
  EXPECT_EQ(first.wait(), 0);
}

TEST(Cli, PluginHelpComesFromTheOptionTables) {
  auto r = run({"plugins"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("slog_human"));
  r = run({"plugins", "input", "file"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("read_from (enum: beginning|end, default beginning)"));
  EXPECT_EQ(run({"plugins", "output", "nope"}).code, 2);
}

TEST(Cli, ConfigReferenceIsUpToDate) {
  auto r = run({"docs", "config"});
  ASSERT_EQ(r.code, 0);
  std::string committed =
      slurp(std::string(AUDITRELAY_SAMPLES_DIR) + "/../../docs/configuration.md");
  EXPECT_EQ(r.out, committed) << "docs/configuration.md is out of date: run `auditrelay docs "
                                 "config > docs/configuration.md`";
}

TEST(Cli, MetricsReferenceIsUpToDate) {
  auto r = run({"docs", "metrics"});
  ASSERT_EQ(r.code, 0);
  ASSERT_NE(r.out.find("auditrelay_output_events_sent_total"), std::string::npos);
  std::string doc = slurp(std::string(AUDITRELAY_SAMPLES_DIR) + "/../../docs/operations.md");
  const std::string begin = "<!-- generated by `auditrelay docs metrics`: begin -->\n";
  size_t at = doc.find(begin);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(doc.substr(at + begin.size(), r.out.size()), r.out)
      << "the metrics table in docs/operations.md is out of date: paste `auditrelay docs metrics`";
}

// Every relative link, every `*.md` and every `docs/...` or `config/...` file the user-facing docs
// name exists in the repository, from its root or from the page (the README and the samples once
// pointed at a FORMATS.md that was not).
TEST(Docs, LinksAndNamedFilesExist) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(AUDITRELAY_SAMPLES_DIR) / ".." / "..";
  std::vector<fs::path> pages = {root / "README.md", root / "config/samples/README.md"};
  for (const auto& entry : fs::directory_iterator(root / "docs"))
    if (entry.path().extension() == ".md") pages.push_back(entry.path());
  static const std::regex kLink(R"(\]\(([^)#\s]+)(#[^)]*)?\))");
  static const std::regex kNamed(
      R"(`([A-Za-z0-9_./-]+\.md|(?:docs|config)/[A-Za-z0-9_./-]+\.(?:yaml|log|json))`)");
  int checked = 0;
  for (const auto& page : pages) {
    std::string text = slurp(page.string());
    ASSERT_FALSE(text.empty()) << page;
    for (std::sregex_iterator it(text.begin(), text.end(), kLink), end; it != end; ++it) {
      std::string target = (*it)[1];
      if (target.find("://") != std::string::npos || target.starts_with("mailto:")) continue;
      EXPECT_TRUE(fs::exists(page.parent_path() / target))
          << page.filename() << " links to " << target;
      ++checked;
    }
    for (std::sregex_iterator it(text.begin(), text.end(), kNamed), end; it != end; ++it) {
      std::string named = (*it)[1];
      EXPECT_TRUE(fs::exists(root / named) || fs::exists(page.parent_path() / named))
          << page.filename() << " names " << named;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}
