#include "agent/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/metrics/core_metrics.h"
#include "core/registry/registry.h"

namespace auditrelay {

std::unique_ptr<coder::Transforms> build_transforms(const AgentConfig& cfg,
                                                    const std::map<std::string, int>& index_of) {
  constexpr size_t kRoutingBits = kMaxOutputs;  // free_slots has one per output
  auto t = std::make_unique<coder::Transforms>();
  const Options& tr = cfg.transforms;
  if (tr.has("redact")) t->redaction = Redaction(tr.list("redact"));
  std::string err;
  for (const auto& q : tr.list("drop")) t->drop.add(q, err);  // validated with the config
  const Options& alerts = tr.object("alerts");
  t->alerts = coder::AlertRules();
  if (alerts.boolean("builtin")) {
    auto disabled = alerts.list("disable");
    for (size_t i = 0; i < coder::builtin_alerts().size(); ++i) {
      std::string id = coder::builtin_alerts()[i].id;
      if (std::find(disabled.begin(), disabled.end(), id) == disabled.end())
        t->alerts.add_builtin(static_cast<int>(i));
    }
  }
  for (const auto& rule : alerts.objects("rules")) {
    if (auto q = coder::Query::compile(rule->str("query"), err))
      t->alerts.add_user(rule->str("id"), std::move(q), rule->str("summary"));
  }
  for (size_t i = 0; i < cfg.outputs.size(); ++i) {
    const auto& out = cfg.outputs[i];
    auto at = index_of.find(out.name);
    size_t index = at == index_of.end() ? i : static_cast<size_t>(at->second);
    if (t->routes.size() <= index) {
      // Slots between outputs are free until an output takes them.
      for (size_t free = t->routes.size(); free < index && free < kRoutingBits; ++free)
        t->free_slots |= uint64_t{1} << free;
      t->routes.resize(index + 1);
      t->schemas.resize(index + 1, Schema::AuditV1);
    }
    if (index < kRoutingBits) t->free_slots &= ~(uint64_t{1} << index);
    for (const auto& q : out.common.list("match")) t->routes[index].add(q, err);
    t->schemas[index] = output_schema(out);
  }
  return t;
}

namespace {

// Where drivers spill batches awaiting acknowledgement, one directory per driver below it.
std::string ack_spill_root(const std::string& data_dir) {
  return data_dir + "/ack_spill";
}

// How a driver batches, retries and buffers: the output's common options.
OutputDriverOptions driver_options(const PluginConfig& oc, const PluginDescriptor& d, int index) {
  OutputDriverOptions dopt;
  dopt.name = oc.name;
  dopt.index = index;
  dopt.schema = output_schema(oc);
  const Options& batch = oc.common.object("batch");
  dopt.max_events = static_cast<size_t>(std::max<int64_t>(1, batch.integer("max_events")));
  dopt.max_bytes = batch.size("max_bytes");
  dopt.max_delay = batch.duration("max_delay");
  const Options& retry = oc.common.object("retry");
  dopt.retry_initial = retry.duration("initial");
  dopt.retry_max = retry.duration("max");
  dopt.concurrency = static_cast<int>(oc.common.line("concurrency") != 0
                                          ? oc.common.integer("concurrency")
                                          : d.default_concurrency);  // not in the config
  dopt.shared_output = d.concurrent_send;
  const Options& buffer = oc.common.object("buffer");
  dopt.disk_buffer = buffer.str("type") == "disk";
  dopt.buffer_max_size = buffer.size("max_size");
  dopt.buffer_drop_oldest = buffer.str("when_full") == "drop_oldest";
  return dopt;
}

// The pipeline section as the pipeline takes it.
PipelineOptions pipeline_options(const AgentConfig& cfg) {
  PipelineOptions po;
  po.workers = static_cast<int>(cfg.pipeline.integer("workers"));
  po.max_in_flight = cfg.pipeline.size("max_in_flight");
  po.checkpoint_interval = cfg.pipeline.duration("checkpoint_interval");
  po.shutdown_timeout = cfg.pipeline.duration("shutdown_timeout");
  po.host = cfg.host;
  return po;
}

}  // namespace

Runtime::Runtime(AgentConfig cfg) : cfg_(std::move(cfg)) {
  // spdlog's registry is made by its first use, behind a static-init guard inside libspdlog that
  // ThreadSanitizer cannot see (the library is not instrumented). Made here, before any thread
  // of ours starts, every later use is ordered after it by the thread's creation.
  spdlog::default_logger();
}

Runtime::~Runtime() {
  stop();
}

std::unique_ptr<OutputDriver> Runtime::make_driver(const PluginConfig& oc, int index) {
  const PluginDescriptor* d = Registry::instance().find(PluginKind::Output, oc.type);
  PluginContext ctx{oc.name,   cfg_.data_dir, cfg_.host,        index,
                    &metrics_, &health_,      output_schema(oc)};
  // Each batch in flight gets its own plugin instance unless the plugin declares that one
  // instance takes concurrent sends. The options are copied: a reload replaces the config while
  // this driver may still be draining.
  OutputFactoryFn factory = [d, ctx, plugin_options = oc.options] {
    return d->make_output(ctx, plugin_options);
  };
  OutputDriverOptions dopt = driver_options(oc, *d, index);
  dopt.data_dir = cfg_.data_dir;
  // Its own directory: after a reload, the driver being replaced may still wait for
  // acknowledgements of batches it spilled under the same output name.
  dopt.ack_spill_dir =
      ack_spill_root(cfg_.data_dir) + "/" + oc.name + "." + std::to_string(++drivers_made_);
  return std::make_unique<OutputDriver>(dopt, std::move(factory), metrics_);
}

std::unique_ptr<Input> Runtime::make_input(const PluginConfig& ic, int index, std::string& error) {
  const PluginDescriptor* d = Registry::instance().find(PluginKind::Input, ic.type);
  PluginContext ctx{ic.name, cfg_.data_dir, cfg_.host, index, &metrics_, &health_};
  try {
    return d->make_input(ctx, ic.options);
  } catch (const std::exception& e) {
    error = "input " + ic.name + ": " + e.what();
    return nullptr;
  }
}

// Every metric of the core, the processor and the configured plugins is on /metrics from the
// start, with its help text, so dashboards and alerts see 0 rather than nothing.
void Runtime::describe_metrics(const AgentConfig& cfg, const coder::Transforms& transforms) {
  for (const auto& info : core_metrics()) metrics_.describe(info);
  coder::create_processor_series(metrics_, transforms);
  for (const auto* list : {&cfg.inputs, &cfg.outputs})
    for (const auto& pc : *list)
      if (const auto* d = Registry::instance().find(
              list == &cfg.inputs ? PluginKind::Input : PluginKind::Output, pc.type))
        for (const auto& info : d->metrics) metrics_.describe(info);
  metrics_.counter("auditrelay_config_reloads_total", "result=\"success\"");
  metrics_.counter("auditrelay_config_reloads_total", "result=\"failure\"");
}

bool Runtime::start(std::string& error) {
  std::lock_guard starting(reload_mu_);  // a POST /reload before the pipeline runs is refused
  if (!lock_.lock(cfg_.data_dir, error)) return false;
  // What a previous run spilled while awaiting acknowledgements is read again from the sources.
  std::error_code ec;
  std::filesystem::remove_all(ack_spill_root(cfg_.data_dir), ec);
  checkpoints_ = std::make_unique<CheckpointStore>(cfg_.data_dir);
  checkpoints_->load();
  ready_window_ = std::chrono::duration_cast<std::chrono::seconds>(
      cfg_.server.duration("ready_failure_window"));
  for (size_t i = 0; i < cfg_.outputs.size(); ++i)
    output_index_[cfg_.outputs[i].name] = static_cast<int>(i);
  // The server's port first: a start that fails on it must not have read or sent anything.
  if (!start_server(error)) return false;
  set_tap_targets();
  auto transforms = build_transforms(cfg_, output_index_);
  transforms->tap = &tap_hub_;
  describe_metrics(cfg_, *transforms);
  pipeline_ = std::make_unique<Pipeline>(pipeline_options(cfg_), std::move(transforms),
                                         *checkpoints_, metrics_);
  for (const auto& oc : cfg_.outputs)
    pipeline_->add_output(make_driver(oc, output_index_[oc.name]));
  int index = 0;
  for (const auto& ic : cfg_.inputs) {
    auto input = make_input(ic, index++, error);
    if (!input) return false;
    pipeline_->add_input(ic.name, std::move(input));
  }
  if (!pipeline_->start(error)) return false;
  started_.store(true);
  metrics_.gauge("auditrelay_config_last_reload_successful").store(1);
  spdlog::info("auditrelay {} started: {} input(s), {} output(s), data_dir {}", AUDITRELAY_VERSION,
               cfg_.inputs.size(), cfg_.outputs.size(), cfg_.data_dir);
  return true;
}

// /metrics, /healthz, /readyz, POST /reload and GET /tap, when server.listen is set.
bool Runtime::start_server(std::string& error) {
  std::string listen = cfg_.server.str("listen");
  if (listen.empty()) return true;
  server_ = std::make_unique<HealthServer>(
      metrics_, [this] { return readiness_problems(); },
      [this](std::string& report) { return reload(report); });
  server_->require_token(cfg_.server.str("token"));
  serve_tap(*server_);
  server_->on_scrape([this] { refresh_scrape_gauges(); });
  return server_->start(listen, error);
}

std::vector<std::string> Runtime::readiness_problems() const {
  if (!started_.load()) return {"starting"};
  std::vector<std::string> problems = health_.problems();
  if (pipeline_)
    for (const auto& [name, s] : pipeline_->output_failures())
      if (s > ready_window_.count())
        problems.push_back("output " + name + ": failing for " + std::to_string(s) + " s");
  return problems;
}

void Runtime::refresh_scrape_gauges() {
  // A reload may hold the outputs' lock while a replaced output drains: the scrape keeps the
  // last values then instead of waiting (and stop, which joins the server's threads, holds it).
  std::unique_lock reloading(reload_mu_, std::try_to_lock);
  if (!reloading.owns_lock()) return;
  metrics_.gauge("auditrelay_ready").store(readiness_problems().empty() ? 1 : 0);
  if (!started_.load()) return;  // pipeline_ is set before started_
  for (const auto& [name, seconds] : pipeline_->output_failures())
    metrics_.gauge("auditrelay_output_failing_seconds", "output=\"" + name + "\"").store(seconds);
}

void Runtime::stop() {
  std::lock_guard lock(reload_mu_);  // not while a reload changes the pipeline
  // Tap connections end first: a write to a stalled client ends while the pipeline drains.
  tap_hub_.close_all();
  if (pipeline_) {
    pipeline_->stop();  // the server keeps answering while the pipeline drains
  }
  if (server_) {
    server_->stop();
    server_.reset();
  }
  pipeline_.reset();
}

}  // namespace auditrelay
