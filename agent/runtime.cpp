#include "agent/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/metrics/core_metrics.h"
#include "core/registry/registry.h"
#include "core/server/listen_address.h"

namespace auditrelay {

Schema output_schema(const PluginConfig& output) {
  Schema s = Schema::AuditV1;
  parse_schema(output.common.str("schema", "audit_v1"), s);  // validated with the config
  return s;
}

std::unique_ptr<coder::Transforms> build_transforms(const AgentConfig& cfg,
                                                    const std::map<std::string, int>& index_of) {
  auto t = std::make_unique<coder::Transforms>();
  const Options& tr = cfg.transforms;
  if (tr.has("redact")) t->redaction = Redaction(tr.list("redact"));
  std::string err;
  for (const auto& q : tr.list("drop")) t->drop.add(q, err);  // validated with the config
  const Options& alerts = tr.object("alerts");
  t->alerts = coder::AlertRules();
  if (alerts.boolean("builtin", true)) {
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
      for (size_t free = t->routes.size(); free < index && free < 64; ++free)
        t->free_slots |= uint64_t{1} << free;
      t->routes.resize(index + 1);
      t->schemas.resize(index + 1, Schema::AuditV1);
    }
    if (index < 64) t->free_slots &= ~(uint64_t{1} << index);
    for (const auto& q : out.common.list("match")) t->routes[index].add(q, err);
    t->schemas[index] = output_schema(out);
  }
  return t;
}

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
  OutputDriverOptions dopt;
  dopt.name = oc.name;
  dopt.index = index;
  dopt.schema = output_schema(oc);
  const Options& batch = oc.common.object("batch");
  dopt.max_events = static_cast<size_t>(std::max<int64_t>(1, batch.integer("max_events", 500)));
  dopt.max_bytes = batch.size("max_bytes", 1 << 20);
  dopt.max_delay = batch.duration("max_delay", std::chrono::milliseconds(1000));
  const Options& retry = oc.common.object("retry");
  dopt.retry_initial = retry.duration("initial", std::chrono::milliseconds(500));
  dopt.retry_max = retry.duration("max", std::chrono::milliseconds(30000));
  dopt.concurrency = static_cast<int>(oc.common.line("concurrency") != 0
                                          ? oc.common.integer("concurrency", 1)
                                          : d->default_concurrency);  // not in the config
  dopt.shared_output = d->concurrent_send;
  const Options& buffer = oc.common.object("buffer");
  dopt.disk_buffer = buffer.str("type", "memory") == "disk";
  dopt.buffer_max_size = buffer.size("max_size", 1ull << 30);
  dopt.buffer_drop_oldest = buffer.str("when_full", "block") == "drop_oldest";
  dopt.data_dir = cfg_.data_dir;
  // Its own directory: after a reload, the driver being replaced may still wait for
  // acknowledgements of batches it spilled under the same output name.
  dopt.ack_spill_dir =
      cfg_.data_dir + "/ack_spill/" + oc.name + "." + std::to_string(++drivers_made_);
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
  std::filesystem::remove_all(cfg_.data_dir + "/ack_spill", ec);
  checkpoints_ = std::make_unique<CheckpointStore>(cfg_.data_dir);
  checkpoints_->load();
  PipelineOptions po;
  po.workers = static_cast<int>(cfg_.pipeline.integer("workers", 2));
  po.max_in_flight = cfg_.pipeline.size("max_in_flight", 8 << 20);
  po.checkpoint_interval =
      cfg_.pipeline.duration("checkpoint_interval", std::chrono::milliseconds(1000));
  po.shutdown_timeout =
      cfg_.pipeline.duration("shutdown_timeout", std::chrono::milliseconds(10000));
  po.host = cfg_.host;
  ready_window_ = std::chrono::duration_cast<std::chrono::seconds>(
      cfg_.server.duration("ready_failure_window", std::chrono::milliseconds(60000)));
  for (size_t i = 0; i < cfg_.outputs.size(); ++i)
    output_index_[cfg_.outputs[i].name] = static_cast<int>(i);
  // The server's port first: a start that fails on it must not have read or sent anything.
  if (std::string listen = cfg_.server.str("listen"); !listen.empty()) {
    server_ = std::make_unique<HealthServer>(
        metrics_, [this] { return readiness_problems(); },
        [this](std::string& report) { return reload(report); });
    server_->require_token(cfg_.server.str("token"));
    serve_tap(*server_);
    server_->on_scrape([this] { refresh_scrape_gauges(); });
    if (!server_->start(listen, error)) return false;
  }
  set_tap_targets();
  auto transforms = build_transforms(cfg_, output_index_);
  transforms->tap = &tap_hub_;
  describe_metrics(cfg_, *transforms);
  pipeline_ = std::make_unique<Pipeline>(po, std::move(transforms), *checkpoints_, metrics_);
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

