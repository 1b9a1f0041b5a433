// The option tables of the config's core sections and of what every input and output takes:
// each option's type, default and description, declared once for validation, --help and the
// configuration reference.
#include "agent/config/agent_config.h"
#include "coder/alerts.h"
#include "coder/event/redaction.h"
#include "core/pipeline/output_driver.h"
#include "core/pipeline/pipeline.h"

namespace auditrelay {
namespace {

// The pipeline's and the output driver's defaults live in their option structs (core/); the
// tables print them in the units a user writes ("4MiB", "500ms", "30s"). Temporaries, not
// globals: plugins may read these tables during static initialisation.

std::string size_text(uint64_t bytes) {
  for (auto [unit, name] : {std::pair{1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}})
    if (bytes >= unit && bytes % unit == 0) return std::to_string(bytes / unit) + name;
  return std::to_string(bytes);
}

std::string duration_text(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

}  // namespace

const std::vector<std::string>& schema_names() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> names;
    for (int i = 0; i < kSchemaCount; ++i) names.emplace_back(schema_name(static_cast<Schema>(i)));
    return names;
  }();
  return k;
}

const std::vector<OptionSpec>& server_specs() {
  static const std::vector<OptionSpec> k = {
      {"listen", OptType::String, "", false,
       "host:port for /metrics, /healthz, /readyz, POST /reload and GET /tap; no server when unset "
       "(use " +
           std::string(kSuggestedListen) + ")"},
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
      {"workers", OptType::Int, std::to_string(PipelineOptions{}.workers), false,
       "normalize threads"},
      {"max_in_flight", OptType::Size, size_text(PipelineOptions{}.max_in_flight), false,
       "memory bound for batches between reading and the last output's acknowledgement; inputs "
       "pause when reached"},
      {"checkpoint_interval", OptType::Duration,
       duration_text(PipelineOptions{}.checkpoint_interval), false,
       "how often acknowledged positions are saved"},
      {"shutdown_timeout", OptType::Duration, duration_text(PipelineOptions{}.shutdown_timeout),
       false,
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
      {"schema", OptType::Enum, "audit_v1", false,
       "the schema events arrive in: audit_v1 (auditrelay's own), ocsf (OCSF 1.2.0) or ecs "
       "(Elastic Common Schema 8.x); each event is encoded once per schema, however many "
       "outputs receive it (docs/audit-schema.md)",
       schema_names()},
      {"batch",
       OptType::Object,
       "",
       false,
       "when a batch is sent",
       {},
       {
           {"max_events", OptType::Int, std::to_string(OutputDriverOptions{}.max_events), false,
            "events per batch"},
           {"max_bytes", OptType::Size, size_text(OutputDriverOptions{}.max_bytes), false,
            "encoded bytes per batch"},
           {"max_delay", OptType::Duration, duration_text(OutputDriverOptions{}.max_delay), false,
            "age of the oldest event before the batch is sent"},
       }},
      {"concurrency", OptType::Int, std::to_string(OutputDriverOptions{}.concurrency), false,
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
           {"max_size", OptType::Size, size_text(OutputDriverOptions{}.buffer_max_size), false,
            "disk buffer size limit"},
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
           {"initial", OptType::Duration, duration_text(OutputDriverOptions{}.retry_initial), false,
            "first backoff"},
           {"max", OptType::Duration, duration_text(OutputDriverOptions{}.retry_max), false,
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

}  // namespace auditrelay
