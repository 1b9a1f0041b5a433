// ECS 8.x encoding of a Coder event: the ECS fields Kibana and Elastic Security query
// (@timestamp, event.*, user.*, source.*, host.*, orchestrator.*, url.*, http.*, rule.*), and
// the rest of the audit/v1 event under `coder.*`, so nothing is lost. The table and its reasons
// are in docs/audit-schema.md ("ECS").
#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "core/common/json_writer.h"
#include "core/common/strings.h"
#include "coder/schemas/ocsf_class.h"
#include "coder/schemas/schema_writer.h"

namespace auditrelay::coder {
namespace {

// event.category / event.type pairs, as ECS lists the types each category expects.
struct EcsCategorization {
  std::array<std::string_view, 2> category{};
  std::array<std::string_view, 2> type{};
};

std::string_view crud_type(std::string_view action) {
  if (action == "create" || action == "register") return "creation";
  if (action == "delete") return "deletion";
  if (action == "write" || action == "request_password_reset") return "change";
  return "info";
}

bool is_group_resource(std::string_view t) {
  return t == "group" || t == "idp_sync_settings_group";
}

EcsCategorization audit_categorization(const Event& e) {
  std::string_view a = e.action, t = e.resource.type;
  if (a == "login") return {{"authentication", {}}, {"start", {}}};
  if (a == "logout") return {{"authentication", {}}, {"end", {}}};
  if (t == "user" || a == "register" || a == "request_password_reset")
    return {{"iam", {}}, {"user", crud_type(a)}};
  if (is_group_resource(t)) return {{"iam", {}}, {"group", crud_type(a)}};
  if (t == "api_key" || t == "git_ssh_key" || t == "custom_role" || t == "organization_member" ||
      t == "oauth2_provider_app_secret")
    return {{"iam", {}}, {crud_type(a), {}}};
  if (t == "workspace_build" || a == "start" || a == "stop")
    return {{"host", {}}, {a == "stop" ? "end" : a == "start" ? "start" : "change", {}}};
  return {{"configuration", {}}, {crud_type(a), {}}};
}

bool connection_refused(const Event& e) {
  return e.has_status && !connection_has_exit_code(e.connection.type) && e.status_code >= 400;
}

EcsCategorization connection_categorization(const Event& e) {
  std::string_view type = e.connection.type;
  if (type == "workspace_app") return {{"web", {}}, {"access", connection_refused(e) ? "error" : ""}};
  if (!connection_has_exit_code(type))
    return {{"network", {}}, {"connection", connection_refused(e) ? "denied" : "allowed"}};
  bool end = e.action == "disconnect";
  return {{"session", "network"}, {end ? "end" : "start", {}}};
}

EcsCategorization categorization(const Event& e) {
  switch (e.kind) {
    case Kind::Audit: return audit_categorization(e);
    case Kind::Connection: return connection_categorization(e);
    case Kind::Boundary:
      return {{"network", "web"},
              {iequals(e.boundary.decision, "allow") ? "allowed" : "denied", "access"}};
    case Kind::Log: break;
  }
  return {{}, {e.severity >= Severity::Error ? "error" : "info", {}}};
}

// event.outcome: what the event says about success, or nothing when it does not say.
std::string_view outcome(const Event& e) {
  switch (e.kind) {
    case Kind::Audit:
      if (!e.has_status) return "unknown";
      return e.status_code >= 400 ? "failure" : "success";
    case Kind::Connection: return connection_refused(e) ? "failure" : "success";
    case Kind::Boundary: return iequals(e.boundary.decision, "allow") ? "success" : "failure";
    case Kind::Log: break;
  }
  return {};
}

std::string_view dataset(Kind k) {
  switch (k) {
    case Kind::Audit: return "coder.audit";
    case Kind::Connection: return "coder.connection";
    case Kind::Boundary: return "coder.boundary";
    case Kind::Log: break;
  }
  return "coder.log";
}

// An `ip` field must hold an address, or Elasticsearch refuses the whole document.
bool is_ip(std::string_view s) {
  char buf[64];
  if (s.empty() || s.size() >= sizeof(buf) || s.find('\0') != std::string_view::npos) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char addr[16];
  return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

class EcsEventWriter {
 public:
  EcsEventWriter(const Event& e, const EncodeContext& ctx, std::string& out)
      : e_(e), ctx_(ctx), w_(out) {
    if (!ctx.stats) ctx_.stats = &unused_stats_;
  }

  void write() {
    w_.begin_object();
    char buf[48];
    const Timestamp& t = e_.time.valid() ? e_.time : e_.observed;
    w_.field("@timestamp", std::string_view(buf, format_rfc3339(t, buf)));
    w_.key_literal("ecs");
    w_.begin_object();
    w_.literal_field("version", kEcsVersion);
    w_.end_object();
    w_.field_if_set("message", e_.message);
    write_event();
    write_log();
    write_user();
    write_source();
    write_host_and_orchestrator();
    write_http_and_url();
    write_rule();
    if (!e_.error.empty()) {
      w_.key_literal("error");
      w_.begin_object();
      w_.field("message", e_.error);
      w_.end_object();
    }
    write_coder();
    w_.end_object();
  }

 private:
  void keywords(std::string_view key, const std::array<std::string_view, 2>& values) {
    if (values[0].empty()) return;
    w_.key_literal(key);
    w_.begin_array();
    for (std::string_view v : values)
      if (!v.empty()) w_.string(v);
    w_.end_array();
  }

  void write_event() {
    w_.key_literal("event");
    w_.begin_object();
    w_.literal_field("kind", e_.alert_rule.empty() ? "event" : "alert");
    EcsCategorization c = categorization(e_);
    keywords("category", c.category);
    keywords("type", c.type);
    w_.field_if_set("action", e_.action);
    w_.field_if_set("outcome", outcome(e_));
    w_.literal_field("dataset", dataset(e_.kind));
    w_.literal_field("module", "coder");
    w_.field_if_set("provider", e_.logger);
    w_.field_if_set("id", e_.event_id);
    if (e_.observed.valid()) {
      char buf[48];
      w_.field("created", std::string_view(buf, format_rfc3339(e_.observed, buf)));
    }
    w_.field_if_set("reason", e_.connection.disconnect_reason);
    w_.end_object();
  }

  void write_log() {
    w_.key_literal("log");
    w_.begin_object();
    w_.literal_field("level", severity_name(e_.severity));
    w_.field_if_set("logger", e_.logger);
    if (!e_.source.path.empty()) {
      w_.key_literal("file");
      w_.begin_object();
      w_.field("path", e_.source.path);
      w_.end_object();
    }
    w_.end_object();  // the offset (not an ECS field) is in coder.source
  }

  // user: who acted; user.target: the account an audit event changed.
  void write_user() {
    const auto& a = e_.actor;
    std::string_view name = !a.username.empty() ? a.username : e_.workspace.owner_username;
    bool target = e_.kind == Kind::Audit && e_.resource.type == "user";
    if (a.id.empty() && name.empty() && a.email.empty() && !target) return;
    w_.key_literal("user");
    w_.begin_object();
    w_.field_if_set("id", a.id);
    w_.field_if_set("name", name);
    w_.field_if_set("email", a.email);
    if (target) {
      w_.key_literal("target");
      w_.begin_object();
      w_.field_if_set("id", e_.resource.id);
      w_.field_if_set("name", e_.resource.target);
      w_.end_object();
    }
    w_.end_object();
  }

  void write_source() {
    if (!e_.actor.user_agent.empty()) {
      w_.key_literal("user_agent");
      w_.begin_object();
      w_.field("original", e_.actor.user_agent);
      w_.end_object();
    }
    if (e_.actor.ip.empty()) return;
    w_.key_literal("source");
    w_.begin_object();
    w_.field(is_ip(e_.actor.ip) ? "ip" : "address", e_.actor.ip);
    w_.end_object();
  }

  void write_host_and_orchestrator() {
    const auto& s = e_.source;
    if (!s.host.empty()) {
      w_.key_literal("host");
      w_.begin_object();
      w_.field("name", s.host);
      w_.end_object();
    }
    if (!s.k8s_namespace.empty() || !s.k8s_pod.empty()) {
      w_.key_literal("orchestrator");
      w_.begin_object();
      w_.literal_field("type", "kubernetes");
      w_.field_if_set("namespace", s.k8s_namespace);
      if (!s.k8s_pod.empty()) {
        w_.key_literal("resource");
        w_.begin_object();
        w_.literal_field("type", "pod");
        w_.field("name", s.k8s_pod);
        w_.end_object();
      }
      w_.end_object();
    }
    if (!s.k8s_container.empty()) {
      w_.key_literal("container");
      w_.begin_object();
      w_.field("name", s.k8s_container);
      w_.end_object();
    }
  }

  // http.*: the request an audit event, a workspace-app connection or a boundary decision was
  // about; url.*: the URL a boundary decided on.
  void write_http_and_url() {
    bool http_status = e_.has_status && (e_.kind == Kind::Audit ||
                                         (e_.kind == Kind::Connection &&
                                          !connection_has_exit_code(e_.connection.type)));
    if (http_status || !e_.http.method.empty() || !e_.request_id.empty()) {
      w_.key_literal("http");
      w_.begin_object();
      if (!e_.http.method.empty() || !e_.request_id.empty()) {
        w_.key_literal("request");
        w_.begin_object();
        w_.field_if_set("method", e_.http.method);
        w_.field_if_set("id", e_.request_id);
        w_.end_object();
      }
      if (http_status) {
        w_.key_literal("response");
        w_.begin_object();
        w_.key_literal("status_code");
        w_.integer(e_.status_code);
        w_.end_object();
      }
      w_.end_object();
    }
    if (!e_.http.url.empty()) {
      w_.key_literal("url");
      w_.begin_object();
      w_.field("original", e_.http.url);
      w_.field_if_set("domain", e_.http.host);
      w_.end_object();
    }
  }

  // rule.*: the boundary's matched allow rule, or the alert rule that tagged the event.
  void write_rule() {
    std::string_view name = !e_.alert_rule.empty() ? e_.alert_rule : e_.boundary.matched_rule;
    if (name.empty()) return;
    w_.key_literal("rule");
    w_.begin_object();
    w_.field("name", name);
    if (!e_.alert_rule.empty()) w_.field_if_set("description", e_.alert_summary);
    w_.literal_field("ruleset", e_.alert_rule.empty() ? "agent-boundaries" : "auditrelay-alerts");
    w_.end_object();
  }

  // coder.*: every audit/v1 field ECS has no place for, under its audit/v1 name.
  void write_coder() {
    w_.key_literal("coder");
    w_.begin_object();
    w_.literal_field("kind", kind_name(e_.kind));
    w_.field_if_set("organization_id", e_.organization_id);
    w_.field_if_set("build_reason", e_.build_reason);
    if (e_.has_status && e_.kind == Kind::Connection &&
        connection_has_exit_code(e_.connection.type)) {
      w_.key_literal("exit_code");
      w_.integer(e_.status_code);
    }
    if (has_resource(e_)) {
      w_.key_literal("resource");
      write_resource_object(w_, e_);
    }
    if (has_workspace(e_)) {
      w_.key_literal("workspace");
      write_workspace_object(w_, e_);
    }
    const auto& c = e_.connection;
    if (!c.id.empty() || !c.type.empty() || !c.status.empty() || !c.slug_or_port.empty()) {
      w_.key_literal("connection");
      w_.begin_object();
      w_.field_if_set("id", c.id);
      w_.field_if_set("type", c.type);
      w_.field_if_set("status", c.status);
      w_.field_if_set("slug_or_port", c.slug_or_port);
      w_.end_object();
    }
    if (has_template(e_)) {
      w_.key_literal("template");
      write_template_object(w_, e_);
    }
    if (!e_.boundary.decision.empty()) {
      w_.key_literal("boundary");
      w_.begin_object();
      w_.field("decision", e_.boundary.decision);
      w_.end_object();
    }
    write_source_members(w_, e_, ctx_.redaction, *ctx_.stats);
    w_.end_object();
  }

  const Event& e_;
  EncodeContext ctx_;
  JsonWriter w_;
  EncodeStats unused_stats_;
};

}  // namespace

void write_event_ecs(const Event& e, const EncodeContext& ctx, std::string& out) {
  EcsEventWriter(e, ctx, out).write();
}

}  // namespace auditrelay::coder
