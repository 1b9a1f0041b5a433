// OCSF 1.2.0 encoding of a Coder event. The class and activity come from ocsf_class.cpp; this
// file writes the attributes each class requires or recommends, and everything of the audit/v1
// event that has no OCSF home under `unmapped`, so nothing is lost. The choices and their
// reasons are the table in docs/audit-schema.md ("OCSF").
#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/common/json_writer.h"
#include "core/common/strings.h"
#include "coder/schemas/ocsf_class.h"
#include "coder/schemas/schema_writer.h"

namespace auditrelay::coder {
namespace {

int64_t epoch_millis(const Timestamp& t) {
  return t.seconds * 1000 + static_cast<int64_t>(t.nanos / 1'000'000);
}

struct SeverityId {
  int id;
  std::string_view name;
};

SeverityId severity_id(Severity s) {
  switch (s) {
    case Severity::Debug:
    case Severity::Info: return {1, "Informational"};
    case Severity::Warn: return {3, "Medium"};
    case Severity::Error: return {4, "High"};
    case Severity::Critical: return {5, "Critical"};
    case Severity::Fatal: return {6, "Fatal"};
  }
  return {0, "Unknown"};
}

// Why a request failed, for status_detail (the event's message is Coder's log message).
std::string_view http_reason(int64_t code) {
  switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
  }
  return code < 500 ? "Client Error" : "Server Error";
}

// Build reasons that mean coderd acted on its own (the autobuild executor), not a user.
bool automatic_build(std::string_view reason) {
  for (std::string_view r : {"autostart", "autostop", "dormancy", "failedstop", "autodelete",
                             "task_auto_pause"})
    if (reason == r) return true;
  return false;
}

class OcsfEventWriter {
 public:
  OcsfEventWriter(const Event& e, const EncodeContext& ctx, std::string& out)
      : e_(e), ctx_(ctx), w_(out), act_(ocsf_activity_of(e)) {
    if (!ctx.stats) ctx_.stats = &unused_stats_;
  }

  void write() {
    w_.begin_object();
    write_classification();
    write_time_and_severity();
    write_status();
    opt("message", e_.message);
    write_metadata();
    switch (act_.cls) {
      case OcsfClass::Authentication: write_authentication(); break;
      case OcsfClass::AccountChange: write_account_change(); break;
      case OcsfClass::EntityManagement: write_entity_management(); break;
      case OcsfClass::ApiActivity: write_api_activity(); break;
      case OcsfClass::SshActivity:
      case OcsfClass::NetworkActivity: write_network_activity(); break;
      case OcsfClass::WebResourceAccessActivity: write_web_resource_access(); break;
      case OcsfClass::HttpActivity: write_http_activity(); break;
      case OcsfClass::DetectionFinding: write_detection_finding(); break;
      case OcsfClass::BaseEvent: break;
    }
    write_unmapped();
    w_.end_object();
  }

 private:
  void opt(std::string_view key, std::string_view v) {
    if (!v.empty()) w_.field(key, v);
  }
  void integer(std::string_view key, int64_t v) {
    w_.key_literal(key);
    w_.integer(v);
  }

  void write_classification() {
    const OcsfClassInfo& info = ocsf_class_info(static_cast<uint16_t>(act_.cls));
    const int class_uid = static_cast<int>(act_.cls);
    integer("class_uid", class_uid);
    w_.literal_field("class_name", info.caption);
    integer("category_uid", info.category_uid);
    w_.literal_field("category_name", info.category);
    integer("activity_id", act_.activity_id);
    w_.literal_field("activity_name", act_.activity_name);
    integer("type_uid", int64_t{class_uid} * 100 + act_.activity_id);
    // "API Activity: Create", without building a std::string.
    char name[96];
    size_t n = 0;
    auto put = [&](std::string_view s) {
      size_t k = std::min(s.size(), sizeof(name) - n);
      std::memcpy(name + n, s.data(), k);
      n += k;
    };
    put(info.caption);
    put(": ");
    put(act_.activity_name);
    w_.literal_field("type_name", std::string_view(name, n));
  }

  void write_time_and_severity() {
    const Timestamp& t = e_.time.valid() ? e_.time : e_.observed;
    integer("time", epoch_millis(t));
    SeverityId sev = severity_id(e_.severity);
    integer("severity_id", sev.id);
    w_.literal_field("severity", sev.name);
  }

