#include <fcntl.h>
#include <gtest/gtest.h>
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "core/common/atomic_file.h"
#include "core/common/fd_io.h"
#include "core/common/json_writer.h"
#include "core/common/time.h"
#include "core/common/unique_fd.h"
#include "core/common/uuid.h"
#include "core/config/options.h"
#include "core/config/units.h"
#include "core/pipeline/offset_tracker.h"
#include "plugins/inputs/journald/journal.h"

using namespace auditrelay;

TEST(Time, ParsesRfc3339WithPrecisionAndOffsets) {
  Timestamp t;
  ASSERT_TRUE(parse_rfc3339("2025-07-03T06:56:16.151872655Z", t));
  EXPECT_EQ(format_rfc3339(t), "2025-07-03T06:56:16.151872655Z");
  ASSERT_TRUE(parse_rfc3339("2025-07-03T06:56:16.1448Z", t));
  EXPECT_EQ(format_rfc3339(t), "2025-07-03T06:56:16.1448Z");
  ASSERT_TRUE(parse_rfc3339("2025-07-03T08:56:16+02:00", t));
  EXPECT_EQ(format_rfc3339(t), "2025-07-03T06:56:16Z");
  EXPECT_FALSE(parse_rfc3339("2025-07-03 06:56", t));
  EXPECT_FALSE(parse_rfc3339("2025-13-03T06:56:16Z", t));
}

TEST(Time, ParsesGoTimeStringAndHumanHeader) {
  Timestamp t;
  ASSERT_TRUE(parse_go_time_string("2025-09-16 06:57:16.144719 +0000 UTC", t));
  EXPECT_EQ(format_rfc3339(t), "2025-09-16T06:57:16.144719Z");
  ASSERT_TRUE(parse_go_time_string("2025-09-16 08:57:16.5 +0200 CEST m=+12.000000001", t));
  EXPECT_EQ(format_rfc3339(t), "2025-09-16T06:57:16.5Z");
  ASSERT_TRUE(parse_human_header_time("2025-09-16 06:56:16.151", t));
  EXPECT_EQ(format_rfc3339(t), "2025-09-16T06:56:16.151Z");
}

TEST(Time, EpochIsFixedPoint) {
  Timestamp t;
  ASSERT_TRUE(parse_rfc3339("2025-07-03T06:56:16.144719Z", t));
  char buf[40];
  EXPECT_EQ(std::string(buf, format_epoch(t, buf)), "1751525776.144719");
}

