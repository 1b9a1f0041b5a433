// Request bodies kept as parts: gzip compresses them as one stream, as if joined.
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

#include "plugins/common/http_client.h"

using namespace auditrelay;

namespace {

std::string gunzip(const std::string& gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(1 << 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  int rc;
  do {
    if (zs.total_out == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + zs.total_out);
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

}  // namespace

TEST(HttpBody, GzipOfPartsInflatesToTheirConcatenation) {
  std::mt19937 rng(7);
  std::vector<std::string> pieces;
  std::string joined;
  // Incompressible bytes in parts of every size, empty ones included: the stream must come out
  // whole whatever the boundaries.
  for (int i = 0; i < 3000; ++i) {
    std::string p(rng() % 700, '\0');
    for (char& c : p) c = static_cast<char>(rng());
    joined += p;
    pieces.push_back(std::move(p));
  }
  HttpBodyParts body;
  for (const auto& p : pieces) body.add(p);
  ASSERT_EQ(body.size, joined.size());
  std::string gz = gzip_compress(body);
  EXPECT_EQ(gunzip(gz), joined);
  EXPECT_EQ(gunzip(gzip_compress(std::string_view(joined))), joined);
}

TEST(HttpBody, GzipOfNoPartsIsAnEmptyStream) {
  HttpBodyParts none;
  EXPECT_EQ(gunzip(gzip_compress(none)), "");
}
