#include "coder/schemas/ocsf_class.h"

#include "core/common/strings.h"

namespace auditrelay::coder {
namespace {

constexpr OcsfActivity activity(OcsfClass c, int id, std::string_view name) {
  return OcsfActivity{c, id, name};
}

// Resources whose changes manage credentials, roles or secrets: Entity Management (3004).
bool is_managed_entity(std::string_view t) {
  for (std::string_view k : {"api_key", "git_ssh_key", "custom_role", "organization_member",
                             "oauth2_provider_app_secret", "ai_provider_key", "ai_gateway_key"})
    if (t == k) return true;
  return false;
}

// Create / Read / Update / Delete, as API Activity and Entity Management number them.
OcsfActivity crud(OcsfClass c, std::string_view action) {
  if (action == "create") return activity(c, 1, "Create");
  if (action == "write" || action == "start" || action == "stop") return activity(c, 3, "Update");
  if (action == "delete") return activity(c, 4, "Delete");
  return activity(c, 99, "Other");
}

// A user's `status` moving to suspended or active in the diff is a Disable or Enable; a new
// password is a Password Change; any other change has no Account Change activity of its own.
OcsfActivity user_write(const Event& e) {
  constexpr OcsfClass c = OcsfClass::AccountChange;
  if (e.diff.type != Value::Type::Json) return activity(c, 99, "Other");
  simdjson::dom::element el;
  if (!e.diff.el.at_key("hashed_password").get(el)) return activity(c, 3, "Password Change");
  std::string_view status;
  if (!e.diff.el.at_key("status").get(el)) {
    simdjson::dom::element side;
    if (!el.at_key("new").get(side) || !el.at_key("New").get(side)) {
      if (!side.get_string().get(status)) {
        if (status == "suspended") return activity(c, 5, "Disable");
        if (status == "active") return activity(c, 2, "Enable");
      }
    }
  }
  return activity(c, 99, "Other");
}

OcsfActivity audit_activity(const Event& e) {
  std::string_view action = e.action, type = e.resource.type;
  if (action == "login") return activity(OcsfClass::Authentication, 1, "Logon");
  if (action == "logout") return activity(OcsfClass::Authentication, 2, "Logoff");
  constexpr OcsfClass account = OcsfClass::AccountChange;
  if (action == "register") return activity(account, 1, "Create");
  if (action == "request_password_reset") return activity(account, 4, "Password Reset");
  if (type == "user") {
    if (action == "create") return activity(account, 1, "Create");
    if (action == "delete") return activity(account, 6, "Delete");
    if (action == "write") return user_write(e);
    return activity(account, 99, "Other");
  }
  if (is_managed_entity(type)) return crud(OcsfClass::EntityManagement, action);
  return crud(OcsfClass::ApiActivity, action);
}

OcsfActivity connection_activity(const Event& e) {
  std::string_view type = e.connection.type;
  bool refused = e.has_status && e.status_code >= 400;
  if (type == "workspace_app") {
    // Every workspace-app request is one access, granted or denied.
    constexpr OcsfClass c = OcsfClass::WebResourceAccessActivity;
    return refused ? activity(c, 2, "Access Deny") : activity(c, 1, "Access Grant");
  }
  OcsfClass c = type == "ssh" ? OcsfClass::SshActivity : OcsfClass::NetworkActivity;
  if (refused && !connection_has_exit_code(type)) return activity(c, 5, "Refuse");
  if (e.action == "disconnect") return activity(c, 2, "Close");
  if (e.action == "connect" || e.action == "open") return activity(c, 1, "Open");
  return activity(c, 99, "Other");
}

OcsfActivity boundary_activity(const Event& e) {
  constexpr OcsfClass c = OcsfClass::HttpActivity;
  std::string_view m = e.http.method;
  if (iequals(m, "CONNECT")) return activity(c, 1, "Connect");
  if (iequals(m, "DELETE")) return activity(c, 2, "Delete");
  if (iequals(m, "GET")) return activity(c, 3, "Get");
  if (iequals(m, "HEAD")) return activity(c, 4, "Head");
  if (iequals(m, "OPTIONS")) return activity(c, 5, "Options");
  if (iequals(m, "POST")) return activity(c, 6, "Post");
  if (iequals(m, "PUT")) return activity(c, 7, "Put");
  if (iequals(m, "TRACE")) return activity(c, 8, "Trace");
  return activity(c, 99, "Other");  // PATCH and anything else
}

}  // namespace

bool connection_has_exit_code(std::string_view type) {
  return type != "workspace_app" && type != "port_forwarding" && type != "tunnel";
}

OcsfActivity ocsf_activity_of(const Event& e) {
  switch (e.kind) {
    case Kind::Audit: return audit_activity(e);
    case Kind::Connection: return connection_activity(e);
    case Kind::Boundary: return boundary_activity(e);
    case Kind::Log: break;
  }
  if (!e.alert_rule.empty()) return activity(OcsfClass::DetectionFinding, 1, "Create");
  return activity(OcsfClass::BaseEvent, 99, "Other");
}

OcsfClass ocsf_class_of(const Event& e) {
  return ocsf_activity_of(e).cls;
}

const OcsfClassInfo& ocsf_class_info(uint16_t uid) {
  static constexpr std::string_view kIam = "Identity & Access Management";
  static constexpr std::string_view kNetwork = "Network Activity";
  static constexpr std::string_view kApplication = "Application Activity";
  static const OcsfClassInfo kBase{"Base Event", "base_event", "0", 0, "Uncategorized"};
  static const OcsfClassInfo kDetection{"Detection Finding", "detection_finding", "2004", 2, "Findings"};
  static const OcsfClassInfo kAccount{"Account Change", "account_change", "3001", 3, kIam};
  static const OcsfClassInfo kAuthentication{"Authentication", "authentication", "3002", 3, kIam};
  static const OcsfClassInfo kEntity{"Entity Management", "entity_management", "3004", 3, kIam};
  static const OcsfClassInfo kNetworkActivity{"Network Activity", "network_activity", "4001", 4, kNetwork};
  static const OcsfClassInfo kHttp{"HTTP Activity", "http_activity", "4002", 4, kNetwork};
  static const OcsfClassInfo kSsh{"SSH Activity", "ssh_activity", "4007", 4, kNetwork};
  static const OcsfClassInfo kApi{"API Activity", "api_activity", "6003", 6, kApplication};
  static const OcsfClassInfo kWeb{"Web Resource Access Activity", "web_resource_access_activity",
                                  "6004", 6, kApplication};
  switch (static_cast<OcsfClass>(uid)) {
    case OcsfClass::BaseEvent: return kBase;
    case OcsfClass::DetectionFinding: return kDetection;
    case OcsfClass::AccountChange: return kAccount;
    case OcsfClass::Authentication: return kAuthentication;
    case OcsfClass::EntityManagement: return kEntity;
    case OcsfClass::NetworkActivity: return kNetworkActivity;
    case OcsfClass::HttpActivity: return kHttp;
    case OcsfClass::SshActivity: return kSsh;
    case OcsfClass::ApiActivity: return kApi;
    case OcsfClass::WebResourceAccessActivity: return kWeb;
  }
  return kBase;
}

}  // namespace auditrelay::coder
