// The attributes of each OCSF 1.2.0 class a Coder event maps to (ocsf_class_attributes.h):
// who acted, from where, on what. The choices and their reasons are the table in
// docs/audit-schema.md ("OCSF").
#include "coder/schemas/ocsf_class_attributes.h"

#include "core/common/json_writer.h"
#include "core/common/strings.h"

namespace auditrelay::coder {
namespace {

// Build reasons that mean coderd acted on its own (the autobuild executor), not a user.
bool automatic_build(std::string_view reason) {
  for (std::string_view r :
       {"autostart", "autostop", "dormancy", "failedstop", "autodelete", "task_auto_pause"})
    if (reason == r) return true;
  return false;
}

class OcsfClassAttributes {
 public:
  OcsfClassAttributes(JsonWriter& w, const Event& e, const OcsfActivity& act)
      : e_(e), w_(w), act_(act) {}

  void write() {
    switch (act_.cls) {
      case OcsfClass::Authentication:
        write_authentication();
        break;
      case OcsfClass::AccountChange:
        write_account_change();
        break;
      case OcsfClass::EntityManagement:
        write_entity_management();
        break;
      case OcsfClass::ApiActivity:
        write_api_activity();
        break;
      case OcsfClass::SshActivity:
      case OcsfClass::NetworkActivity:
        write_network_activity();
        break;
      case OcsfClass::WebResourceAccessActivity:
        write_web_resource_access();
        break;
      case OcsfClass::HttpActivity:
        write_http_activity();
        break;
      case OcsfClass::DetectionFinding:
        write_detection_finding();
        break;
      case OcsfClass::BaseEvent:
        break;
    }
  }

 private:
  void integer(std::string_view key, int64_t v) {
    w_.key_literal(key);
    w_.integer(v);
  }

  // user: at least one of uid or name (an e-mail alone also becomes the name).
  void write_user(std::string_view uid, std::string_view name, std::string_view email) {
    w_.begin_object();
    w_.field_if_set("uid", uid);
    if (!name.empty())
      w_.field("name", name);
    else if (uid.empty())
      w_.field("name", email.empty() ? std::string_view("unknown") : email);
    w_.field_if_set("email_addr", email);
    w_.end_object();
  }

  bool actor_known() const {
    return !e_.actor.id.empty() || !e_.actor.username.empty() || !e_.actor.email.empty();
  }

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
    w_.field_if_set("uid", e_.resource.id);
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
      w_.field_if_set("type", e_.resource.type);
      w_.field_if_set("uid", e_.resource.id);
      w_.field_if_set("name", e_.resource.target);
      w_.end_object();
      w_.end_array();
    }
  }

  // The workspace (its agent) a session or request went to.
  void write_workspace_endpoint(std::string_view key, bool with_port) {
    w_.key_literal(key);
    w_.begin_object();
    std::string_view name = !e_.resource.target.empty() ? e_.resource.target : e_.workspace.name;
    w_.field_if_set("uid", e_.workspace.id);
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
    w_.field_if_set("app_name", e_.connection.type);
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
    w_.field_if_set("user_agent", e_.actor.user_agent);
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
    w_.field_if_set("uid", e_.connection.id);
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
    if (act_.activity_id != 99) w_.field_if_set("http_method", e_.http.method);
    if (!e_.http.url.empty()) {
      w_.key_literal("url");
      w_.begin_object();
      bool full = !e_.http.host.empty();
      w_.field(full ? "url_string" : "path", e_.http.url);
      w_.field_if_set("hostname", e_.http.host);
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
    w_.field_if_set("desc", e_.message);
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
      w_.field_if_set("uid", e_.workspace.id);
      w_.field_if_set("name", e_.workspace.name);
      w_.end_object();
      w_.end_array();
    }
  }

  const Event& e_;
  JsonWriter& w_;
  const OcsfActivity& act_;
};

}  // namespace

void write_ocsf_class_attributes(JsonWriter& w, const Event& e, const OcsfActivity& act) {
  OcsfClassAttributes(w, e, act).write();
}

}  // namespace auditrelay::coder
