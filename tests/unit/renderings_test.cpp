// Thousands of generated Coder entries, written in every rendering Coder and container runtimes
// produce, must give the events their JSON rendering gives, in the order of their first line.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "support/coder_renderings.h"
#include "support/normalize_helper.h"

using namespace auditrelay::test;
using nlohmann::json;

namespace {

constexpr int kEntries = 1500;

// What must agree between renderings: everything but where and when the line was read. Log and
// boundary events' ids derive from the byte offset; times are compared without trailing zeros
// (Go's JSON trims them, the human header keeps three digits).
json comparable(json e) {
  e.erase("source");
  e.erase("observed_time");
  if (e["kind"] == "log" || e["kind"] == "boundary") e.erase("event_id");
  if (e.contains("time")) {
    std::string t = e["time"];
    size_t dot = t.find('.');
    if (dot != std::string::npos) {
      std::string frac = t.substr(dot, t.size() - 1 - dot);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      if (frac == ".") frac.clear();
      t = t.substr(0, dot) + frac + "Z";
    }
    e["time"] = t;
  }
  return e;
}

std::vector<GenEntry> entries(uint32_t seed, int n = kEntries) {
  EntryGenerator g(seed);
  std::vector<GenEntry> out;
  for (int i = 0; i < n; ++i) out.push_back(g.next());
  return out;
}

std::vector<json> json_events(const std::vector<GenEntry>& es) {
  std::string text;
  for (const auto& e : es) text += render_json(e);
  auto events = normalize_text(text, "slog_json");
  for (auto& e : events) e = comparable(e);
  return events;
}

void expect_same(const std::vector<json>& want, std::vector<json> got, const std::string& label,
                 const std::vector<GenEntry>& es, const std::vector<size_t>& order) {
  ASSERT_EQ(got.size(), want.size()) << label;
  int shown = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    json g = comparable(got[i]);
    const json& w = want[order[i]];
    if (g != w && shown++ < 3) {
      ADD_FAILURE() << label << ": event " << i << " (entry " << order[i] << ")\n  want "
                    << w.dump() << "\n  got  " << g.dump() << "\n  json "
                    << render_json(es[order[i]]);
    }
  }
  EXPECT_EQ(shown, 0) << label << ": events that differ";
}

