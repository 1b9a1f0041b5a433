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

// The address, or nullopt with error saying what is wrong.
std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string& error);

}  // namespace auditrelay