  // Audit events: the HTTP status of Coder's request. Connections: the HTTP status of a
  // workspace-app, port-forwarding or tunnel request, or the exit code of an SSH session.
  void write_status() {
    if (e_.kind == Kind::Boundary || e_.kind == Kind::Log) return;
    bool exit_code = e_.kind == Kind::Connection && connection_has_exit_code(e_.connection.type);
    bool failed = e_.has_status && !exit_code && e_.status_code >= 400;
    integer("status_id", failed ? 2 : 1);
    w_.literal_field("status", failed ? "Failure" : "Success");
    if (e_.has_status) {
      char code[24];
      auto r = std::to_chars(code, code + sizeof(code), e_.status_code);
      w_.field("status_code", std::string_view(code, static_cast<size_t>(r.ptr - code)));
    }
    if (!e_.connection.disconnect_reason.empty())
      w_.field("status_detail", e_.connection.disconnect_reason);
    else if (failed)
      w_.literal_field("status_detail", http_reason(e_.status_code));
  }

  void write_metadata() {
    w_.key_literal("metadata");
    w_.begin_object();
    w_.literal_field("version", kOcsfVersion);
    w_.key_literal("product");
    w_.begin_object();
    w_.literal_field("name", "auditrelay");
    w_.literal_field("vendor_name", "auditrelay");
    w_.literal_field("version", AUDITRELAY_VERSION);
    w_.end_object();
    opt("uid", e_.event_id);
    if (e_.time.valid()) {
      char buf[48];
      w_.field("original_time", std::string_view(buf, format_rfc3339(e_.time, buf)));
    }
    if (e_.observed.valid()) integer("logged_time", epoch_millis(e_.observed));
    w_.literal_field("log_name", kind_name(e_.kind));
    opt("log_provider", e_.logger);
    opt("correlation_uid", e_.request_id);
    write_profiles();
    w_.end_object();
  }

  // Several classes have `actor` only through the Host profile; HTTP Activity's action,
  // disposition and firewall rule are the Security Control profile's.
  void write_profiles() {
    bool host = false, security_control = false;
    switch (act_.cls) {
      case OcsfClass::HttpActivity: security_control = host = true; break;
      case OcsfClass::EntityManagement:
      case OcsfClass::WebResourceAccessActivity:
      case OcsfClass::NetworkActivity:
      case OcsfClass::SshActivity: host = true; break;
      default: return;
    }
    w_.key_literal("profiles");
    w_.begin_array();
    if (host) w_.string("host");
    if (security_control) w_.string("security_control");
    w_.end_array();
  }

  // user: at least one of uid or name (an e-mail alone also becomes the name).
  void write_user(std::string_view uid, std::string_view name, std::string_view email) {
    w_.begin_object();
    opt("uid", uid);
    if (!name.empty())
      w_.field("name", name);
    else if (uid.empty())
      w_.field("name", email.empty() ? std::string_view("unknown") : email);
    opt("email_addr", email);
    w_.end_object();
  }

  bool actor_known() const { return !e_.actor.id.empty() || !e_.actor.username.empty() || !e_.actor.email.empty(); }

  // actor: the user, or coderd itself (an autobuild, a background job), with why it acted.
  void write_actor() {
    w_.key_literal("actor");
    w_.begin_object();
    if (actor_known()) {
      w_.key_literal("user");
      write_user(e_.actor.id, e_.actor.username, e_.actor.email);
    } else {
      w_.literal_field("app_name", "coderd");
    }
    if (automatic_build(e_.build_reason)) w_.field("invoked_by", e_.build_reason);
    w_.end_object();
  }

  void write_src_ip() {
    w_.key_literal("src_endpoint");
    w_.begin_object();
    if (!e_.actor.ip.empty())
      w_.field("ip", e_.actor.ip);
    else
      w_.literal_field("name", "unknown");
    w_.end_object();
  }

  void write_user_agent_request() {
    if (e_.actor.user_agent.empty()) return;
    w_.key_literal("http_request");
    w_.begin_object();
    w_.field("user_agent", e_.actor.user_agent);
    w_.end_object();
  }

  void write_authentication() {
    w_.key_literal("user");
    if (actor_known())
      write_user(e_.actor.id, e_.actor.username, e_.actor.email);
    else
      write_user({}, e_.resource.target, {});  // a failed login names the account tried
    write_src_ip();
    write_user_agent_request();
    w_.key_literal("service");
    w_.begin_object();
    w_.literal_field("name", "coderd");
    w_.end_object();
  }