TEST(Uuid, V5IsStableAndVersioned) {
  Uuid ns;
  ASSERT_TRUE(parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", ns));  // DNS namespace
  // Known vector: uuid5(NAMESPACE_DNS, "python.org")
  EXPECT_EQ(format_uuid(uuid_v5(ns, "python.org")), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

// format_uuid writes all 32 digits at once (SSE2): every byte value in every position must give
// the two lower-case digits printf gives, with the dashes in their places.
TEST(Uuid, FormatsEveryByteValueInEveryPosition) {
  for (int v = 0; v < 256; ++v) {
    for (size_t at = 0; at < 16; ++at) {
      Uuid u{};
      for (size_t i = 0; i < 16; ++i)
        u[i] = static_cast<uint8_t>(i == at ? v : (v * 7 + i * 31) & 0xff);
      std::string want;
      for (size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) want += '-';
        char two[3];
        std::snprintf(two, sizeof two, "%02x", u[i]);
        want += two;
      }
      ASSERT_EQ(format_uuid(u), want) << "byte " << v << " at " << at;
    }
  }
}

// uuid_v5 pads the message itself and runs SHA-1's block function: every length, over one
// block, several, and past its stack buffer, must give RFC 4122's v5 of OpenSSL's one-shot SHA1.
TEST(Uuid, V5MatchesOneShotSha1AtEveryNameLength) {
  Uuid ns;
  ASSERT_TRUE(parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", ns));
  std::string name;
  for (size_t len = 0; len <= 700; ++len) {
    std::string msg(reinterpret_cast<const char*>(ns.data()), ns.size());
    msg += name;
    unsigned char d[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), d);
    d[6] = static_cast<unsigned char>((d[6] & 0x0f) | 0x50);
    d[8] = static_cast<unsigned char>((d[8] & 0x3f) | 0x80);
    Uuid want;
    std::memcpy(want.data(), d, want.size());
    ASSERT_EQ(format_uuid(uuid_v5(ns, name)), format_uuid(want)) << "name length " << len;
    name.push_back(static_cast<char>('a' + len % 26));
  }
}

// Whole doubles past 64 bits keep an exponent, so strict readers (simdjson here) take them as
// floats; smaller ones keep their plain shortest form (found by fuzz_cri).
TEST(JsonWriter, DoublesPastSixtyFourBitsKeepAnExponent) {
  simdjson::dom::parser parser;
  for (double v : {1180591620717234567890.5, 1e19, -1e19, 9.3e18, 1e300, -1.5e308}) {
    std::string out;
    json_double_append(out, v);
    simdjson::dom::element e;
    ASSERT_FALSE(parser.parse(out).get(e)) << out;
    double back = 0;
    ASSERT_FALSE(e.get_double().get(back)) << out;
    EXPECT_EQ(back, v) << out;
  }
  for (auto [v, text] : {std::pair{123.0, "123"}, std::pair{0.5, "0.5"}, std::pair{-0.0, "-0"},
                         std::pair{9007199254740993.0, "9007199254740992"}}) {
    std::string out;
    json_double_append(out, v);
    EXPECT_EQ(out, text);
  }
}

TEST(JsonWriter, EscapesAndRepairsUtf8) {
  std::string out;
  const char raw[] = "a\"b\\c\n\x01 \xff z\xe2\x80\xa8";
  json_string_append(out, std::string(raw, sizeof raw - 1));
  auto parsed = nlohmann::json::parse(out);
  EXPECT_EQ(parsed.get<std::string>(), "a\"b\\c\n\x01 \xef\xbf\xbd z\xe2\x80\xa8");
  EXPECT_NE(out.find("\\u2028"), std::string::npos);
}

// field()/string_field() write plain pairs in one append; the result must be exactly what the
// key-then-string path writes, for plain, escaped, long and non-ASCII keys and values.
TEST(JsonWriter, PairFastPathMatchesKeyThenString) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"a", "plain"},         {"b", ""},
      {"q\"k", "v"},          {"c", "tab\there"},
      {"d", "caf\xc3\xa9"},   {"e", std::string(300, 'x')},
      {"f", "bad \xff byte"}, {"g", "x\"y"},
      {"h", "1234567"},       {"i", "12345678"}};
  std::string fast, slow;
  JsonWriter wf(fast), ws(slow);
  wf.begin_object();
  ws.begin_object();
  for (const auto& [k, v] : pairs) {
    wf.string_field(k, v);
    ws.key(k);
    ws.string(v);
  }
  wf.key_literal("nested");
  wf.begin_object();
  wf.field("x", "y");
  wf.end_object();
  wf.field("z", "w");
  wf.end_object();
  ws.key_literal("nested");
  ws.begin_object();
  ws.key_literal("x");
  ws.string("y");
  ws.end_object();
  ws.key_literal("z");
  ws.string("w");
  ws.end_object();
  EXPECT_EQ(fast, slow);
  auto parsed = nlohmann::json::parse(fast);
  EXPECT_EQ(parsed["q\"k"], "v");
  EXPECT_EQ(parsed["nested"]["x"], "y");
  EXPECT_TRUE(json_plain("hello world 12345"));
  EXPECT_FALSE(json_plain("hello \"world"));
  EXPECT_FALSE(json_plain("caf\xc3\xa9 au lait"));
}

// Every length a 16-byte block check and its overlapping tail can see, with one byte that needs
// escaping at every position: json_plain must agree with a byte-by-byte check.
TEST(JsonWriter, PlainCheckFindsAnEscapeAtEveryPositionAndLength) {
  const unsigned char specials[] = {'"', '\\', 0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xff};
  for (size_t n = 1; n <= 70; ++n) {
    std::string s(n, 'a');
    ASSERT_TRUE(json_plain(s)) << n;
    for (size_t at = 0; at < n; ++at)
      for (unsigned char c : specials) {
        s[at] = static_cast<char>(c);
        ASSERT_FALSE(json_plain(s)) << "length " << n << ", byte " << int(c) << " at " << at;
        s[at] = 'a';
      }
    s[n - 1] = '~';  // 0x7e is the last plain byte
    ASSERT_TRUE(json_plain(s)) << n;
    s[n - 1] = ' ';  // 0x20 is the first
    ASSERT_TRUE(json_plain(s)) << n;
  }
}

