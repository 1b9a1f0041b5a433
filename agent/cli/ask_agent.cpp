// `auditrelay healthcheck` and `auditrelay reload`: ask a running agent's server, for container
// HEALTHCHECKs, probes and operators in images without curl or a shell.
//   healthcheck: GET /healthz (or the --url path); exit 0 when it answers 200.
//   reload:      POST /reload; prints what changed (exit 0) or the problems (exit 1).
#include <httplib.h>

#include <cstdio>

#include "agent/cli/agent_client.h"
#include "agent/cli/commands.h"

namespace auditrelay {
namespace {

httplib::Client client_for(const AgentUrl& u) {
  httplib::Client client(u.host, u.port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(30));  // a reload may wait for outputs to stop
  return client;
}

// Prints the answer (stdout for 200, stderr otherwise) and returns the exit status.
int report(const char* verb, const std::string& url, const httplib::Result& res, bool with_status) {
  if (!res) {
    std::fprintf(stderr, "auditrelay %s: %s: %s\n", verb, url.c_str(),
                 unreachable_reason(res).c_str());
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
  if (!agent_url_option("healthcheck", args.url, "/healthz", u)) return 2;
  return report("healthcheck", args.url, client_for(u).Get(u.path), true);
}

int reload_command(const ReloadArgs& args) {
  AgentUrl u;
  if (!agent_url_option("reload", args.url, "/reload", u)) return 2;
  std::string token;
  if (!read_server_token(args.token_file, token)) {
    std::fprintf(stderr, "auditrelay reload: cannot read --token-file %s\n",
                 args.token_file.c_str());
    return 2;
  }
  httplib::Headers headers = bearer_headers(token);
  return report("reload", args.url, client_for(u).Post(u.path, headers), false);
}

}  // namespace auditrelay
