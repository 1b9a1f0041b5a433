#include "core/config/diagnostics.h"

namespace auditrelay {

std::string Diagnostic::to_string() const {
  std::string s = file.empty() ? std::string("<config>") : file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!path.empty()) s += path + ": ";
  s += message;
  return s;
}

std::string Diagnostics::to_string() const {
  std::string s;
  for (const auto& d : items_) s += d.to_string() + "\n";
  return s;
}

}  // namespace auditrelay