TEST(Units, SizesAndDurations) {
  EXPECT_EQ(parse_size("64MiB").value(), 64u << 20);
  EXPECT_EQ(parse_size("1MB").value(), 1000000u);
  EXPECT_EQ(parse_size("4096").value(), 4096u);
  EXPECT_FALSE(parse_size("12 parsecs"));
  EXPECT_EQ(parse_duration("500ms")->count(), 500);
  EXPECT_EQ(parse_duration("1m30s")->count(), 90000);
  EXPECT_EQ(parse_duration("2")->count(), 2000);  // bare: seconds, as configuration.md says
  EXPECT_EQ(parse_duration("1h")->count(), 3'600'000);
  EXPECT_EQ(parse_duration("1d")->count(), 86'400'000);
  EXPECT_EQ(parse_duration("1500us")->count(), 1);
  EXPECT_FALSE(parse_duration("5 fortnights"));
}

TEST(OffsetTracker, AdvancesOnlyOverContiguousAcks) {
  OffsetTracker t(100);
  auto a = t.add(200), b = t.add(300), c = t.add(400);
  EXPECT_FALSE(t.ack(b));
  EXPECT_EQ(t.committed(), 100u);
  EXPECT_TRUE(t.ack(a));
  EXPECT_EQ(t.committed(), 300u);
  EXPECT_TRUE(t.ack(c));
  EXPECT_EQ(t.committed(), 400u);
}

// The journal's position is a cursor; out of order acknowledgements commit in source order.
TEST(CursorTracker, CommitsTheCursorOfTheLastContiguousAck) {
  CursorTracker t("s=a;i=1");
  auto a = t.add("s=a;i=5"), b = t.add("s=a;i=9");
  EXPECT_FALSE(t.ack(b));
  EXPECT_EQ(t.committed(), "s=a;i=1");
  EXPECT_TRUE(t.ack(a));
  EXPECT_EQ(t.committed(), "s=a;i=9");
  EXPECT_EQ(t.outstanding(), 0u);
}

TEST(JournalCursor, SequenceNumberSpaceAndNumber) {
  auto p = parse_cursor(
      "s=9ace11ec70a74899abdf1e3cf90b262e;i=2aaa7;b=0123;m=3e8;t=62884a340f000;x=2dbb9fc0ab5c7c0a");
  ASSERT_TRUE(p.valid);
  EXPECT_EQ(p.seqnum_id, "9ace11ec70a74899abdf1e3cf90b262e");
  EXPECT_EQ(p.seqnum, 0x2aaa7u);
  EXPECT_FALSE(parse_cursor("").valid);
  EXPECT_FALSE(parse_cursor("s=abc").valid);
  EXPECT_FALSE(parse_cursor("s=abc;i=zz").valid);
  EXPECT_FALSE(parse_cursor("i=5;b=1").valid);
  EXPECT_FALSE(parse_cursor(";;;=;s=;i=").valid);
}

