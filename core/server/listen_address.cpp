#include "core/server/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

namespace auditrelay {

namespace {

bool valid_host(const std::string& h, bool bracketed) {
  if (h.empty()) return false;
  auto allowed = [bracketed](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == '_' ||
           (bracketed && (c == ':' || c == '%'));
  };
  return std::all_of(h.begin(), h.end(), allowed) &&
         (bracketed || h.find(':') == std::string::npos);
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string& error) {
  const std::string expected = "\"" + text + "\" is not host:port (such as 127.0.0.1:2020)";
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    error = expected;
    return std::nullopt;
  }
  std::string host = text.substr(0, colon), port = text.substr(colon + 1);
  bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (!valid_host(host, bracketed)) {
    error = expected + (host.find(':') != std::string::npos && !bracketed
                            ? "; write an IPv6 address in brackets: [::1]:2020"
                            : "");
    return std::nullopt;
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoi(port) > 65535) {
    error = "\"" + text + "\": the port must be a number from 0 to 65535";
    return std::nullopt;
  }
  return ListenAddress{host, std::stoi(port)};
}

}  // namespace auditrelay
