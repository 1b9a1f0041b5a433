#pragma once
// ${VAR}, ${VAR:-default} and ${VAR:?message} substitution over the config text, before YAML
// parsing. "$${" stands for a literal "${".
#include <functional>
#include <optional>
#include <string>

#include "core/config/diagnostics.h"

namespace auditrelay {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

EnvLookup process_env();

// Returns the substituted text; problems go to diags with their line.
std::string substitute_env(const std::string& text, const EnvLookup& env, Diagnostics& diags);

}  // namespace auditrelay
