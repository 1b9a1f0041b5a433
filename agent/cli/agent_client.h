#pragma once
// What the commands that talk to a running agent's server share (healthcheck, reload, tap,
// top): its URL, the bearer token, and how an unreachable agent is reported.
#include <httplib.h>

#include <string>

namespace auditrelay {

struct AgentUrl {
  std::string host;
  int port = 0;
  std::string path;
};

// http://HOST:PORT[/PATH]; the path defaults to `default_path`. False when it is not that shape.
bool parse_agent_url(const std::string& text, const std::string& default_path, AgentUrl& out);
// The same for a command's --url: false after saying on stderr what is wrong with it.
bool agent_url_option(const char* command, const std::string& text, const std::string& default_path,
                      AgentUrl& out);

// The agent's server.token from token_file, else $AUDITRELAY_SERVER_TOKEN (empty: none). False
// when token_file is given and cannot be read.
bool read_server_token(const std::string& token_file, std::string& token);
// Authorization: Bearer <token>, when there is one.
httplib::Headers bearer_headers(const std::string& token);

// Why a request got no answer, in words an operator can act on.
std::string unreachable_reason(const httplib::Result& res);

}  // namespace auditrelay
