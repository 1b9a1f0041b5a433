// Whatever bytes arrive, every parser yields events (or counted raw lines), never a crash, and
// every event is valid JSON. Bounded, seeded inputs; the libFuzzer targets go further.
#include <gtest/gtest.h>

#include <random>

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
  std::string base = read_file(sample_path("coderd.human.log")) + read_file(sample_path("coderd.json.log")) +
                     read_file(sample_path("container.cri.log"));
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
