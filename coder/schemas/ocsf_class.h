#pragma once
// Which OCSF 1.2.0 class and activity a Coder event is (docs/audit-schema.md, "OCSF"). Pure
// functions of the normalized event, so routing, topics and sourcetypes can use the class
// without encoding the event.
#include <cstdint>
#include <string_view>

#include "coder/event/event.h"

namespace auditrelay::coder {

// The OCSF classes Coder events map to (class_uid values).
enum class OcsfClass : uint16_t {
  BaseEvent = 0,
  DetectionFinding = 2004,
  AccountChange = 3001,
  Authentication = 3002,
  EntityManagement = 3004,
  NetworkActivity = 4001,
  HttpActivity = 4002,
  SshActivity = 4007,
  ApiActivity = 6003,
  WebResourceAccessActivity = 6004,
};

inline constexpr OcsfClass kOcsfClasses[] = {
    OcsfClass::BaseEvent,        OcsfClass::DetectionFinding, OcsfClass::AccountChange,
    OcsfClass::Authentication,   OcsfClass::EntityManagement, OcsfClass::NetworkActivity,
    OcsfClass::HttpActivity,     OcsfClass::SshActivity,      OcsfClass::ApiActivity,
    OcsfClass::WebResourceAccessActivity};

struct OcsfClassInfo {
  std::string_view caption;   // class_name: "API Activity"
  std::string_view key;       // snake case, for sourcetypes and topics: "api_activity"
  std::string_view uid_text;  // class_uid as text: "6003"
  int category_uid;
  std::string_view category;  // category_name
};

struct OcsfActivity {
  OcsfClass cls = OcsfClass::BaseEvent;
  int activity_id = 99;
  std::string_view activity_name = "Other";
};

OcsfClass ocsf_class_of(const Event& e);
OcsfActivity ocsf_activity_of(const Event& e);
// Unknown class_uid values give the base event's info.
const OcsfClassInfo& ocsf_class_info(uint16_t class_uid);

// Connection types whose session runs over the agent's SSH server with an exit code (the
// others are HTTP requests through coderd, with an HTTP status).
bool connection_has_exit_code(std::string_view type);

}  // namespace auditrelay::coder
