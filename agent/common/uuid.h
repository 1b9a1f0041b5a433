#pragma once
// Name-based UUIDs (RFC 4122 version 5, SHA-1) for stable event ids.
#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace auditrelay {

using Uuid = std::array<unsigned char, 16>;

// The namespace of every id the agent derives; fixed forever so ids are stable across versions.
extern const Uuid kAuditrelayNamespace;

bool parse_uuid(std::string_view text, Uuid& out);
// Formats into 36 bytes at buf.
void format_uuid(const Uuid& u, char* buf);
std::string format_uuid(const Uuid& u);
Uuid uuid_v5(const Uuid& ns, std::string_view name);

// Derives many v5 UUIDs with one reusable SHA-1 context. OpenSSL 3's one-shot SHA1() looks the
// algorithm up and allocates a context on every call, which was 17 % of parse + normalize +
// encode; a normalize worker keeps one of these instead.
class UuidV5Generator {
 public:
  UuidV5Generator();
  ~UuidV5Generator();
  UuidV5Generator(const UuidV5Generator&) = delete;
  UuidV5Generator& operator=(const UuidV5Generator&) = delete;
  Uuid operator()(const Uuid& ns, std::string_view name);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace auditrelay
