#pragma once
// The plugin registry: the one piece of global mutable state. Plugins register themselves at
// static-initialization time with a descriptor naming them and declaring their options; the core
// looks them up by name and never names a concrete plugin.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config/options.h"
#include "core/event/schema.h"
#include "core/metrics/metric_info.h"

namespace auditrelay {

class Input;
class Output;
class Format;
class Metrics;
class HealthBoard;

enum class PluginKind { Input, Format, Output };
std::string_view plugin_kind_name(PluginKind k);

// What a plugin factory gets besides its options.
struct PluginContext {
  std::string name;  // the instance's name in the config
  std::string data_dir;
  std::string host;
  int index = 0;                    // position in the config list
  Metrics* metrics = nullptr;       // for plugin-specific series
  HealthBoard* health = nullptr;    // readiness problems (/readyz)
  Schema schema = Schema::AuditV1;  // outputs: the encoding their events arrive in
};

using InputFactory = std::function<std::unique_ptr<Input>(const PluginContext&, const Options&)>;
using OutputFactory = std::function<std::unique_ptr<Output>(const PluginContext&, const Options&)>;
// Extra checks beyond types (e.g. a format name exists); errors go to diags.
// `schema` is the output's (templates name fields by where that schema puts them); inputs get
// audit_v1.
using PluginValidator =
    std::function<void(const Options&, const std::string& path, Diagnostics&, Schema schema)>;

struct PluginDescriptor {
  PluginKind kind = PluginKind::Input;
  std::string name;
  std::string summary;
  std::vector<OptionSpec> options;
  InputFactory make_input;
  OutputFactory make_output;
  const Format* format = nullptr;  // formats are stateless singletons
  // Formats only: the names parse() gives its entries (ParsedEntry::format), which label the
  // parsed-records counter; a wrapper that hands its lines to other formats has none.
  std::vector<std::string> entry_formats;
  // Formats only: this format takes any text, and records no other format parses become its
  // entries. One format declares it.
  bool fallback = false;
  PluginValidator validate;
  // Outputs only. One instance serves every batch in flight: send() is called from several
  // sender threads at once, so the batches share the instance's connections (Kafka: one
  // producer, whose message sets then carry several batches). Otherwise each batch in flight
  // gets an instance of its own.
  bool concurrent_send = false;
  // Outputs only: batches in flight when the config does not set `concurrency`.
  int default_concurrency = 1;
  // The plugin's own metrics (help text for /metrics and docs/operations.md).
  std::vector<MetricInfo> metrics;
};

class Registry {
 public:
  static Registry& instance();
  bool add(PluginDescriptor d);
  const PluginDescriptor* find(PluginKind kind, std::string_view name) const;
  const Format* format(std::string_view name) const;
  // The format that declared itself the fallback (nullptr before it registered).
  const Format* fallback_format() const;
  // Every name a format gives its entries, sorted, each once.
  std::vector<std::string> entry_format_names() const;
  std::vector<const PluginDescriptor*> list(PluginKind kind) const;
  std::vector<std::string> names(PluginKind kind) const;

 private:
  std::vector<std::unique_ptr<PluginDescriptor>> plugins_;
};

}  // namespace auditrelay
