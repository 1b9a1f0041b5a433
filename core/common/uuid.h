#pragma once
// Name-based UUIDs (RFC 4122 version 5, SHA-1) for stable event ids.
#include <array>
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

}  // namespace auditrelay
