// The file input's identity decision (every branch of decide_identity), fingerprints, checkpoint
// keys, Kubernetes paths and the inotify limit warning.
#include "plugins/inputs/file/file_identity.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "plugins/inputs/file/change_watcher.h"
#include "plugins/inputs/file/fingerprint.h"
#include "plugins/inputs/file/kubernetes_path.h"
#include "support/temp_dir.h"

using namespace auditrelay;
using namespace auditrelay::test;
using namespace auditrelay::file_input;

namespace {

struct Fd {
  int fd;
  explicit Fd(const std::string& p) : fd(::open(p.c_str(), O_RDONLY)) {}
  ~Fd() { ::close(fd); }
};

// ---- decide_identity: what was seen → who the file is and where reading starts -------------

constexpr Fingerprint kFp{0xfeedULL, 1024};
const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1);

IdentitySeen new_file_seen(uint64_t size) {
  IdentitySeen s;
  s.size = size;
  s.fingerprint = kFp;
  s.now = kT0;
  return s;
}

PeerSeen peer(bool same_head, bool prefix, bool truncated, uint64_t offset) {
  PeerSeen p;
  p.fingerprint_length = 1024;
  p.same_head = same_head;
  p.prefix_of_peer = prefix;
  p.peer_truncated = truncated;
  p.peer_offset = offset;
  return p;
}

SavedSeen saved(bool same_head, bool same_inode, bool same_path, uint64_t offset,
                bool inode_still_holds = false) {
  SavedSeen v;
  v.same_head = same_head;
  v.same_inode = same_inode;
  v.same_path = same_path;
  v.offset = offset;
  v.inode_still_holds = inode_still_holds;
  return v;
}

TEST(FileIdentity, ANewFileStartsAtItsBeginning) {
  auto d = decide_identity(new_file_seen(5000));
  EXPECT_EQ(d.verdict, IdentityVerdict::New);
  EXPECT_EQ(d.start, 0u);
  EXPECT_FALSE(d.distinct);
}

TEST(FileIdentity, ANewFileAtTheVeryFirstStartWithReadFromEndStartsAfterItsLastLine) {
  auto s = new_file_seen(5000);
  s.start_at_end = true;
  s.last_line_end = 4990;
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::New);
  EXPECT_EQ(d.start, 4990u);
}

TEST(FileIdentity, AFileWithoutACompleteFirstLineIsUndecided) {
  auto s = new_file_seen(10);
  s.fingerprint.reset();
  EXPECT_EQ(decide_identity(s).verdict, IdentityVerdict::Undecided);
}

TEST(FileIdentity, TheSameFileGrownSinceTheRestartResumesAtItsSavedPosition) {
  auto s = new_file_seen(9000);  // grew past the saved offset while the agent was stopped
  s.saved = {saved(false, false, false, 10), saved(true, true, true, 4000)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::Resumed);
  EXPECT_EQ(d.saved, 1u);
  EXPECT_EQ(d.start, 4000u);
  EXPECT_FALSE(d.drain_first);
}

TEST(FileIdentity, ARenameWhileStoppedResumesThereAndIsDrainedFirst) {
  auto s = new_file_seen(9000);
  s.saved = {saved(true, true, /*same_path=*/false, 4000)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::Resumed);
  EXPECT_EQ(d.start, 4000u);
  EXPECT_TRUE(d.drain_first) << "rotated while stopped: finished before its successor";
}

TEST(FileIdentity, ATruncationWhileStoppedStartsOverAtZero) {
  auto s = new_file_seen(100);
  s.saved = {saved(true, true, true, 4000)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::Resumed);
  EXPECT_EQ(d.start, 0u) << "the saved position is past the end";
}

TEST(FileIdentity, TheSavedPositionOfThisInodeWinsOverTheSameContentElsewhere) {
  auto s = new_file_seen(9000);
  s.saved = {saved(true, false, false, 100), saved(true, true, true, 4000)};
  EXPECT_EQ(decide_identity(s).saved, 1u);
}

TEST(FileIdentity, ContentMovedToAnotherInodeClaimsItsPositionOnlyWhenTheOldInodeLostIt) {
  auto s = new_file_seen(9000);
  s.saved = {saved(true, false, true, 4000, /*inode_still_holds=*/false)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::Resumed) << "moved (or copied) while stopped";
  EXPECT_EQ(d.start, 4000u);

  s.saved = {saved(true, false, true, 4000, /*inode_still_holds=*/true)};
  EXPECT_EQ(decide_identity(s).verdict, IdentityVerdict::New)
      << "the other inode is still that file: this one only starts with the same lines";
}

