#include "agent/cli/agent_client.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "agent/cli/commands.h"
#include "agent/config/agent_config.h"

namespace auditrelay {

std::string default_agent_url(const std::string& path) {
  return "http://" + std::string(kSuggestedListen) + path;
}

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

bool agent_url_option(const char* command, const std::string& text, const std::string& default_path,
                      AgentUrl& out) {
  if (parse_agent_url(text, default_path, out)) return true;
  std::fprintf(stderr, "auditrelay %s: --url must be http://HOST:PORT[%s], got '%s'\n", command,
               default_path.c_str(), text.c_str());
  return false;
}

bool read_server_token(const std::string& token_file, std::string& token) {
  token.clear();
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    return in && std::getline(in, token);
  }
  if (const char* env = std::getenv("AUDITRELAY_SERVER_TOKEN")) token = env;
  return true;
}

httplib::Headers bearer_headers(const std::string& token) {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return headers;
}

std::string unreachable_reason(const httplib::Result& res) {
  return res.error() == httplib::Error::Connection
             ? "cannot connect (is an agent running with server.listen at this address?)"
             : httplib::to_string(res.error());
}

}  // namespace auditrelay