namespace {

// A fresh directory under the system's temp directory, removed at the end of the test.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "auditrelay-common-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(FdIo, WriteAllDeliversEveryByteThroughAPipeWithASlowReader) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  UniqueFd read_end(p[0]), write_end(p[1]);
  std::string data(1 << 20, '\0');  // far more than the pipe holds, so writes come up short
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  std::string got;
  std::thread reader([&] {
    char chunk[997];  // small, odd reads: the writer is always ahead
    ssize_t n;
    int reads = 0;
    while ((n = ::read(read_end.get(), chunk, sizeof chunk)) > 0) {
      got.append(chunk, static_cast<size_t>(n));
      if (++reads % 64 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  EXPECT_TRUE(write_all(write_end.get(), data));
  write_end.reset();  // end of file for the reader
  reader.join();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST(FdIo, WriteAllReportsAnError) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  UniqueFd read_end(p[0]), write_end(p[1]);
  // Writing to the read end of a pipe fails (EBADF).
  EXPECT_FALSE(write_all(read_end.get(), "x"));
  EXPECT_TRUE(write_all(write_end.get(), ""));
}

TEST(FdIo, PreadExactReadsAtAnOffsetAndFailsPastTheEnd) {
  ScratchDir dir;
  std::string error;
  ASSERT_TRUE(write_file_atomically(dir.file("f"), "0123456789", error)) << error;
  UniqueFd fd(::open(dir.file("f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  std::string out;
  ASSERT_TRUE(pread_exact(fd.get(), 3, 4, out));
  EXPECT_EQ(out, "3456");
  EXPECT_TRUE(pread_exact(fd.get(), 10, 0, out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(pread_exact(fd.get(), 8, 4, out));  // only two bytes are left
}

TEST(FdIo, SyncDirectoryReportsAMissingDirectory) {
  ScratchDir dir;
  std::string error;
  EXPECT_TRUE(sync_directory(dir.path.string(), error)) << error;
  EXPECT_FALSE(sync_directory(dir.file("missing"), error));
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

TEST(UniqueFd, ClosesOnceWhenItGoesOrIsReplaced) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  {
    UniqueFd a(p[0]);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a);
    EXPECT_EQ(b.get(), p[0]);
    b.reset(p[1]);
    EXPECT_EQ(::fcntl(p[0], F_GETFD), -1);  // the first was closed by reset
    EXPECT_NE(::fcntl(p[1], F_GETFD), -1);
  }
  EXPECT_EQ(::fcntl(p[1], F_GETFD), -1);  // and the second when its owner went
}

TEST(AtomicFile, ReplacesTheContentAndLeavesNoTempFile) {
  ScratchDir dir;
  std::string path = dir.file("state"), error;
  ASSERT_TRUE(write_file_atomically(path, "old\n", error)) << error;
  ASSERT_TRUE(write_file_atomically(path, "new content\n", error)) << error;
  EXPECT_EQ(file_text(path), "new content\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(AtomicFile, LeavesTheOldFileIntactWhenTheTempFileCannotBeWritten) {
  ScratchDir dir;
  std::string path = dir.file("state"), error;
  ASSERT_TRUE(write_file_atomically(path, "old\n", error)) << error;
  // A directory where the temp file would go: opening it for writing fails, even as root.
  std::filesystem::create_directory(path + ".tmp");
  EXPECT_FALSE(write_file_atomically(path, "new\n", error));
  EXPECT_NE(error.find("state.tmp"), std::string::npos) << error;
  EXPECT_EQ(file_text(path), "old\n");
}

TEST(AtomicFile, FailsInAMissingDirectory) {
  ScratchDir dir;
  std::string error;
  EXPECT_FALSE(write_file_atomically(dir.file("no/such/state"), "x", error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(std::filesystem::exists(dir.file("no")));
}

TEST(OptionDefaults, AreTheSameOnEveryLoadAndFollowAnEditedCopy) {
  std::vector<OptionSpec> specs = {{"size", OptType::Size, "1MiB"},
                                   {"streams", OptType::StringList, "[a, b]"},
                                   {"wait", OptType::Duration, "oops"}};
  for (int load = 0; load < 2; ++load) {
    Diagnostics d;
    Options o = validate_options(YAML::Load("{}"), specs, "in", d);
    EXPECT_TRUE(d.ok());
    EXPECT_EQ(o.size("size"), 1u << 20);
    EXPECT_EQ(o.list("streams"), (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(o.has("wait"));  // a default that does not parse leaves the option unset
  }
  std::vector<OptionSpec> edited = specs;  // shares what the originals parsed
  edited[0].default_value = "2KiB";
  edited[1].type = OptType::String;
  Diagnostics d;
  Options o = validate_options(YAML::Load("{}"), edited, "in", d);
  EXPECT_EQ(o.size("size"), 2048u);
  EXPECT_EQ(o.str("streams"), "[a, b]");
}