std::vector<size_t> identity(size_t n) {
  std::vector<size_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

std::vector<size_t> random_cuts(EntryGenerator& g, size_t len) {
  std::vector<size_t> cuts;
  size_t n = g.pick(4) == 0 ? 1 + g.pick(3) : 0;
  for (size_t i = 0; i < n; ++i) cuts.push_back(1 + g.pick(len > 2 ? len - 2 : 1));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

}  // namespace

TEST(Renderings, HumanInEveryDecorationGivesTheJsonEvents) {
  auto es = entries(1);
  auto want = json_events(es);
  struct Variant {
    const char* label;
    HumanStyle style;
    bool prefix, colour;
  } variants[] = {{"human v3.0.0", HumanStyle::V3, false, false},
                  {"human rc1", HumanStyle::Rc1, false, false},
                  {"[API] prefix", HumanStyle::V3, true, false},
                  {"ANSI colour", HumanStyle::Rc1, false, true},
                  {"prefix and colour", HumanStyle::V3, true, true}};
  for (const auto& v : variants) {
    std::string text;
    for (const auto& e : es) {
      bool header = true;
      for (const auto& line : render_human_lines(e, v.style)) {
        text += decorate(line, v.prefix, v.colour && header);
        header = false;
      }
    }
    expect_same(want, normalize_text(text, "slog_human"), std::string(v.label) + ", slog_human", es,
                identity(es.size()));
    expect_same(want, normalize_text(text, "auto", nullptr, 977), std::string(v.label) + ", auto",
                es, identity(es.size()));
  }
}

// stdout and stderr interleave in one container log; entries split into partial records and
// human blocks spread over several records; every event leaves in the order of its first line.
TEST(Renderings, ContainerStreamsInterleavedLeaveInFileOrder) {
  for (const char* wrapper : {"cri", "docker"}) {
    auto es = entries(std::string(wrapper) == "cri" ? 2 : 3);
    auto want = json_events(es);
    EntryGenerator g(7);
    // Each entry's records, queued on its stream.
    std::vector<std::vector<std::pair<size_t, std::string>>> queues(2);
    for (size_t i = 0; i < es.size(); ++i) {
      size_t stream = g.pick(2);
      std::vector<std::string> lines;
      if (g.pick(2))
        lines.push_back(render_json(es[i]));
      else
        lines = render_human_lines(es[i], g.pick(2) ? HumanStyle::V3 : HumanStyle::Rc1);
      for (const auto& line : lines) {
        auto cuts = random_cuts(g, line.size());
        const char* name = stream ? "stderr" : "stdout";
        auto records = std::string(wrapper) == "cri"
                           ? cri_records(line, name, cuts, es[i].unix_ms)
                           : docker_records(line, name, cuts, es[i].unix_ms);
        for (auto& r : records) queues[stream].emplace_back(i, std::move(r));
      }
    }
    // Merge the two streams at random, keeping each stream's order.
    std::string text;
    std::vector<size_t> order;
    std::vector<bool> started(es.size(), false);
    size_t at[2] = {0, 0};
    while (at[0] < queues[0].size() || at[1] < queues[1].size()) {
      size_t s = at[0] == queues[0].size() ? 1 : at[1] == queues[1].size() ? 0 : g.pick(2);
      auto& [entry, record] = queues[s][at[s]++];
      if (!started[entry]) {
        started[entry] = true;
        order.push_back(entry);
      }
      text += record;
    }
    expect_same(want, normalize_text(text, wrapper), std::string(wrapper) + " interleaved", es,
                order);
    expect_same(want, normalize_text(text, "auto", nullptr, 1531),
                std::string(wrapper) + " interleaved, auto", es, order);
  }
}

// `format: auto` on a file where every entry comes in a different rendering: multi-line human
// entries stay whole next to JSON and wrapped lines.
TEST(Renderings, MixedStreamWithAutoKeepsEveryBlockWhole) {
  auto es = entries(4);
  auto want = json_events(es);
  EntryGenerator g(11);
  std::string text;
  for (const auto& e : es) {
    size_t how = g.pick(7);
    if (how == 0) {
      text += render_json(e);
      continue;
    }
    auto lines = render_human_lines(e, how % 2 ? HumanStyle::V3 : HumanStyle::Rc1);
    if (how == 5 || how == 6) {
      // wrapped: the JSON or the human lines, with partial records
      if (g.pick(3) == 0) lines = {render_json(e)};
      for (const auto& line : lines) {
        auto cuts = random_cuts(g, line.size());
        auto records = how == 5 ? cri_records(line, "stdout", cuts, e.unix_ms)
                                : docker_records(line, "stderr", cuts, e.unix_ms);
        for (const auto& r : records) text += r;
      }
      continue;
    }
    bool header = true;
    for (const auto& line : lines) {
      text += decorate(line, how == 3, how == 4 && header);
      header = false;
    }
  }
  expect_same(want, normalize_text(text, "auto"), "mixed, auto", es, identity(es.size()));
  expect_same(want, normalize_text(text, "auto", nullptr, 61), "mixed, auto, small reads", es,
              identity(es.size()));
}

// Both sides of the logger-name rule (docs/inputs.md), each line on its own.
TEST(Renderings, LoggerNamesOfAnySpellingAndMessagesThatLookLikeNames) {
  const std::pair<const char*, const char*> named[] = {
      {"provisioner-host-1", "provisioner job failed"},
      {"mycoderd", "workspace build error"},
      {"coderd.newsubsystem", "started"},
      {"ext_worker.sub-2", "x"},
      {"coderd2", "oauth2: token exchange failed"},
      {"wsproxy-eu.west", "listening"},
      {"worker7", ""},
      {"a.b.c.d", "deep name"},
      {"coderd.provisionerd-MyHost", "acquire job"},
      {"provisionerd-host.example.com-2", "job done"}};
  for (auto [logger, message] : named) {
    std::string line =
        "2025-09-16 08:00:00.231 [erro]  " + std::string(logger) + ": " + message + "  job_id=1\n";
    auto evs = normalize_text(line);
    ASSERT_EQ(evs.size(), 1u) << line;
    EXPECT_EQ(evs[0].value("logger", ""), logger) << line;
    EXPECT_EQ(evs[0].value("message", ""), message) << line;
  }
  const char* messages[] = {"oauth2: token exchange failed",
                            "x509: certificate signed by unknown authority",
                            "http: TLS handshake error from 10.0.0.1:5678: EOF",
                            "json: cannot unmarshal string",
                            "Error: bad request",
                            "HTTP: upper case",
                            "net/http: request canceled",
                            "failed: no rows",
                            "pq: duplicate key value",
                            "context: deadline exceeded",
                            "a..b: not a name",
                            ".hidden: not a name",
                            "tls:no space after the colon"};
  for (const char* message : messages) {
    std::string line = "2025-09-16 08:00:00.231 [warn]  " + std::string(message) + "  k=v\n";
    auto evs = normalize_text(line);
    ASSERT_EQ(evs.size(), 1u) << line;
    EXPECT_FALSE(evs[0].contains("logger")) << line << evs[0].dump();
    EXPECT_EQ(evs[0].value("message", ""), message) << line;
  }
}

// A name that usually begins a message is a logger once the stream has shown it as one by the
// layout (an empty message, or the message moved into a block); other streams do not learn it.
TEST(Renderings, AStreamRemembersLoggerNamesItsLayoutShowed) {
  const std::string text =
      "2025-09-16 08:00:00.001 [info]  http: served  path=/a\n"  // not known yet: message text
      "2025-09-16 08:00:00.002 [info]  http:   path=/b\n"        // empty message: a logger
      "2025-09-16 08:00:00.003 [info]  http: served  path=/c\n"  // now known
      "2025-09-16 08:00:00.004 [info]  grpc: ...  k=v\n"         // message in a block: a logger
      "    msg= line one\n"
      "         line two\n"
      "2025-09-16 08:00:00.005 [info]  grpc: stream closed\n";
  auto evs = normalize_text(text, "slog_human");
  ASSERT_EQ(evs.size(), 5u);
  EXPECT_FALSE(evs[0].contains("logger"));
  EXPECT_EQ(evs[0]["message"], "http: served");
  EXPECT_EQ(evs[1]["logger"], "http");
  EXPECT_FALSE(evs[1].contains("message"));
  EXPECT_EQ(evs[2]["logger"], "http");
  EXPECT_EQ(evs[2]["message"], "served");
  EXPECT_EQ(evs[3]["logger"], "grpc");
  EXPECT_EQ(evs[3]["message"], "line one\nline two");
  EXPECT_EQ(evs[4]["logger"], "grpc");
  EXPECT_EQ(evs[4]["message"], "stream closed");

  // CRI: stdout showed "http" as a logger; stderr has not.
  const std::string cri =
      "2025-09-16T08:00:00.1Z stdout F 2025-09-16 08:00:00.002 [info]  http:   path=/b\n"
      "2025-09-16T08:00:00.2Z stderr F 2025-09-16 08:00:00.003 [info]  http: served  path=/c\n"
      "2025-09-16T08:00:00.3Z stdout F 2025-09-16 08:00:00.004 [info]  http: served  path=/d\n";
  auto cevs = normalize_text(cri, "cri");
  ASSERT_EQ(cevs.size(), 3u);
  EXPECT_FALSE(cevs[1].contains("logger"));
  EXPECT_EQ(cevs[2]["logger"], "http");
}

// Records wait for the other stream only up to a bound; past it the held entry is given up
// (emitted as it is) and nothing is lost.
TEST(Renderings, AStreamSilentMidBlockDoesNotHoldTheOtherForever) {
  std::string text =
      "2025-09-16T08:00:00.1Z stdout P {\"ts\":\"2025-09-16T08:00:00Z\",\"level\":\"INFO\",\n";
  const int n = 5000;
  for (int i = 0; i < n; ++i)
    text +=
        "2025-09-16T08:00:00.2Z stderr F "
        "{\"ts\":\"2025-09-16T08:00:01Z\",\"level\":\"INFO\",\"msg\":\"e" +
        std::to_string(i) + "\"}\n";
  auto evs = normalize_text(text, "cri");
  ASSERT_EQ(evs.size(), static_cast<size_t>(n + 1));
  // The given-up partial came out as what it was (not JSON any more: a raw event), first.
  EXPECT_EQ(evs[0]["source"]["format"], "raw");
  for (int i = 0; i < n; ++i)
    EXPECT_EQ(evs[static_cast<size_t>(i) + 1]["message"], "e" + std::to_string(i));
}

// A line outside the wrapper's shape takes its place in the order too.
TEST(Renderings, UnwrappedLinesKeepTheirPlaceAmongTheStreams) {
  const std::string cri =
      "2024-01-01T00:00:00.000000000Z stdout F 2024-01-01 00:00:00.000 [info]  a ...\n"
      "2024-01-01T00:00:01.000000000Z stderr F from-stderr\n"
      "not a cri line\n"
      "2024-01-01T00:00:02.000000000Z stdout F next-stdout\n";
  const std::string docker =
      R"({"log":"2024-01-01 00:00:00.000 [info]  a ...\n","stream":"stdout","time":"2024-01-01T00:00:00Z"})"
      "\n"
      R"({"log":"from-stderr\n","stream":"stderr","time":"2024-01-01T00:00:01Z"})"
      "\n"
      "{\"log\": broken\n"
      R"({"log":"next-stdout\n","stream":"stdout","time":"2024-01-01T00:00:02Z"})"
      "\n";
  for (const auto& [text, format] : {std::pair{cri, "cri"}, {cri, "auto"}, {docker, "docker"}, {docker, "auto"}}) {
    auto evs = normalize_text(text, format);
    ASSERT_EQ(evs.size(), 4u) << format;
    uint64_t prev = 0;
    for (const auto& e : evs) {
      uint64_t offset = e["source"]["offset"];
      EXPECT_GE(offset, prev) << format << ": " << e.dump();
      prev = offset;
    }
    EXPECT_EQ(evs[0]["message"], "a ...") << format;
  }
}
