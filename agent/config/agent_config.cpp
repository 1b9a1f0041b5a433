// Loading a config: YAML parsed, the core sections validated against top_level_specs(), each
// input and output against its plugin's table and the options every input/output takes, and the
// checks no single option table can make (ranges, duplicate names, alert ids).
#include "agent/config/agent_config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "agent/plugin_names.h"
#include "coder/alerts.h"
#include "coder/query.h"
#include "core/config/option_convert.h"
#include "core/registry/registry.h"
#include "core/server/listen_address.h"

namespace auditrelay {

Schema output_schema(const PluginConfig& output) {
  Schema s = Schema::AuditV1;
  parse_schema(output.common.str("schema"), s);  // validated with the config
  return s;
}

std::string validate_query(const std::string& text) {
  std::string err;
  if (!coder::Query::compile(text, err)) return "invalid filter query: " + err;
  return {};
}

std::string machine_host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

namespace {

// " (did you mean 'x'?)" when a candidate is close to name, else nothing.
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  std::string near = closest_name(name, candidates);
  return near.empty() ? std::string() : " (did you mean '" + near + "'?)";
}

std::vector<std::string> names_of(const std::vector<OptionSpec>& specs) {
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  return names;
}

bool declares(const std::vector<OptionSpec>& specs, const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) return true;
  return false;
}

std::string kind_name(PluginKind kind) {
  return std::string(plugin_kind_name(kind));
}

// ---- inputs and outputs ----

// The plugin an entry's `type` names; null after reporting a missing or unknown type.
const PluginDescriptor* plugin_of(const YAML::Node& node, PluginKind kind, const std::string& path,
                                  PluginConfig& pc, Diagnostics& diags) {
  YAML::Node type = node["type"];
  if (!type || !type.IsScalar()) {
    diags.error(pc.line, path + ".type", "required option is missing");
    return nullptr;
  }
  pc.type = type.Scalar();
  const PluginDescriptor* d = Registry::instance().find(kind, pc.type);
  if (!d)
    diags.error(node_line(type), path + ".type",
                "unknown " + kind_name(kind) + " type '" + pc.type + "'" +
                    did_you_mean(pc.type, Registry::instance().names(kind)) +
                    "; available: " + plugin_name_list(kind));
  return d;
}

// The options every input/output takes. The split mappings carry no position; problems without a
// line get the entry's line.
void validate_common(const YAML::Node& shared, const std::vector<OptionSpec>& common,
                     const std::string& path, PluginConfig& pc, Diagnostics& diags) {
  Diagnostics common_diags(diags.file());
  pc.common = validate_options(shared, common, path, common_diags, validate_query);
  for (const auto& e : common_diags.items())
    diags.error(e.line ? e.line : pc.line, e.path, e.message);
}

// The plugin's own options. Unknown keys are reported against both tables' names.
void validate_own(const YAML::Node& own, const PluginDescriptor& d, PluginKind kind,
                  const std::vector<OptionSpec>& common, const std::string& path, PluginConfig& pc,
                  Diagnostics& diags) {
  std::vector<OptionSpec> all = d.options;
  all.insert(all.end(), common.begin(), common.end());
  Diagnostics own_diags(diags.file());
  pc.options = validate_options(own, d.options, path, own_diags, validate_query);
  for (const auto& e : own_diags.items()) {
    std::string msg = e.message;
    if (msg.starts_with("unknown key")) {
      std::string key = e.path.substr(e.path.rfind('.') + 1);
      msg = "unknown key '" + key + "' for " + kind_name(kind) + " type '" + pc.type + "'" +
            did_you_mean(key, names_of(all));
    }
    diags.error(e.line ? e.line : pc.line, e.path, msg);
  }
}

// One entry of inputs or outputs; nothing when its type is missing or unknown.
std::optional<PluginConfig> load_plugin(const YAML::Node& node, PluginKind kind,
                                        const std::string& path,
                                        const std::vector<OptionSpec>& common, Diagnostics& diags) {
  PluginConfig pc;
  pc.line = node_line(node);
  const PluginDescriptor* d = plugin_of(node, kind, path, pc, diags);
  if (!d) return std::nullopt;
  // Common keys and the plugin's keys share one mapping; split them.
  YAML::Node own(YAML::NodeType::Map), shared(YAML::NodeType::Map);
  for (const auto& kv : node)
    (declares(common, kv.first.Scalar()) ? shared : own)[kv.first] = kv.second;
  validate_common(shared, common, path, pc, diags);
  validate_own(own, *d, kind, common, path, pc, diags);
  if (d->validate) d->validate(pc.options, path, diags, output_schema(pc));
  pc.name = pc.common.str("name", pc.type);  // the name defaults to the type
  return pc;
}

void load_plugins(const YAML::Node& list, PluginKind kind, const std::string& section,
                  const std::vector<OptionSpec>& common, std::vector<PluginConfig>& out,
                  Diagnostics& diags) {
  if (!list || list.IsNull()) {
    diags.error(0, section, "at least one " + kind_name(kind) + " is required");
    return;
  }
  if (!list.IsSequence()) {
    diags.error(node_line(list), section, "expected a list");
    return;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& node = list[i];
    std::string path = section + "[" + std::to_string(i) + "]";
    if (!node.IsMap()) {
      diags.error(node_line(node), path, "expected a mapping with a type");
      continue;
    }
    std::optional<PluginConfig> pc = load_plugin(node, kind, path, common, diags);
    if (!pc) continue;
    if (!names.insert(pc->name).second)
      diags.error(
          pc->line, path + ".name",
          "duplicate " + kind_name(kind) + " name '" + pc->name + "'; give each a unique name");
    out.push_back(std::move(*pc));
  }
}

