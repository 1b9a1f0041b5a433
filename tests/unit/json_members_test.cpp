// JsonMembers gathers members on the stack and json_copy_plain checks and copies in one pass:
// both must write exactly what JsonWriter and json_plain do, for every kind of value (escapes,
// control bytes, invalid UTF-8, values larger than the run, nested objects).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/common/json_writer.h"

using namespace auditrelay;

namespace {

struct RandomText {
  std::mt19937 rng{42};
  // Mostly plain when `plainish`, else any of the bytes JSON treats specially.
  std::string operator()(size_t max_len, bool plainish) {
    static const char kAny[] = "abcXYZ019 _-./:\"\\\n\x01\x7f\xc3\xa9\xe2\x80\xa8\xff";
    static const char kPlain[] = "abcdefghijklmnop0123456789-_";
    size_t n = rng() % (max_len + 1);
    std::string s;
    for (size_t i = 0; i < n; ++i)
      s.push_back(plainish && rng() % 50 ? kPlain[rng() % (sizeof kPlain - 1)]
                                         : kAny[rng() % (sizeof kAny - 1)]);
    return s;
  }
};

}  // namespace

TEST(JsonCopyPlain, AgreesWithJsonPlainAndCopiesPlainText) {
  RandomText rnd;
  for (int i = 0; i < 20000; ++i) {
    std::string v = rnd(i % 7 == 0 ? 1200 : 70, i % 2);
    std::vector<char> dst(v.size() + 1);
    bool plain = json_copy_plain(dst.data(), v);
    ASSERT_EQ(plain, json_plain(v)) << v;
    if (plain) ASSERT_EQ(std::string(dst.data(), v.size()), v);
  }
}

TEST(JsonMembers, WritesWhatJsonWriterWrites) {
  RandomText rnd;
  for (int i = 0; i < 10000; ++i) {
    std::string want, got;
    JsonWriter w1(want), w2(got);
    w1.begin_object();
    w2.begin_object();
    if (rnd.rng() % 2) {  // a member written before the run: the run's first needs a comma
      w1.key_literal("pre");
      w1.integer(5);
      w2.key_literal("pre");
      w2.integer(5);
    }
    const int n = static_cast<int>(rnd.rng() % 12);
    std::vector<std::pair<std::string, std::string>> kv;
    for (int f = 0; f < n; ++f)
      kv.emplace_back(rnd(20, rnd.rng() % 4), rnd(f % 5 == 0 ? 1100 : 60, rnd.rng() % 3));
    const bool literal_keys = rnd.rng() % 2;
    {
      JsonMembers m(w2);
      for (const auto& [k, v] : kv) {
        if (literal_keys) {
          w1.field("lit", v);
          m.field("lit", v);
        } else {
          w1.string_field(k, v);
          m.string_field(k, v);
        }
      }
      w1.key_literal("n");
      w1.integer(-12345);
      m.integer_field("n", -12345);
    }
    w1.end_object();
    w2.end_object();
    ASSERT_EQ(got, want);
  }
}

TEST(JsonMembers, NestedObjectsMatchJsonWriter) {
  RandomText rnd;
  for (int i = 0; i < 5000; ++i) {
    std::string want, got;
    JsonWriter w1(want), w2(got);
    w1.begin_object();
    w2.begin_object();
    const int n = 3 + static_cast<int>(rnd.rng() % 8);
    {
      JsonMembers m(w2);
      for (int f = 0; f < n; ++f) {
        std::string v = rnd(f % 4 == 0 ? 1100 : 50, rnd.rng() % 3);
        if (v.empty()) v = "q";
        if (f == 1) {
          w1.key_literal("obj");
          w1.begin_object();
          m.begin_object("obj");
        }
        w1.field("x", v);
        m.field("x", v);
        if (f == n - 2) {
          w1.end_object();
          m.end_object();
        }
      }
    }
    w1.end_object();
    w2.end_object();
    ASSERT_EQ(got, want);
  }
}