TEST(FileIdentity, AReusedInodeWithOtherContentIsANewFile) {
  auto s = new_file_seen(9000);
  s.saved = {saved(/*same_head=*/false, /*same_inode=*/true, true, 4000)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::New);
  EXPECT_EQ(d.start, 0u);
}

TEST(FileIdentity, ACopyOfAFileBeingReadIsHeldUntilThatIsTruncated) {
  auto s = new_file_seen(50000);
  s.peers = {peer(false, false, false, 100), peer(true, true, false, 50000)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::HeldCopy);
  EXPECT_EQ(d.peer, 1u);
}

TEST(FileIdentity, ACopyOfAnAlreadyTruncatedFileIsReadFromWhereThatWas) {
  // copytruncate: the original was emptied between the copy and this look.
  auto s = new_file_seen(50000);
  s.peers = {peer(true, false, /*truncated=*/true, 50000)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::CopyOfTruncated);
  EXPECT_EQ(d.peer, 0u);
}

TEST(FileIdentity, TheSameFirstBytesAsAFileBeingReadIsADistinctFile) {
  auto s = new_file_seen(3000);
  s.peers = {peer(true, /*prefix=*/false, false, 50000)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::New);
  EXPECT_TRUE(d.distinct) << "its source identity adds its inode";
}

TEST(FileIdentity, AFarShorterPrefixIsACopyInProgressUntilItsSizeSettles) {
  // The same bytes as the start of a file read far beyond: a copy still being written, or a new
  // file starting with the same lines. Held undecided until its size stays put for kCopySettle.
  auto s = new_file_seen(2000);
  s.peers = {peer(true, true, false, 2000 + 10 * kCopySlack)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::Undecided);
  EXPECT_EQ(d.settle.size, 2000u);
  EXPECT_EQ(d.settle.since, kT0);

  s.settle = d.settle;
  s.now = kT0 + kCopySettle - std::chrono::milliseconds(1);
  EXPECT_EQ(decide_identity(s).verdict, IdentityVerdict::Undecided);

  s.now = kT0 + kCopySettle;
  d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::New) << "settled: not a copy after all";
  EXPECT_TRUE(d.distinct);

  s.size = 2500;  // still growing: the clock starts over
  d = decide_identity(s);
  EXPECT_EQ(d.verdict, IdentityVerdict::Undecided);
  EXPECT_EQ(d.settle.since, s.now);
}

TEST(FileIdentity, AShortFileWithThePrefixOfAPeerWaitsForItsSizeToSettle) {
  // Shorter than the peer's fingerprint, the same bytes so far: a copy at its very start.
  auto s = new_file_seen(100);
  s.peers = {peer(/*same_head=*/false, /*prefix=*/true, false, 50000)};
  EXPECT_EQ(decide_identity(s).verdict, IdentityVerdict::Undecided);
  s.settle = SettleClock{100, kT0 - kCopySettle};
  EXPECT_EQ(decide_identity(s).verdict, IdentityVerdict::New);
}

TEST(FileIdentity, TheSettleClockIsLeftAloneWhenNoCopyIsInQuestion) {
  auto s = new_file_seen(2000);
  s.settle = SettleClock{1234, kT0 - std::chrono::seconds(5)};
  auto d = decide_identity(s);
  EXPECT_EQ(d.settle.size, 1234u);
  EXPECT_EQ(d.settle.since, kT0 - std::chrono::seconds(5));
}

TEST(FileIdentity, PeersDecideBeforeSavedPositions) {
  auto s = new_file_seen(50000);
  s.peers = {peer(true, true, false, 50000)};
  s.saved = {saved(true, true, true, 4000)};
  EXPECT_EQ(decide_identity(s).verdict, IdentityVerdict::HeldCopy);
}

TEST(FileIdentity, AFileGrownInPlaceIsNotTruncatedButOneShrunkOrRewrittenIs) {
  EXPECT_FALSE(truncated_in_place(9000, 4000, true)) << "grown";
  EXPECT_FALSE(truncated_in_place(4000, 4000, true)) << "unchanged";
  EXPECT_TRUE(truncated_in_place(100, 4000, true)) << "shrunk below what was read";
  EXPECT_TRUE(truncated_in_place(9000, 4000, false))
      << "truncated and written past the old offset: only the first bytes tell";
}

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
