#include "agent/config/agent_config.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "coder/event/redaction.h"
#include "core/registry/registry.h"
#include "core/server/listen_address.h"
#include "coder/alerts.h"
#include "coder/query.h"

namespace auditrelay {

const std::vector<OptionSpec>& server_specs() {
  static const std::vector<OptionSpec> k = {
      {"listen", OptType::String, "", false,
       "host:port for /metrics, /healthz, /readyz, POST /reload and GET /tap; no server when unset "
       "(use 127.0.0.1:2020)"},
      {"ready_failure_window", OptType::Duration, "60s", false,
       "/readyz fails when an output has failed for longer than this"},
      {"tap", OptType::Bool, "", false,
       "serve GET /tap (`auditrelay tap`: live events, after redaction). Default: on when "
       "`listen` is a loopback address, off otherwise; on a non-loopback listener set it to true "
       "together with `token`"},
      {"token",
       OptType::String,
       "",
       false,
       "bearer token POST /reload and GET /tap require (or token_file); /metrics, /healthz and "
       "/readyz stay open for probes and scrapers",
       {},
       {},
       true},
  };
  return k;
}

const std::vector<OptionSpec>& pipeline_specs() {
  static const std::vector<OptionSpec> k = {
      {"workers", OptType::Int, "2", false, "normalize threads"},
      {"max_in_flight", OptType::Size, "4MiB", false,
       "memory bound for batches between reading and the last output's acknowledgement; inputs "
       "pause when reached"},
      {"checkpoint_interval", OptType::Duration, "1s", false,
       "how often acknowledged positions are saved"},
      {"shutdown_timeout", OptType::Duration, "10s", false,
       "on SIGTERM, how long to keep delivering in-flight batches before saving checkpoints and "
       "exiting"},
  };
  return k;
}

const std::vector<OptionSpec>& transforms_specs() {
  static const std::vector<OptionSpec> k = [] {
    std::string redact_default = "[";
    for (const auto& key : Redaction::default_keys())
      redact_default += (redact_default.size() > 1 ? ", " : "") + key;
    redact_default += "]";
    std::vector<std::string> builtins;
    for (const auto& b : coder::builtin_alerts()) builtins.push_back(b.id);
    return std::vector<OptionSpec>{
        {"drop", OptType::QueryList, "", false,
         "an event matching this query (or any query of the list) is dropped and counted"},
        {"redact", OptType::StringList, redact_default, false,
         "keys whose values become \"[REDACTED]\" in diff, additional_fields and fields"},
        {"alerts",
         OptType::Object,
         "",
         false,
         "alert tagging",
         {},
         {
             {"builtin", OptType::Bool, "true", false,
              "enable the built-in rules from Coder's guidance"},
             {"disable", OptType::StringList, "", false,
              "built-in rule ids to switch off one by one"},
             {"rules",
              OptType::ObjectList,
              "",
              false,
              "user rules, checked after the built-ins",
              {},
              {
                  {"id", OptType::String, "", true, "rule id, written to alert.rule"},
                  {"query", OptType::Query, "", true, "filter query the event must match"},
                  {"summary", OptType::String, "", false, "text written to alert.summary"},
              }},
         }},
    };
  }();
  return k;
}

const std::vector<OptionSpec>& input_common_specs() {
  static const std::vector<OptionSpec> k = {
      {"name", OptType::String, "", false, "instance name (source.input); defaults to the type"},
      {"type", OptType::String, "", true, "input plugin"},
  };
  return k;
}

const std::vector<OptionSpec>& output_common_specs() {
  static const std::vector<OptionSpec> k = {
      {"name", OptType::String, "", false,
       "instance name (dead-letter file, metrics); defaults to the type"},
      {"type", OptType::String, "", true, "output plugin"},
      {"match", OptType::QueryList, "", false,
       "the events this output gets: those matching the query, or any query of the list "
       "(match: [\"kind:audit\", \"alert:true\"]); default: all"},
      {"schema",
       OptType::Enum,
       "audit_v1",
       false,
       "the schema events arrive in: audit_v1 (auditrelay's own), ocsf (OCSF 1.2.0) or ecs "
       "(Elastic Common Schema 8.x); each event is encoded once per schema, however many "
       "outputs receive it (docs/audit-schema.md)",
       {"audit_v1", "ocsf", "ecs"}},
      {"batch",
       OptType::Object,
       "",
       false,
       "when a batch is sent",
       {},
       {
           {"max_events", OptType::Int, "500", false, "events per batch"},
           {"max_bytes", OptType::Size, "1MiB", false, "encoded bytes per batch"},
           {"max_delay", OptType::Duration, "1s", false,
            "age of the oldest event before the batch is sent"},
       }},
      {"concurrency", OptType::Int, "1", false,
       "batches in flight at once (each with its own connection, unless the output shares "
       "one; some outputs default higher: see their sections)"},
      {"buffer",
       OptType::Object,
       "",
       false,
       "where events wait for this output",
       {},
       {
           {"type",
            OptType::Enum,
            "memory",
            false,
            "memory: in the pipeline (bounded by pipeline.max_in_flight); disk: a write-ahead log "
            "under "
            "data_dir/buffer/<output> that survives restarts and long outages",
            {"memory", "disk"}},
           {"max_size", OptType::Size, "1GiB", false, "disk buffer size limit"},
           {"when_full",
            OptType::Enum,
            "block",
            false,
            "block: stop taking events (inputs pause); drop_oldest: delete the oldest data "
            "(counted)",
            {"block", "drop_oldest"}},
       }},
      {"retry",
       OptType::Object,
       "",
       false,
       "retries of failed batches (until delivered)",
       {},
       {
           {"initial", OptType::Duration, "500ms", false, "first backoff"},
           {"max", OptType::Duration, "30s", false,
            "backoff cap; exponential with jitter in between"},
       }},
  };
  return k;
}

const std::vector<OptionSpec>& top_level_specs() {
  static const std::vector<OptionSpec> k = {
      {"data_dir", OptType::String, "/var/lib/auditrelay", false,
       "checkpoints, dead letters and buffers"},
      {"host", OptType::String, "", false,
       "written to source.host; default: the machine's host name"},
      {"server", OptType::Object, "", false, "metrics and health server", {}, server_specs()},
      {"pipeline",
       OptType::Object,
       "",
       false,
       "threads, memory bound, checkpoints, shutdown",
       {},
       pipeline_specs()},
      {"inputs", OptType::ObjectList, "", true, "where events come from (see the input plugins)"},
      {"transforms", OptType::Object, "", false, "drop, redact and alert", {}, transforms_specs()},
      {"outputs", OptType::ObjectList, "", true, "where events go (see the output plugins)"},
  };
  return k;
}

std::string validate_query(const std::string& text) {
  std::string err;
  if (!coder::Query::compile(text, err)) return "invalid filter query: " + err;
  return {};
}

namespace {

int node_line(const YAML::Node& n) {
  return n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

void load_plugins(const YAML::Node& list, PluginKind kind, const std::string& section,
                  const std::vector<OptionSpec>& common, std::vector<PluginConfig>& out,
                  Diagnostics& diags) {
  if (!list || list.IsNull()) {
    diags.error(0, section, "at least one " + std::string(plugin_kind_name(kind)) + " is required");
    return;
  }
  if (!list.IsSequence()) {
    diags.error(node_line(list), section, "expected a list");
    return;
  }
  std::set<std::string> names;
  auto& reg = Registry::instance();
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& node = list[i];
    std::string path = section + "[" + std::to_string(i) + "]";
    if (!node.IsMap()) {
      diags.error(node_line(node), path, "expected a mapping with a type");
      continue;
    }
    PluginConfig pc;
    pc.line = node_line(node);
    YAML::Node type = node["type"];
    if (!type || !type.IsScalar()) {
      diags.error(pc.line, path + ".type", "required option is missing");
      continue;
    }
    pc.type = type.Scalar();
    const PluginDescriptor* d = reg.find(kind, pc.type);
    if (!d) {
      std::string msg =
          "unknown " + std::string(plugin_kind_name(kind)) + " type '" + pc.type + "'";
      std::string near = closest_name(pc.type, reg.names(kind));
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      std::string all;
      for (const auto& n : reg.names(kind)) all += (all.empty() ? "" : ", ") + n;
      msg += "; available: " + all;
      diags.error(node_line(type), path + ".type", msg);
      continue;
    }
    // Common keys and the plugin's keys share one mapping; split them.
    YAML::Node own(YAML::NodeType::Map), shared(YAML::NodeType::Map);
    for (const auto& kv : node) {
      std::string key = kv.first.Scalar();
      bool is_common = false;
      for (const auto& s : common)
        if (s.name == key) is_common = true;
      (is_common ? shared : own)[kv.first] = kv.second;
    }
    Diagnostics common_diags(diags.file());
    pc.common = validate_options(shared, common, path, common_diags, validate_query);
    // The split mappings carry no position; problems without a line get the entry's line.
    for (const auto& e : common_diags.items())
      diags.error(e.line ? e.line : pc.line, e.path, e.message);
    // Unknown keys are reported against both tables' names.
    std::vector<OptionSpec> all = d->options;
    all.insert(all.end(), common.begin(), common.end());
    Diagnostics own_diags(diags.file());
    pc.options = validate_options(own, d->options, path, own_diags, validate_query);
    for (const auto& e : own_diags.items()) {
      std::string msg = e.message;
      if (msg.starts_with("unknown key")) {
        std::string key = e.path.substr(e.path.rfind('.') + 1);
        std::vector<std::string> names_all;
        for (const auto& s : all) names_all.push_back(s.name);
        msg = "unknown key '" + key + "' for " + std::string(plugin_kind_name(kind)) + " type '" +
              pc.type + "'";
        std::string near = closest_name(key, names_all);
        if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      }
      diags.error(e.line ? e.line : pc.line, e.path, msg);
    }
    Schema schema = Schema::AuditV1;
    parse_schema(pc.common.str("schema", "audit_v1"), schema);
    if (d->validate) d->validate(pc.options, path, diags, schema);
    pc.name = pc.common.str("name", pc.type);
    if (!names.insert(pc.name).second)
      diags.error(pc.line, path + ".name",
                  "duplicate " + std::string(plugin_kind_name(kind)) + " name '" + pc.name +
                      "'; give each a unique name");
    out.push_back(std::move(pc));
  }
}

}  // namespace

bool load_config_text(const std::string& raw, const std::string& file, const EnvLookup& env,
                      AgentConfig& out, Diagnostics& diags) {
  out = AgentConfig{};
  out.file = file;
  std::string text = substitute_env(raw, env, diags);
  YAML::Node root;
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
  // Everything but inputs and outputs goes through the top-level table.
  YAML::Node core(YAML::NodeType::Map);
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    if (key != "inputs" && key != "outputs") core[kv.first] = kv.second;
  }
  std::vector<OptionSpec> core_specs;
  for (const auto& s : top_level_specs())
    if (s.name != "inputs" && s.name != "outputs") core_specs.push_back(s);
  // Unknown top-level keys should suggest inputs/outputs too.
  for (const auto& kv : core) {
    std::string key = kv.first.Scalar();
    bool known = false;
    for (const auto& s : top_level_specs())
      if (s.name == key) known = true;
    if (!known) {
      std::vector<std::string> names;
      for (const auto& s : top_level_specs()) names.push_back(s.name);
      std::string msg = "unknown key '" + key + "'";
      std::string near = closest_name(key, names);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      diags.error(node_line(kv.first), key, msg);
    }
  }
  YAML::Node known_core(YAML::NodeType::Map);
  for (const auto& kv : core)
    for (const auto& s : core_specs)
      if (s.name == kv.first.Scalar()) known_core[kv.first] = kv.second;
  Options top = validate_options(known_core, core_specs, "", diags, validate_query);
  out.data_dir = top.str("data_dir");
  out.host = top.str("host");
  if (out.host.empty()) {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) == 0) out.host = buf;
  }
  out.server = top.object("server");
  out.pipeline = top.object("pipeline");
  out.transforms = top.object("transforms");
  if (std::string listen = out.server.str("listen"), why;
      !listen.empty() && !parse_listen_address(listen, why))
    diags.error(out.server.line("listen"), "server.listen", why);
  if (out.pipeline.integer("workers", 2) < 1 || out.pipeline.integer("workers", 2) > 64)
    diags.error(out.pipeline.line("workers"), "pipeline.workers", "must be between 1 and 64");
  if (out.pipeline.size("max_in_flight") < 1024 * 1024)
    diags.error(out.pipeline.line("max_in_flight"), "pipeline.max_in_flight",
                "must be at least 1MiB");
  // Alert rules: built-in ids to disable must exist.
  const Options& alerts = out.transforms.object("alerts");
  for (const auto& id : alerts.list("disable")) {
    bool found = false;
    std::vector<std::string> ids;
    for (const auto& b : coder::builtin_alerts()) {
      ids.push_back(b.id);
      if (id == b.id) found = true;
    }
    if (!found) {
      std::string msg = "unknown built-in alert rule '" + id + "'";
      std::string near = closest_name(id, ids);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      diags.error(alerts.line("disable"), "transforms.alerts.disable", msg);
    }
  }

  load_plugins(root["inputs"], PluginKind::Input, "inputs", input_common_specs(), out.inputs,
               diags);
  load_plugins(root["outputs"], PluginKind::Output, "outputs", output_common_specs(), out.outputs,
               diags);
  if (out.outputs.size() > 64) diags.error(0, "outputs", "at most 64 outputs are supported");
  for (size_t i = 0; i < out.outputs.size(); ++i) {
    int64_t c = out.outputs[i].common.integer("concurrency", 1);
    std::string path = "outputs[" + std::to_string(i) + "]";
    if (c < 1 || c > 64)
      diags.error(out.outputs[i].common.line("concurrency"), path + ".concurrency",
                  "must be between 1 and 64");
    const Options& batch = out.outputs[i].common.object("batch");
    if (batch.integer("max_events", 500) < 1)
      diags.error(batch.line("max_events"), path + ".batch.max_events", "must be at least 1");
    if (batch.size("max_bytes", 1) < 1)
      diags.error(batch.line("max_bytes"), path + ".batch.max_bytes", "must be at least 1");
  }
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
