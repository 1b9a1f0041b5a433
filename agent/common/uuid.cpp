#include "agent/common/uuid.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>
#include <stdexcept>

#include "agent/common/strings.h"

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

struct UuidV5Generator::State {
  EVP_MD* sha1 = nullptr;
  EVP_MD_CTX* ctx = nullptr;
  ~State() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(sha1);
  }
};

UuidV5Generator::UuidV5Generator() : state_(std::make_unique<State>()) {
  state_->sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  state_->ctx = EVP_MD_CTX_new();
  if (!state_->sha1 || !state_->ctx) throw std::runtime_error("OpenSSL: SHA-1 is not available");
}

UuidV5Generator::~UuidV5Generator() = default;

Uuid UuidV5Generator::operator()(const Uuid& ns, std::string_view name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* c = state_->ctx;
  if (!EVP_DigestInit_ex2(c, state_->sha1, nullptr) || !EVP_DigestUpdate(c, ns.data(), ns.size()) ||
      !EVP_DigestUpdate(c, name.data(), name.size()) || !EVP_DigestFinal_ex(c, digest, &len) || len < 16)
    throw std::runtime_error("OpenSSL: SHA-1 digest failed");
  Uuid u;
  set_version_and_variant(digest, u);
  return u;
}

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
  // One-shot SHA1 over namespace + name; names are short, a stack buffer avoids allocation.
  unsigned char stack[512];
  std::string heap;
  unsigned char* buf = stack;
  size_t len = ns.size() + name.size();
  if (len > sizeof stack) {
    heap.resize(len);
    buf = reinterpret_cast<unsigned char*>(heap.data());
  }
  std::memcpy(buf, ns.data(), ns.size());
  if (!name.empty()) std::memcpy(buf + ns.size(), name.data(), name.size());
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(buf, len, digest);
  Uuid u;
  set_version_and_variant(digest, u);
  return u;
}

}  // namespace auditrelay
