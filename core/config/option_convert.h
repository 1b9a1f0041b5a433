#pragma once
// One YAML value turned into the typed value its OptionSpec declares, every problem in it
// reported to diags: what validate_options does for each key it is given, and for each declared
// default once.
#include <yaml-cpp/yaml.h>

#include <string>

#include "core/config/diagnostics.h"
#include "core/config/options.h"

namespace auditrelay {

// The 1-based line `node` was written on; 0 when it has no position (built, not parsed).
int node_line(const YAML::Node& node);

// "base.key", or "key" at the top.
std::string join_path(const std::string& base, const std::string& key);

// The value of `node` as `spec` types it; monostate when it is not valid (the reason in diags,
// at `path`).
OptionValue convert_option(const YAML::Node& node, const OptionSpec& spec, const std::string& path,
                           Diagnostics& diags, const QueryValidator& qv);

}  // namespace auditrelay
