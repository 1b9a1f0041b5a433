// `auditrelay healthcheck`: asks a running agent's /healthz (or /readyz) and exits 0 when it
// answers 200. For container HEALTHCHECKs and probes in images without curl or a shell.
#include <httplib.h>

#include <cstdio>

#include "agent/cli/commands.h"

namespace auditrelay {

int healthcheck_command(const HealthcheckArgs& args) {
  std::string url = args.url;
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  size_t slash = url.find('/');
  std::string host_port = url.substr(0, slash);
  std::string path = slash == std::string::npos ? "/healthz" : url.substr(slash);
  size_t colon = host_port.rfind(':');
  if (host_port.empty() || colon == std::string::npos) {
    std::fprintf(stderr,
                 "auditrelay healthcheck: --url must be http://HOST:PORT[/PATH], got '%s'\n",
                 args.url.c_str());
    return 2;
  }
  int port = std::atoi(host_port.c_str() + colon + 1);
  httplib::Client client(host_port.substr(0, colon), port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(3));
  auto res = client.Get(path);
  if (!res) {
    std::fprintf(stderr, "auditrelay healthcheck: %s: %s\n", args.url.c_str(),
                 httplib::to_string(res.error()).c_str());
    return 1;
  }
  std::fprintf(res->status == 200 ? stdout : stderr, "%d %s", res->status, res->body.c_str());
  return res->status == 200 ? 0 : 1;
}

}  // namespace auditrelay
