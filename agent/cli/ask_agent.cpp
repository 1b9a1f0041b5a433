// `auditrelay healthcheck` and `auditrelay reload`: ask a running agent's server, for container
// HEALTHCHECKs, probes and operators in images without curl or a shell.
//   healthcheck: GET /healthz (or the --url path); exit 0 when it answers 200.
//   reload:      POST /reload; prints what changed (exit 0) or the problems (exit 1).
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "agent/cli/commands.h"

namespace auditrelay {
namespace {

struct AgentUrl {
  std::string host;
  int port = 0;
  std::string path;
};

// http://HOST:PORT[/PATH]; the path defaults to `default_path`. False when it is not that shape.
bool parse_agent_url(const std::string& text, const std::string& default_path, AgentUrl& out) {
  std::string url = text.rfind("http://", 0) == 0 ? text.substr(7) : text;
  size_t slash = url.find('/');
  std::string host_port = url.substr(0, slash);
  out.path =
      slash == std::string::npos || slash + 1 == url.size() ? default_path : url.substr(slash);
  size_t colon = host_port.rfind(':');
  if (host_port.empty() || colon == std::string::npos) return false;
  out.host = host_port.substr(0, colon);
  out.port = std::atoi(host_port.c_str() + colon + 1);
  return out.port > 0;
}

httplib::Client client_for(const AgentUrl& u) {
  httplib::Client client(u.host, u.port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(30));  // a reload may wait for outputs to stop
  return client;
}

// Prints the answer (stdout for 200, stderr otherwise) and returns the exit status.
int report(const char* verb, const std::string& url, const httplib::Result& res, bool with_status) {
  if (!res) {
    std::string why =
        res.error() == httplib::Error::Connection
            ? "cannot connect (is an agent running with server.listen at this address?)"
            : httplib::to_string(res.error());
    std::fprintf(stderr, "auditrelay %s: %s: %s\n", verb, url.c_str(), why.c_str());
    return 1;
  }
  FILE* to = res->status == 200 ? stdout : stderr;
  if (with_status) std::fprintf(to, "%d ", res->status);
  std::fputs(res->body.c_str(), to);
  return res->status == 200 ? 0 : 1;
}

}  // namespace

int healthcheck_command(const HealthcheckArgs& args) {
  AgentUrl u;
  if (!parse_agent_url(args.url, "/healthz", u)) {
    std::fprintf(stderr,
                 "auditrelay healthcheck: --url must be http://HOST:PORT[/PATH], got '%s'\n",
                 args.url.c_str());
    return 2;
  }
  return report("healthcheck", args.url, client_for(u).Get(u.path), true);
}

int reload_command(const ReloadArgs& args) {
  AgentUrl u;
  if (!parse_agent_url(args.url, "/reload", u)) {
    std::fprintf(stderr, "auditrelay reload: --url must be http://HOST:PORT[/reload], got '%s'\n",
                 args.url.c_str());
    return 2;
  }
  std::string token;
  if (!args.token_file.empty()) {
    std::ifstream in(args.token_file);
    if (!in || !std::getline(in, token)) {
      std::fprintf(stderr, "auditrelay reload: cannot read --token-file %s\n",
                   args.token_file.c_str());
      return 2;
    }
  } else if (const char* env = std::getenv("AUDITRELAY_SERVER_TOKEN")) {
    token = env;
  }
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return report("reload", args.url, client_for(u).Post(u.path, headers), false);
}

}  // namespace auditrelay
