#pragma once
// `server.listen`: host:port, [ipv6]:port. Checked by `validate` and used by the server, so a
// value the server cannot listen on is a config problem, not a start failure.
#include <optional>
#include <string>

namespace auditrelay {

struct ListenAddress {
  std::string host;  // without IPv6 brackets
  int port = 0;      // 0: any free port (tests)
};

// Only this machine can connect: 127.0.0.0/8, ::1 or localhost (not 0.0.0.0 or ::).
bool is_loopback_host(const std::string& host);

// The address, or nullopt with error saying what is wrong.
std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string& error);

}  // namespace auditrelay