  void write_account_change() {
    w_.key_literal("user");
    if (e_.resource.type == "user")
      write_user(e_.resource.id, e_.resource.target, {});
    else
      write_user(e_.actor.id, e_.actor.username, e_.actor.email);
    write_actor();
    write_src_ip();
    write_user_agent_request();
  }

  void write_entity_management() {
    w_.key_literal("entity");
    w_.begin_object();
    w_.field("type", e_.resource.type);
    opt("uid", e_.resource.id);
    if (!e_.resource.target.empty() || e_.resource.id.empty())
      w_.field("name", e_.resource.target.empty() ? e_.resource.type : e_.resource.target);
    w_.end_object();
    write_actor();
    write_src_ip();
    write_user_agent_request();
  }

  void write_api_activity() {
    write_actor();
    w_.key_literal("api");
    w_.begin_object();
    w_.field("operation", e_.action.empty() ? std::string_view("unknown") : e_.action);
    w_.key_literal("service");
    w_.begin_object();
    w_.literal_field("name", "coderd");
    w_.end_object();
    if (!e_.request_id.empty()) {
      w_.key_literal("request");
      w_.begin_object();
      w_.field("uid", e_.request_id);
      w_.end_object();
    }
    w_.end_object();
    write_src_ip();
    write_user_agent_request();
    if (!e_.resource.type.empty() || !e_.resource.id.empty()) {
      w_.key_literal("resources");
      w_.begin_array();
      w_.begin_object();
      opt("type", e_.resource.type);
      opt("uid", e_.resource.id);
      opt("name", e_.resource.target);
      w_.end_object();
      w_.end_array();
    }
  }

  // The workspace (its agent) a session or request went to.
  void write_workspace_endpoint(std::string_view key, bool with_port) {
    w_.key_literal(key);
    w_.begin_object();
    std::string_view name = !e_.resource.target.empty() ? e_.resource.target : e_.workspace.name;
    opt("uid", e_.workspace.id);
    if (!name.empty() || e_.workspace.id.empty())
      w_.field("name", name.empty() ? std::string_view("unknown") : name);
    int64_t port = 0;
    if (with_port && parse_int64(e_.connection.slug_or_port, port) && port > 0 && port < 65536)
      integer("port", port);
    w_.end_object();
  }

  void write_connection_user() {
    if (e_.actor.id.empty()) return;
    w_.key_literal("actor");
    w_.begin_object();
    w_.key_literal("user");
    write_user(e_.actor.id, {}, {});
    w_.end_object();
  }

  void write_network_activity() {
    // A refused tunnel is activity Refuse; action_id would need the Security Control profile,
    // which describes a security control's decision, not a session.
    opt("app_name", e_.connection.type);
    write_src_ip();
    write_workspace_endpoint("dst_endpoint", e_.connection.type == "port_forwarding");
    write_connection_user();
    if (!e_.connection.id.empty()) {
      w_.key_literal("connection_info");
      w_.begin_object();
      w_.field("uid", e_.connection.id);
      integer("direction_id", 1);  // into the workspace
      w_.literal_field("direction", "Inbound");
      w_.end_object();
    }
  }

  void write_web_resource_access() {
    w_.key_literal("http_request");
    w_.begin_object();
    opt("user_agent", e_.actor.user_agent);
    w_.end_object();
    if (e_.has_status) {
      w_.key_literal("http_response");
      w_.begin_object();
      integer("code", e_.status_code);
      w_.end_object();
    }
    w_.key_literal("web_resources");
    w_.begin_array();
    w_.begin_object();
    w_.literal_field("type", "workspace_app");
    w_.field("name", e_.connection.slug_or_port.empty() ? std::string_view("unknown")
                                                          : e_.connection.slug_or_port);
    opt("uid", e_.connection.id);
    w_.end_object();
    w_.end_array();
    write_src_ip();
    write_connection_user();
  }

