#pragma once
// The registered plugins of a kind as messages and --help list them.
#include <string>

#include "core/registry/registry.h"

namespace auditrelay {

// "a, b, c", in the registry's order.
std::string plugin_name_list(PluginKind kind);

}  // namespace auditrelay
