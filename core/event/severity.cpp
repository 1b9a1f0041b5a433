#include "core/event/severity.h"

#include "core/common/strings.h"

namespace auditrelay {

bool parse_severity(std::string_view t, Severity& out) {
  if (iequals(t, "debug") || iequals(t, "debu")) out = Severity::Debug;
  else if (iequals(t, "info")) out = Severity::Info;
  else if (iequals(t, "warn") || iequals(t, "warning")) out = Severity::Warn;
  else if (iequals(t, "error") || iequals(t, "erro")) out = Severity::Error;
  else if (iequals(t, "critical") || iequals(t, "crit")) out = Severity::Critical;
  else if (iequals(t, "fatal") || iequals(t, "fata")) out = Severity::Fatal;
  else return false;
  return true;
}

}  // namespace auditrelay
