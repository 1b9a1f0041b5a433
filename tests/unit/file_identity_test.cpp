// Fingerprints, checkpoint keys, Kubernetes paths and the inotify limit warning of the file input.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "plugins/inputs/file/change_watcher.h"
#include "plugins/inputs/file/fingerprint.h"
#include "plugins/inputs/file/kubernetes_path.h"
#include "support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::test;

namespace {

struct Fd {
  int fd;
  explicit Fd(const std::string& p) : fd(::open(p.c_str(), O_RDONLY)) {}
  ~Fd() { ::close(fd); }
};

TEST(FileIdentity, AShortFileIsFingerprintedByItsCompleteLinesOnly) {
  TempDir dir;
  write_text(dir / "a", "partial");
  EXPECT_FALSE(take_fingerprint(Fd(dir / "a").fd, 1024)) << "no complete line yet";
  write_text(dir / "a", "line one\npart");
  auto fp = take_fingerprint(Fd(dir / "a").fd, 1024);
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->length, 9u);
  // Growing does not change it: the same bytes are still at the start.
  write_text(dir / "a", "line one\npart two\nmore\n");
  EXPECT_TRUE(still_matches(Fd(dir / "a").fd, *fp));
  write_text(dir / "a", "line 1\n");
  EXPECT_FALSE(still_matches(Fd(dir / "a").fd, *fp));
}

TEST(FileIdentity, ALongFileIsFingerprintedByItsFirstBytes) {
  TempDir dir;
  write_text(dir / "a", std::string(3000, 'x'));
  auto fp = take_fingerprint(Fd(dir / "a").fd, 1024);
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->length, 1024u);
  write_text(dir / "b", std::string(1024, 'x') + "different after the first KiB");
  EXPECT_EQ(take_fingerprint(Fd(dir / "b").fd, 1024), fp);
}

TEST(FileIdentity, AFingerprintCoversOnlyTheSizeTheCallerSaw) {
  // A copy in progress: the caller decided from a size of 0 (or of one line) that it is no
  // copy of anything; the fingerprint must describe that state, not what was written since.
  TempDir dir;
  std::string text;
  for (int i = 0; i < 300; ++i) text += "line " + std::to_string(i) + "\n";
  write_text(dir / "a", text);
  EXPECT_FALSE(take_fingerprint(Fd(dir / "a").fd, 1024, 0)) << "nothing was there yet";
  auto one = take_fingerprint(Fd(dir / "a").fd, 1024, 10);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->length, 7u) << "the complete lines within the size seen";
  auto all = take_fingerprint(Fd(dir / "a").fd, 1024, text.size());
  ASSERT_TRUE(all);
  EXPECT_EQ(all->length, 1024u);
  EXPECT_EQ(take_fingerprint(Fd(dir / "a").fd, 1024), all);
}

TEST(FileIdentity, ACopyIsRecognisedByItsTail) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "line " + std::to_string(i) + "\n";
  write_text(dir / "orig", text + "written after the copy\n");
  write_text(dir / "copy", text);
  write_text(dir / "other", text.substr(0, text.size() - 10) + "different\n");
  Fd orig(dir / "orig"), copy(dir / "copy"), other(dir / "other");
  EXPECT_TRUE(is_prefix_copy(copy.fd, text.size(), orig.fd, text.size() + 23));
  EXPECT_FALSE(is_prefix_copy(other.fd, text.size(), orig.fd, text.size() + 23));
  EXPECT_FALSE(is_prefix_copy(orig.fd, text.size() + 23, copy.fd, text.size()))
      << "longer than the original";
}

TEST(FileIdentity, CheckpointKeysRoundTrip) {
  Fingerprint fp{0x0123456789abcdefULL, 1024};
  std::string key = file_checkpoint_key("coderd", fp, 0x803, 123456);
  auto parsed = parse_file_checkpoint_key("coderd", key);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->fp, fp);
  EXPECT_EQ(parsed->dev, static_cast<dev_t>(0x803));
  EXPECT_EQ(parsed->ino, static_cast<ino_t>(123456));
  EXPECT_FALSE(parse_file_checkpoint_key("other", key)) << "another input's key";
  EXPECT_FALSE(parse_file_checkpoint_key("coderd", key + "x"));
  EXPECT_FALSE(parse_file_checkpoint_key("coderd", "api:coderd:audit"));
}

TEST(FileIdentity, KubernetesMetadataFromBothLayouts) {
  auto a =
      kubernetes_from_path("/var/log/containers/coder-7d9f-x2_coder_coder-0123456789abcdef.log");
  EXPECT_EQ(a.pod, "coder-7d9f-x2");
  EXPECT_EQ(a.namespace_name, "coder");
  EXPECT_EQ(a.container, "coder");
  auto b = kubernetes_from_path(
      "/var/log/pods/coder_coder-7d9f-x2_5d1c1d5e-1111-2222-3333-444455556666/coder/0.log");
  EXPECT_EQ(b.pod, "coder-7d9f-x2");
  EXPECT_EQ(b.namespace_name, "coder");
  EXPECT_EQ(b.container, "coder");
  EXPECT_FALSE(kubernetes_from_path("/var/log/coder/coderd.log").found());
  EXPECT_FALSE(kubernetes_from_path("/var/log/containers/nounderscores.log").found());
}

TEST(FileIdentity, LowInotifyLimitsAreWarnedAbout) {
  EXPECT_EQ(inotify_limits_warning({524288, 512}), "");
  EXPECT_EQ(inotify_limits_warning({0, 0}), "") << "unknown limits are not guessed at";
  std::string w = inotify_limits_warning({8192, 128});
  EXPECT_NE(w.find("fs.inotify.max_user_watches is 8192"), std::string::npos) << w;
  EXPECT_NE(inotify_limits_warning({65536, 64}).find("max_user_instances is 64"),
            std::string::npos);
  TempDir dir;
  write_text(dir / "max_user_watches", "8192\n");
  write_text(dir / "max_user_instances", "128\n");
  auto l = read_inotify_limits(dir.path());
  EXPECT_EQ(l.max_user_watches, 8192);
  EXPECT_EQ(l.max_user_instances, 128);
}

}  // namespace