void check_outputs(const std::vector<PluginConfig>& outputs, Diagnostics& diags) {
  if (outputs.size() > static_cast<size_t>(kMaxOutputs))
    diags.error(0, "outputs", "at most " + std::to_string(kMaxOutputs) + " outputs are supported");
  for (size_t i = 0; i < outputs.size(); ++i) {
    int64_t c = outputs[i].common.integer("concurrency");
    std::string path = "outputs[" + std::to_string(i) + "]";
    if (c < 1 || c > 64)
      diags.error(outputs[i].common.line("concurrency"), path + ".concurrency",
                  "must be between 1 and 64");
    const Options& batch = outputs[i].common.object("batch");
    if (batch.integer("max_events") < 1)
      diags.error(batch.line("max_events"), path + ".batch.max_events", "must be at least 1");
    if (batch.size("max_bytes") < 1)
      diags.error(batch.line("max_bytes"), path + ".batch.max_bytes", "must be at least 1");
  }
}

// ---- the core sections ----

// The document's root mapping; false after reporting a syntax error or another shape.
bool parse_root(const std::string& text, YAML::Node& root, Diagnostics& diags) {
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diags.error(e.mark.line + 1, "", "YAML syntax error: " + e.msg);
    return false;
  } catch (const YAML::Exception& e) {
    diags.error(0, "", std::string("YAML error: ") + e.what());
    return false;
  }
  if (!root.IsMap()) {
    diags.error(node_line(root), "",
                root.IsNull() ? "the config is empty" : "the config must be a mapping");
    return false;
  }
  return true;
}

bool is_plugin_list(const std::string& key) {
  return key == "inputs" || key == "outputs";
}

// The top-level keys but inputs and outputs (loaded by their plugins' tables), the unknown ones
// reported: their suggestions include inputs and outputs too.
YAML::Node known_core_keys(const YAML::Node& root, const std::vector<OptionSpec>& core_specs,
                           Diagnostics& diags) {
  YAML::Node core(YAML::NodeType::Map);
  for (const auto& kv : root)
    if (!is_plugin_list(kv.first.Scalar())) core[kv.first] = kv.second;
  for (const auto& kv : core) {
    std::string key = kv.first.Scalar();
    if (!declares(top_level_specs(), key))
      diags.error(node_line(kv.first), key,
                  "unknown key '" + key + "'" + did_you_mean(key, names_of(top_level_specs())));
  }
  YAML::Node known(YAML::NodeType::Map);
  for (const auto& kv : core)
    if (declares(core_specs, kv.first.Scalar())) known[kv.first] = kv.second;
  return known;
}

// Everything but inputs and outputs goes through the top-level table.
void load_core_sections(const YAML::Node& root, AgentConfig& out, Diagnostics& diags) {
  std::vector<OptionSpec> core_specs;
  for (const auto& s : top_level_specs())
    if (!is_plugin_list(s.name)) core_specs.push_back(s);
  YAML::Node known = known_core_keys(root, core_specs, diags);
  Options top = validate_options(known, core_specs, "", diags, validate_query);
  out.data_dir = top.str("data_dir");
  out.host = top.str("host");
  if (out.host.empty()) out.host = machine_host_name();
  out.server = top.object("server");
  out.pipeline = top.object("pipeline");
  out.transforms = top.object("transforms");
}

// Alert rules: built-in ids to disable must exist.
void check_disabled_alerts(const Options& transforms, Diagnostics& diags) {
  const Options& alerts = transforms.object("alerts");
  std::vector<std::string> ids;
  for (const auto& b : coder::builtin_alerts()) ids.push_back(b.id);
  for (const auto& id : alerts.list("disable"))
    if (std::find(ids.begin(), ids.end(), id) == ids.end())
      diags.error(alerts.line("disable"), "transforms.alerts.disable",
                  "unknown built-in alert rule '" + id + "'" + did_you_mean(id, ids));
}

void check_core_sections(const AgentConfig& cfg, Diagnostics& diags) {
  if (std::string listen = cfg.server.str("listen"), why;
      !listen.empty() && !parse_listen_address(listen, why))
    diags.error(cfg.server.line("listen"), "server.listen", why);
  if (int64_t workers = cfg.pipeline.integer("workers"); workers < 1 || workers > 64)
    diags.error(cfg.pipeline.line("workers"), "pipeline.workers", "must be between 1 and 64");
  if (cfg.pipeline.size("max_in_flight") < 1024 * 1024)
    diags.error(cfg.pipeline.line("max_in_flight"), "pipeline.max_in_flight",
                "must be at least 1MiB");
  check_disabled_alerts(cfg.transforms, diags);
}

}  // namespace

bool load_config_text(const std::string& raw, const std::string& file, const EnvLookup& env,
                      AgentConfig& out, Diagnostics& diags) {
  out = AgentConfig{};
  out.file = file;
  YAML::Node root;
  if (!parse_root(substitute_env(raw, env, diags), root, diags)) return false;
  load_core_sections(root, out, diags);
  check_core_sections(out, diags);
  load_plugins(root["inputs"], PluginKind::Input, "inputs", input_common_specs(), out.inputs,
               diags);
  load_plugins(root["outputs"], PluginKind::Output, "outputs", output_common_specs(), out.outputs,
               diags);
  check_outputs(out.outputs, diags);
  return diags.ok();
}

bool load_config_file(const std::string& path, const EnvLookup& env, AgentConfig& out,
                      Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(0, "", "cannot read config file: " + std::string(std::strerror(errno)));
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path, env, out, diags);
}

}  // namespace auditrelay
