// Whatever bytes arrive, every parser yields events (or counted raw lines), never a crash, and
// every event is valid JSON. Bounded, seeded inputs; the libFuzzer targets go further.
#include <gtest/gtest.h>

#include <random>

#include "support/hostile_inputs.h"
#include "support/normalize_helper.h"

using namespace auditrelay::test;

namespace {
std::string random_bytes(std::mt19937& rng, size_t n, bool texty) {
  static const std::string alphabet =
      "{}[]\":,\\ \n\t\x1b[0m=<>nil0123456789abcdefABCDEF-.:TZ+ P F stdout stderr [info] [erro]  \xff\xc3\xa9\x00";
  std::string s;
  s.reserve(n);
  for (size_t i = 0; i < n; ++i)
    s.push_back(texty ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() & 0xff));
  return s;
}
}  // namespace

TEST(Robustness, RandomBytesThroughEveryFormat) {
  std::mt19937 rng(12345);
  for (const char* format : {"auto", "slog_json", "slog_human", "cri", "docker", "raw"}) {
    for (int round = 0; round < 60; ++round) {
      std::string input = random_bytes(rng, 64 + rng() % 2048, round % 2 == 0);
      std::vector<nlohmann::json> evs;
      ASSERT_NO_THROW(evs = normalize_text(input, format, nullptr, 1 + rng() % 300)) << format;
      for (const auto& e : evs) EXPECT_EQ(e["schema"], "audit/v1");
    }
  }
}

TEST(Robustness, MutatedSampleLinesNeverCrash) {
  std::mt19937 rng(777);
  std::string base = slurp(sample_path("coderd.human.log")) + slurp(sample_path("coderd.json.log")) +
                     slurp(sample_path("container.cri.log"));
  for (int round = 0; round < 200; ++round) {
    std::string s = base;
    for (int k = 0; k < 20; ++k) s[rng() % s.size()] = static_cast<char>(rng() & 0xff);
    ASSERT_NO_THROW(normalize_text(s, "auto", nullptr, 1 + rng() % 5000));
  }
}

TEST(Robustness, RawLinesAreNeverLost) {
  using namespace std::string_literals;
  std::string input = "one\ntwo\0with nul\n\xff\xfe invalid utf8\nlast without newline"s;
  auto evs = normalize_text(input, "raw");
  ASSERT_EQ(evs.size(), 4u);
  EXPECT_EQ(evs[1]["message"].get<std::string>(), "two\0with nul"s);  // NUL kept, escaped as \u0000
  EXPECT_EQ(evs[2]["message"], "\xef\xbf\xbd\xef\xbf\xbd invalid utf8");
  EXPECT_EQ(evs[3]["message"], "last without newline");
}

TEST(Robustness, OverlongLinesAreCutAndCounted) {
  auditrelay::LineReader reader(auditrelay::Registry::instance().format("raw")->make_framer(), 100);
  auditrelay::RecordBatch batch;
  auditrelay::BatchSink sink(&batch);
  std::string big(1000, 'x');
  std::string input = "short\n" + big + "\nafter\n" + big;
  reader.feed(input, 0, sink);
  reader.finish(sink);
  ASSERT_EQ(batch.records.size(), 4u);
  EXPECT_EQ(batch.records[1].text_size, 100u);
  EXPECT_EQ(batch.record_text(batch.records[2]), "after");
  EXPECT_EQ(batch.records[2].source_offset, 6u + 1000 + 1);
  EXPECT_EQ(reader.lines_truncated(), 2u);
}

// Container records with empty content (a CRI `F` with nothing after it, an empty Docker `log`)
// hand the framer an empty view; nothing may read through its (possibly null) pointer. Under
// UndefinedBehaviorSanitizer (the CI's ASan+UBSan run) a regression stops this test; found by
// fuzz_cri.
TEST(Robustness, EmptyContainerRecordsAreSafe) {
  const std::string text =
      "2025-09-16T06:56:16.151872655Z stdout F\n"
      "2025-09-16T06:56:16.151872655Z stdout P \n"
      "2025-09-16T06:56:16.151872655Z stdout F \n"
      "{\"log\":\"\",\"stream\":\"stdout\",\"time\":\"2025-09-16T06:56:16.151872655Z\"}\n";
  for (const char* format : {"cri", "docker", "auto"}) {
    auto events = normalize_text(text, format);
    EXPECT_LE(events.size(), 4u) << format;
    for (const auto& e : events) EXPECT_EQ(e["schema"], "audit/v1") << format;
  }
}