  // Agent Boundaries: the workspace's process asked for a URL, and the boundary allowed or
  // denied it (the Security Control profile's action and disposition).
  void write_http_activity() {
    bool allowed = iequals(e_.boundary.decision, "allow");
    integer("action_id", allowed ? 1 : 2);
    w_.literal_field("action", allowed ? "Allowed" : "Denied");
    integer("disposition_id", allowed ? 1 : 2);
    w_.literal_field("disposition", allowed ? "Allowed" : "Blocked");
    if (!e_.boundary.matched_rule.empty()) {
      w_.key_literal("firewall_rule");
      w_.begin_object();
      w_.field("name", e_.boundary.matched_rule);
      w_.literal_field("type", "allow");
      w_.end_object();
    }
    w_.key_literal("http_request");
    w_.begin_object();
    // OCSF 1.2.0 defines eight methods (the activities); PATCH and others go under unmapped.
    if (act_.activity_id != 99) opt("http_method", e_.http.method);
    if (!e_.http.url.empty()) {
      w_.key_literal("url");
      w_.begin_object();
      bool full = !e_.http.host.empty();
      w_.field(full ? "url_string" : "path", e_.http.url);
      opt("hostname", e_.http.host);
      w_.end_object();
    }
    w_.end_object();
    // Coder records no upstream status: 403 is the boundary's own answer to a denied request,
    // 0 says "not recorded" for an allowed one (the class requires http_response.code).
    w_.key_literal("http_response");
    w_.begin_object();
    integer("code", allowed ? 0 : 403);
    w_.end_object();
    w_.key_literal("dst_endpoint");
    w_.begin_object();
    if (!e_.http.host.empty())
      w_.field("hostname", e_.http.host);
    else
      w_.literal_field("name", "unknown");
    w_.end_object();
    write_workspace_endpoint("src_endpoint", false);
    if (!e_.actor.username.empty()) {
      w_.key_literal("actor");
      w_.begin_object();
      w_.key_literal("user");
      write_user({}, e_.actor.username, {});
      w_.end_object();
    }
  }

  void write_detection_finding() {
    w_.key_literal("finding_info");
    w_.begin_object();
    w_.field("uid", e_.event_id.empty() ? std::string_view("unknown") : e_.event_id);
    w_.field("title", e_.alert_summary.empty() ? e_.alert_rule : e_.alert_summary);
    opt("desc", e_.message);
    w_.key_literal("analytic");
    w_.begin_object();
    w_.field("name", e_.alert_rule);
    w_.field("uid", e_.alert_rule);
    integer("type_id", 1);
    w_.literal_field("type", "Rule");
    w_.end_object();
    w_.end_object();
    if (!e_.workspace.id.empty() || !e_.workspace.name.empty()) {
      w_.key_literal("resources");
      w_.begin_array();
      w_.begin_object();
      w_.literal_field("type", "workspace");
      opt("uid", e_.workspace.id);
      opt("name", e_.workspace.name);
      w_.end_object();
      w_.end_array();
    }
  }

  // Every audit/v1 field with no OCSF attribute above, under its audit/v1 name.
  void write_unmapped() {
    w_.key_literal("unmapped");
    w_.begin_object();
    w_.literal_field("kind", kind_name(e_.kind));
    opt("action", e_.action);
    opt("organization_id", e_.organization_id);
    opt("build_reason", e_.build_reason);
    opt("error", e_.error);
    if (e_.kind == Kind::Audit || e_.kind == Kind::Log) opt("resource_icon", e_.resource.icon);
    if (act_.cls == OcsfClass::HttpActivity && act_.activity_id == 99)
      opt("http_method", e_.http.method);
    if (e_.kind == Kind::Connection) {
      w_.key_literal("connection");
      w_.begin_object();
      opt("type", e_.connection.type);
      opt("status", e_.connection.status);
      opt("slug_or_port", e_.connection.slug_or_port);
      w_.end_object();
    }
    if (!e_.alert_rule.empty() && act_.cls != OcsfClass::DetectionFinding) {
      w_.key_literal("alert");
      w_.begin_object();
      w_.field("rule", e_.alert_rule);
      opt("summary", e_.alert_summary);
      w_.end_object();
    }
    if (has_workspace(e_)) {
      w_.key_literal("workspace");
      write_workspace_object(w_, e_);
    }
    if (has_template(e_)) {
      w_.key_literal("template");
      write_template_object(w_, e_);
    }
    write_source_members(w_, e_, ctx_.redaction, *ctx_.stats);
    w_.end_object();
  }

  const Event& e_;
  EncodeContext ctx_;
  JsonWriter w_;
  OcsfActivity act_;
  EncodeStats unused_stats_;
};

}  // namespace

void write_event_ocsf(const Event& e, const EncodeContext& ctx, std::string& out) {
  OcsfEventWriter(e, ctx, out).write();
}

}  // namespace auditrelay::coder
