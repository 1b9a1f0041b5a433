// Connection records (message "connection_log"): SSH, app, port-forwarding and tunnel sessions
// to a workspace agent.
#include <cstring>

#include "coder/normalize/mapping.h"

namespace auditrelay::coder::mapping {
namespace {

// The session's action: disconnect, connect, or open for a request without a connection id.
std::string_view connection_action(const Event& e) {
  if (iequals(e.connection.status, "disconnected")) return "disconnect";
  if (!e.connection.id.empty()) return "connect";
  return "open";
}

// The resource a session went to: an app (workspace apps and forwarded ports) or the agent,
// named "<workspace>.<agent>".
void map_connection_resource(Event& e, Arena& arena) {
  const auto& t = e.connection.type;
  e.resource.type =
      (t == "workspace_app" || t == "port_forwarding") ? "workspace_app" : "workspace_agent";
  e.resource.id = e.workspace.id;
  const auto& ws = e.workspace;
  if (ws.name.empty() && ws.agent_name.empty()) return;
  size_t n = ws.name.size() + 1 + ws.agent_name.size();
  char* p = arena.allocate(n);
  // Empty views may hold a null pointer, which memcpy must never see.
  if (!ws.name.empty()) std::memcpy(p, ws.name.data(), ws.name.size());
  p[ws.name.size()] = '.';
  if (!ws.agent_name.empty())
    std::memcpy(p + ws.name.size() + 1, ws.agent_name.data(), ws.agent_name.size());
  e.resource.target = std::string_view(p, n);
}

}  // namespace

void map_connection(const MappedFields& f, Event& e) {
  map_id_and_time(f, e);
  e.connection.id = f.text(Key::ConnectionId);
  e.connection.type = f.text(Key::Type);
  e.connection.status = f.text(Key::ConnectionStatus);
  e.connection.slug_or_port = f.text(Key::SlugOrPort);
  e.connection.disconnect_reason = f.text(Key::DisconnectReason);
  map_status(f.get(Key::Code), e);
  e.actor.id = f.text(Key::UserId);
  e.actor.ip = f.text(Key::Ip);
  e.actor.user_agent = f.text(Key::UserAgent);
  e.workspace.id = f.text(Key::WorkspaceId);
  e.workspace.name = f.text(Key::WorkspaceName);
  e.workspace.owner_id = f.text(Key::WorkspaceOwnerId);
  e.workspace.agent_name = f.text(Key::AgentName);
  e.organization_id = f.text(Key::OrganizationId);
  e.request_id = f.text(Key::RequestId);
  e.action = connection_action(e);
  map_connection_resource(e, f.arena());
}

}  // namespace auditrelay::coder::mapping