namespace {

size_t depth_of(const nlohmann::json& v) {
  size_t d = 0;
  if (v.is_object() || v.is_array())
    for (const auto& child : v) d = std::max(d, depth_of(child));
  return (v.is_object() || v.is_array()) ? d + 1 : 0;
}

// The string that stands for the part of a value below the cut, or null when the value is whole.
const nlohmann::json* deepest_string(const nlohmann::json& v) {
  if (v.is_string()) return &v;
  if (!v.is_structured() || v.empty()) return nullptr;
  return deepest_string(v.is_object() ? v.begin().value() : v.front());
}

}  // namespace

// Every hostile input through every format: each event is valid JSON in the audit/v1 shape (the
// helper parses it strictly: UTF-8, nesting, numbers), and `auto` loses no line.
TEST(Robustness, HostileInputThroughEveryFormatGivesValidEvents) {
  for (const auto& in : hostile_inputs()) {
    for (const char* format : {"auto", "slog_json", "slog_human", "cri", "docker", "raw"}) {
      std::vector<nlohmann::json> events;
      ASSERT_NO_THROW(events = normalize_text(in.text, format)) << in.name << " as " << format;
      for (const auto& e : events) {
        ASSERT_EQ(e.value("schema", ""), "audit/v1") << in.name;
        // kMaxValueDepth: 31 levels of a value, plus the "fields" object around it.
        for (const char* key : {"fields", "additional_fields", "diff"}) {
          if (e.contains(key)) {
            EXPECT_LE(depth_of(e[key]), 32u) << in.name << " " << key;
          }
        }
      }
      if (std::string(format) == "auto") {
        EXPECT_EQ(events.size(), in.events) << in.name;
      }
    }
  }
}

TEST(Robustness, OverDeepValuesKeepTheirTextBelowLevelThirtyTwo) {
  for (const auto& in : hostile_inputs()) {
    if (in.name != "deep_object_1000" && in.name != "deep_array_1000" && in.name != "deep_object_33" &&
        in.name != "deep_object_31")
      continue;
    auto events = normalize_text(in.text, "slog_json");
    ASSERT_EQ(events.size(), 1u);
    const auto& v = events[0]["fields"]["v"];
    EXPECT_EQ(depth_of(v), 31u) << in.name;  // 31 levels of the value; below them, one string
    const nlohmann::json* rest = deepest_string(v);
    ASSERT_NE(rest, nullptr);
    if (in.name.ends_with("_31")) {
      EXPECT_EQ(*rest, "leaf");
      continue;
    }
    // Below the cut: the rest of the value as compact JSON text, which parses back.
    auto below = nlohmann::json::parse(rest->get<std::string>());
    size_t total = static_cast<size_t>(std::stoi(in.name.substr(in.name.rfind('_') + 1)));
    EXPECT_EQ(depth_of(v) + depth_of(below), total) << in.name;
  }
}

TEST(Robustness, SecretsBelowTheCutAreStillRedacted) {
  for (const auto& in : hostile_inputs()) {
    if (in.name != "deep_secret_below_the_cut" && in.name != "deep_mixed_300") continue;
    auto events = normalize_text(in.text, "auto");
    ASSERT_EQ(events.size(), 1u);
    std::string dumped = events[0].dump();
    EXPECT_EQ(dumped.find("s3cr3t"), std::string::npos) << in.name;
    EXPECT_NE(dumped.find("[REDACTED]"), std::string::npos) << in.name;
  }
}

TEST(Robustness, NestingBeyondTheParserLimitBecomesARawEvent) {
  for (const auto& in : hostile_inputs()) {
    if (in.name != "deep_object_10000" && in.name != "deep_array_10000" && in.name != "deep_object_1025") continue;
    auto events = normalize_text(in.text, "auto");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["source"]["format"], "raw") << in.name;
    EXPECT_TRUE(events[0]["message"].get<std::string>().starts_with("{\"ts\"")) << in.name;
  }
}

// A number no machine type holds does not cost the entry its structure: it becomes a string of
// its source text, in JSON and human lines alike.
TEST(Robustness, NumbersBeyondEveryMachineTypeBecomeStrings) {
  for (const auto& in : hostile_inputs()) {
    if (in.name != "big_numbers") continue;
    auto events = normalize_text(in.text, "auto");
    ASSERT_EQ(events.size(), 2u);
    for (const auto& e : events) {
      EXPECT_NE(e["source"]["format"], "raw") << e.dump();
      EXPECT_EQ(e["fields"]["a"], "1e400");
      EXPECT_EQ(e["fields"]["b"], "1180591620717411303424");
    }
    EXPECT_EQ(events[0]["fields"]["c"], "-1180591620717411303424");
    EXPECT_EQ(events[0]["fields"]["g"], 18446744073709551615u);
    EXPECT_EQ(events[0]["fields"]["h"], "18446744073709551616");
  }
}
