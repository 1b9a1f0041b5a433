#include "agent/plugin_names.h"

namespace auditrelay {

std::string plugin_name_list(PluginKind kind) {
  std::string list;
  for (const auto& n : Registry::instance().names(kind)) list += (list.empty() ? "" : ", ") + n;
  return list;
}

}  // namespace auditrelay
