#include "core/common/uuid.h"

// The low-level SHA-1 calls are deprecated in OpenSSL 3 in favour of EVP, but EVP looks the
// algorithm up and allocates a context per digest (17 % of normalize time, one malloc per line
// without a Coder ID). SHA1_Init/Update/Final work on a stack context: no allocation.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstring>

#include "core/common/strings.h"

namespace auditrelay {

// uuid_v5(DNS namespace, "auditrelay.coder.events")
const Uuid kAuditrelayNamespace = {0x6b, 0x1e, 0x3a, 0x57, 0x0c, 0x4f, 0x5d, 0x2a,
                                   0x9b, 0x61, 0x2e, 0x8f, 0x41, 0xd3, 0x77, 0xa0};

namespace {

void set_version_and_variant(const unsigned char* digest, Uuid& u) {
  std::memcpy(u.data(), digest, 16);
  u[6] = static_cast<unsigned char>((u[6] & 0x0f) | 0x50);
  u[8] = static_cast<unsigned char>((u[8] & 0x3f) | 0x80);
}

}  // namespace

bool parse_uuid(std::string_view t, Uuid& out) {
  if (t.size() != 36) return false;
  size_t j = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return false;
      ++i;
      continue;
    }
    int hi = hex_value(t[i]), lo = hex_value(t[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[j++] = static_cast<unsigned char>(hi << 4 | lo);
    i += 2;
  }
  return true;
}

void format_uuid(const Uuid& u, char* buf) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t p = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) buf[p++] = '-';
    buf[p++] = kHex[u[i] >> 4];
    buf[p++] = kHex[u[i] & 15];
  }
}

std::string format_uuid(const Uuid& u) {
  std::string s(36, '\0');
  format_uuid(u, s.data());
  return s;
}

Uuid uuid_v5(const Uuid& ns, std::string_view name) {
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, ns.data(), ns.size());
  SHA1_Update(&ctx, name.data(), name.size());
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1_Final(digest, &ctx);
  Uuid u;
  set_version_and_variant(digest, u);
  return u;
}

}  // namespace auditrelay