bool Runtime::reload(std::string& report) {
  std::unique_lock lock(reload_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    report = "the agent is starting, stopping or reloading already; try again\n";
    return false;
  }
  AgentConfig next;
  Diagnostics diags(cfg_.file);
  if (!load_config_file(cfg_.file, process_env(), next, diags)) {
    report = diags.to_string() + cfg_.file + ": " + std::to_string(diags.items().size()) +
             " problem(s); the running configuration is kept\n";
    spdlog::error("reload rejected: {} has {} problem(s); the running configuration is kept:\n{}",
                  cfg_.file, diags.items().size(), diags.to_string());
    ++metrics_.counter("auditrelay_config_reloads_total", "result=\"failure\"");
    metrics_.gauge("auditrelay_config_last_reload_successful").store(0);
    return false;
  }
  return apply(std::move(next), report);
}

bool Runtime::reload(AgentConfig next, std::string& report) {
  std::unique_lock lock(reload_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    report = "the agent is starting, stopping or reloading already; try again\n";
    return false;
  }
  return apply(std::move(next), report);
}

namespace {
const PluginConfig* find_plugin(const std::vector<PluginConfig>& list, const std::string& name) {
  for (const auto& p : list)
    if (p.name == name) return &p;
  return nullptr;
}
bool same_plugin(const PluginConfig& a, const PluginConfig& b) {
  return a.type == b.type && a.options == b.options && a.common == b.common;
}
}  // namespace

