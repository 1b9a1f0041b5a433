// Agent Boundaries records (message "boundary_request"): a workspace process asked for a URL
// and the boundary allowed or denied it.
#include "coder/normalize/mapping.h"

namespace auditrelay::coder::mapping {
namespace {

bool scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '+' || c == '-' ||
         c == '.';
}

// The host of a fully qualified URL, lower-case, without user info, port or IPv6 brackets;
// empty for a path-only URL (the first boundary releases logged only the path).
std::string_view url_host(std::string_view url, Arena& arena) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return {};
  for (size_t i = 0; i < sep; ++i)
    if (!scheme_char(url[i])) return {};
  std::string_view authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  std::string_view host = authority;
  if (host.starts_with('[')) {
    size_t close = host.find(']');
    host = close == std::string_view::npos ? std::string_view{} : host.substr(1, close - 1);
  } else if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  bool lower = true;
  for (char c : host) lower = lower && ascii_lower(c) == c;
  if (lower || host.empty()) return host;
  char* p = arena.allocate(host.size());
  for (size_t i = 0; i < host.size(); ++i) p[i] = ascii_lower(host[i]);
  return {p, host.size()};
}

// Go's zero time, which Coder writes for an unknown event_time.
bool is_zero_time(std::string_view t) {
  return t.starts_with("0001-01-01T00:00:00");
}

}  // namespace

void map_boundary(const MappedFields& f, Event& e) {
  if (std::string_view t = f.text(Key::EventTime); !t.empty() && !is_zero_time(t))
    parse_any_time(t, e.time);
  e.boundary.decision = f.text(Key::Decision);
  e.boundary.matched_rule = f.text(Key::MatchedRule);
  e.action = e.boundary.decision;
  e.actor.username = f.text(Key::Owner);
  e.workspace.owner_username = e.actor.username;
  e.workspace.id = f.text(Key::WorkspaceId);
  e.workspace.name = f.text(Key::WorkspaceName);
  e.workspace.agent_name = f.text(Key::AgentName);
  e.template_.id = f.text(Key::TemplateId);
  e.template_.version_id = f.text(Key::TemplateVersionId);
  e.http.method = f.text(Key::HttpMethod);
  e.http.url = f.text(Key::HttpUrl);
  e.http.host = url_host(e.http.url, f.arena());
  e.request_id = f.text(Key::RequestId);
}

}  // namespace auditrelay::coder::mapping
