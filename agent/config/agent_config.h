#pragma once
// The whole config file: core sections validated against the core's option tables, inputs and
// outputs against their plugins' tables.
//
// A validated config holds every option's declared default (validate_options fills them in), so
// code that reads it passes no fallback: the option table is the one home of each default.
#include <string>
#include <string_view>
#include <vector>

#include "core/config/diagnostics.h"
#include "core/config/env_subst.h"
#include "core/config/options.h"
#include "core/event/schema.h"

namespace auditrelay {

// Each output has a routing bit in a 64-bit mask.
inline constexpr int kMaxOutputs = 64;

// server.listen as the docs suggest it: where the commands that ask a running agent (healthcheck,
// reload, tap, top) look by default.
inline constexpr std::string_view kSuggestedListen = "127.0.0.1:2020";

struct PluginConfig {
  std::string name;
  std::string type;
  Options options;  // the plugin's own options
  Options common;   // options every input/output has (match, batch, retry, ...)
  int line = 0;
};

struct AgentConfig {
  std::string file;
  std::string data_dir;
  std::string host;
  Options server, pipeline, transforms;
  std::vector<PluginConfig> inputs, outputs;
};

// Option tables of the core sections (also used for docs).
const std::vector<OptionSpec>& top_level_specs();
const std::vector<OptionSpec>& server_specs();
const std::vector<OptionSpec>& pipeline_specs();
const std::vector<OptionSpec>& transforms_specs();
const std::vector<OptionSpec>& input_common_specs();
const std::vector<OptionSpec>& output_common_specs();

// The names the `schema` option and the --schema flags take, in Schema's order.
const std::vector<std::string>& schema_names();

// The schema an output's config asks for (`schema`, audit_v1 by default; audit_v1 for inputs).
Schema output_schema(const PluginConfig& output);

// Validates a filter query (used for match, drop and alert rules); empty string = valid.
std::string validate_query(const std::string& text);

// This machine's host name (source.host when the config names none); empty when unknown.
std::string machine_host_name();

// Loads and validates; returns false with every problem in diags.
bool load_config_text(const std::string& text, const std::string& file, const EnvLookup& env,
                      AgentConfig& out, Diagnostics& diags);
bool load_config_file(const std::string& path, const EnvLookup& env, AgentConfig& out,
                      Diagnostics& diags);

}  // namespace auditrelay