bool Runtime::apply(AgentConfig next, std::string& report) {
  if (!pipeline_) {
    report = "not running\n";
    return false;
  }
  std::vector<std::string> notes;
  // What the running process is built around stays until a restart.
  auto keep = [&](bool changed, const char* what) {
    if (changed)
      notes.push_back(std::string(what) + " changed: applies after a restart (kept as running)");
  };
  keep(next.data_dir != cfg_.data_dir, "data_dir");
  keep(!(next.pipeline == cfg_.pipeline), "pipeline");
  keep(!(next.server == cfg_.server), "server");
  keep(next.host != cfg_.host, "host");
  next.data_dir = cfg_.data_dir;
  next.pipeline = cfg_.pipeline;
  next.server = cfg_.server;
  next.host = cfg_.host;
  next.file = cfg_.file;

  // Outputs: unchanged ones keep their driver and routing bit; a replaced one reuses its bit
  // (the old driver only holds batches from before the swap); new ones take a free bit.
  OutputChange change;
  std::map<std::string, int> next_index;
  std::set<int> used;
  for (const auto& o : next.outputs)
    if (const PluginConfig* old = find_plugin(cfg_.outputs, o.name); old && same_plugin(*old, o)) {
      next_index[o.name] = output_index_[o.name];
      used.insert(output_index_[o.name]);
    }
  for (const auto& old : cfg_.outputs)
    if (!next_index.count(old.name)) change.remove.push_back(old.name);
  for (const auto& o : next.outputs) {
    if (next_index.count(o.name)) continue;
    int index = -1;
    if (auto it = output_index_.find(o.name); it != output_index_.end() && !used.count(it->second))
      index = it->second;
    for (int i = 0; index < 0 && i < 64; ++i)
      if (!used.count(i)) index = i;
    if (index < 0) {
      report = "reload rejected: more than 64 outputs\n";
      return false;
    }
    used.insert(index);
    next_index[o.name] = index;
    change.add.push_back(make_driver(o, index));
    notes.push_back(
        "output " + o.name +
        (output_index_.count(o.name) ? ": restarted with its new settings" : ": added"));
  }
  for (const auto& name : change.remove)
    if (!find_plugin(next.outputs, name)) notes.push_back("output " + name + ": removed");

  // Inputs: built before anything changes, so a failure leaves the running agent as it was.
  std::vector<std::string> input_stop;
  std::vector<std::pair<std::string, std::unique_ptr<Input>>> input_start;
  for (const auto& old : cfg_.inputs) {
    const PluginConfig* n = find_plugin(next.inputs, old.name);
    if (!n || !same_plugin(old, *n)) input_stop.push_back(old.name);
  }
  int index = 0;
  for (const auto& ic : next.inputs) {
    const PluginConfig* old = find_plugin(cfg_.inputs, ic.name);
    if (old && same_plugin(*old, ic)) {
      ++index;
      continue;
    }
    std::string err;
    auto input = make_input(ic, index++, err);
    if (!input) {
      report = "reload rejected: " + err + "; the running configuration is kept\n";
      spdlog::error("{}", report);
      ++metrics_.counter("auditrelay_config_reloads_total", "result=\"failure\"");
      metrics_.gauge("auditrelay_config_last_reload_successful").store(0);
      return false;
    }
    notes.push_back("input " + ic.name + (old ? ": restarted with its new settings" : ": added"));
    input_start.emplace_back(ic.name, std::move(input));
  }
  for (const auto& old : cfg_.inputs)
    if (!find_plugin(next.inputs, old.name)) notes.push_back("input " + old.name + ": removed");

  auto deadline = std::chrono::steady_clock::now() +
                  cfg_.pipeline.duration("shutdown_timeout", std::chrono::milliseconds(10000));
  auto transforms = build_transforms(next, next_index);
  transforms->tap = &tap_hub_;
  describe_metrics(next, *transforms);
  change.transforms = std::move(transforms);
  std::string err;
  std::vector<std::string> change_removed = change.remove;
  if (!pipeline_->change_outputs(std::move(change), deadline, err)) {
    report = "reload rejected: " + err + "; the running configuration is kept\n";
    spdlog::error("{}", report);
    ++metrics_.counter("auditrelay_config_reloads_total", "result=\"failure\"");
    metrics_.gauge("auditrelay_config_last_reload_successful").store(0);
    return false;
  }
  for (const auto& old : cfg_.outputs)
    if (const PluginConfig* n = find_plugin(next.outputs, old.name); !n || !same_plugin(old, *n))
      health_.forget("output " + old.name);  // its replacement reports for itself
  // A changed input stops first and its batches are acknowledged, so its replacement resumes
  // from its saved positions.
  for (const auto& name : input_stop) {
    if (!pipeline_->remove_input(name, deadline))
      spdlog::warn(
          "reload: input {} had batches not yet acknowledged at the deadline; they will be read "
          "again",
          name);
    health_.forget("input " + name);
  }
  for (auto& [name, input] : input_start) pipeline_->add_input(name, std::move(input));
  output_index_ = std::move(next_index);
  if (!(next.transforms == cfg_.transforms)) notes.push_back("transforms: updated");
  for (const auto& name : change_removed)
    metrics_.gauge("auditrelay_output_failing_seconds", "output=\"" + name + "\"").store(0);
  cfg_ = std::move(next);
  set_tap_targets();
  if (notes.empty()) notes.push_back("nothing changed");
  report.clear();
  for (const auto& n : notes) {
    report += n + "\n";
    spdlog::info("reload: {}", n);
  }
  ++metrics_.counter("auditrelay_config_reloads_total", "result=\"success\"");
  metrics_.gauge("auditrelay_config_last_reload_successful").store(1);
  return true;
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

void Runtime::serve_tap(HealthServer& server) {
  std::string why;
  auto address = parse_listen_address(cfg_.server.str("listen"), why);  // validated
  bool loopback = address && is_loopback_host(address->host);
  bool enabled = cfg_.server.has("tap") ? cfg_.server.boolean("tap") : loopback;
  if (!enabled)
    why = cfg_.server.has("tap")
              ? "GET /tap is off (server.tap: false)"
              : "GET /tap is off on a listener other machines can reach (server.listen " +
                    cfg_.server.str("listen") +
                    "); set server.tap: true, with server.token, to serve it";
  else if (!loopback && cfg_.server.str("token").empty())
    spdlog::warn(
        "server.tap is on and server.listen {} is reachable from other machines without "
        "server.token: anyone who reaches it can read every event",
        cfg_.server.str("listen"));
  server.serve_tap([this](const auto& req, std::string& error) { return open_tap(req, error); },
                   enabled, why);
}

void Runtime::set_tap_targets() {
  TapTargets t;
  for (const auto& o : cfg_.outputs)
    t.outputs[o.name] = {output_index_.at(o.name), output_schema(o)};
  for (const auto& i : cfg_.inputs) t.inputs.insert(i.name);
  // Under tap_mu_, which open_tap holds from resolving an output to subscribing: no tap opens
  // with what this replaces.
  std::lock_guard lock(tap_mu_);
  tap_targets_ = std::move(t);
  // A tap on an output a reload changed or removed would now show another output's events (its
  // routing bit may be reused) or an old schema: it ends, and the client is told why.
  tap_hub_.close_where(
      [&](const coder::TapClient& c) {
        const auto& name = c.filter.output_name;
        if (name.empty()) return false;
        auto it = tap_targets_.outputs.find(name);
        return it == tap_targets_.outputs.end() || it->second.first != c.filter.output ||
               it->second.second != c.filter.output_schema;
      },
      "a reload changed or removed this output; tap it again");
}

HealthServer::OpenedTap Runtime::open_tap(const HealthServer::TapRequest& req, std::string& error) {
  auto client = std::make_shared<coder::TapClient>();
  coder::TapFilter& f = client->filter;
  if (!req.match.empty() && !f.match.add(req.match, error)) {
    error = "match: " + error;
    return {};
  }
  if (!req.schema.empty() && !parse_schema(req.schema, f.schema)) {
    error = "schema: \"" + req.schema + "\" is not one of " + std::string(kSchemaChoices);
    return {};
  }
  f.input = req.input;
  std::lock_guard lock(tap_mu_);
  if (!req.input.empty() && !tap_targets_.inputs.count(req.input)) {
    error = "input: no input named \"" + req.input + "\" in the running config";
    return {};
  }
  if (!req.output.empty()) {
    auto it = tap_targets_.outputs.find(req.output);
    if (it == tap_targets_.outputs.end()) {
      error = "output: no output named \"" + req.output + "\" in the running config";
      return {};
    }
    f.output = it->second.first;
    f.output_name = req.output;
    f.output_schema = it->second.second;
    if (req.schema.empty()) f.schema = f.output_schema;
  }
  tap_hub_.subscribe(client);
  return {client->stream, [this, client] { tap_hub_.unsubscribe(client); }};
}

}  // namespace auditrelay
