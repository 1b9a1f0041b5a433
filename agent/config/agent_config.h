#pragma once
// The whole config file: core sections validated against the core's option tables, inputs and
// outputs against their plugins' tables.
#include <string>
#include <vector>

#include "core/config/diagnostics.h"
#include "core/config/env_subst.h"
#include "core/config/options.h"

namespace auditrelay {

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

// Validates a filter query (used for match, drop and alert rules); empty string = valid.
std::string validate_query(const std::string& text);

// Loads and validates; returns false with every problem in diags.
bool load_config_text(const std::string& text, const std::string& file, const EnvLookup& env,
                      AgentConfig& out, Diagnostics& diags);
bool load_config_file(const std::string& path, const EnvLookup& env, AgentConfig& out,
                      Diagnostics& diags);

}  // namespace auditrelay
