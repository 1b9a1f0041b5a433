#include "agent/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/registry/registry.h"

namespace auditrelay {

std::unique_ptr<coder::Transforms> build_transforms(const AgentConfig& cfg) {
  auto t = std::make_unique<coder::Transforms>();
  const Options& tr = cfg.transforms;
  if (tr.has("redact")) t->redaction = Redaction(tr.list("redact"));
  std::string err;
  for (const auto& q : tr.list("drop"))
    if (auto compiled = coder::Query::compile(q, err)) t->drop.push_back(std::move(compiled));
  const Options& alerts = tr.object("alerts");
  t->alerts = coder::AlertRules();
  if (alerts.boolean("builtin", true)) {
    auto disabled = alerts.list("disable");
    for (size_t i = 0; i < coder::builtin_alerts().size(); ++i) {
      std::string id = coder::builtin_alerts()[i].id;
      if (std::find(disabled.begin(), disabled.end(), id) == disabled.end()) t->alerts.add_builtin(static_cast<int>(i));
    }
  }
  for (const auto& rule : alerts.objects("rules")) {
    if (auto q = coder::Query::compile(rule->str("query"), err))
      t->alerts.add_user(rule->str("id"), std::move(q), rule->str("summary"));
  }
  for (const auto& out : cfg.outputs) {
    std::string match = out.common.str("match");
    t->routes.push_back(match.empty() ? nullptr : coder::Query::compile(match, err));
  }
  return t;
}

Runtime::Runtime(const AgentConfig& cfg) : cfg_(cfg) {}

Runtime::~Runtime() { stop(); }

bool Runtime::start(std::string& error) {
  if (!lock_.lock(cfg_.data_dir, error)) return false;
  checkpoints_ = std::make_unique<CheckpointStore>(cfg_.data_dir);
  checkpoints_->load();
  transforms_ = build_transforms(cfg_);
  PipelineOptions po;
  po.workers = static_cast<int>(cfg_.pipeline.integer("workers", 2));
  po.max_in_flight = cfg_.pipeline.size("max_in_flight", 16 << 20);
  po.checkpoint_interval = cfg_.pipeline.duration("checkpoint_interval", std::chrono::milliseconds(1000));
  po.shutdown_timeout = cfg_.pipeline.duration("shutdown_timeout", std::chrono::milliseconds(10000));
  po.host = cfg_.host;
  pipeline_ = std::make_unique<Pipeline>(po, *transforms_, *checkpoints_, metrics_);
  auto& reg = Registry::instance();
  int index = 0;
  for (const auto& oc : cfg_.outputs) {
    const PluginDescriptor* d = reg.find(PluginKind::Output, oc.type);
    PluginContext ctx{oc.name, cfg_.data_dir, cfg_.host, index, &metrics_, &health_};
    const Options& plugin_options = oc.options;
    // Each batch in flight gets its own plugin instance (connections are not shared).
    OutputFactoryFn factory = [d, ctx, &plugin_options] { return d->make_output(ctx, plugin_options); };
    OutputDriverOptions dopt;
    dopt.name = oc.name;
    dopt.index = index;
    const Options& batch = oc.common.object("batch");
    dopt.max_events = static_cast<size_t>(std::max<int64_t>(1, batch.integer("max_events", 500)));
    dopt.max_bytes = batch.size("max_bytes", 1 << 20);
    dopt.max_delay = batch.duration("max_delay", std::chrono::milliseconds(1000));
    const Options& retry = oc.common.object("retry");
    dopt.retry_initial = retry.duration("initial", std::chrono::milliseconds(500));
    dopt.retry_max = retry.duration("max", std::chrono::milliseconds(30000));
    dopt.concurrency = static_cast<int>(oc.common.integer("concurrency", 1));
    const Options& buffer = oc.common.object("buffer");
    dopt.disk_buffer = buffer.str("type", "memory") == "disk";
    dopt.buffer_max_size = buffer.size("max_size", 1ull << 30);
    dopt.buffer_drop_oldest = buffer.str("when_full", "block") == "drop_oldest";
    dopt.data_dir = cfg_.data_dir;
    pipeline_->add_output(std::make_unique<OutputDriver>(dopt, std::move(factory), metrics_));
    ++index;
  }
  index = 0;
  for (const auto& ic : cfg_.inputs) {
    const PluginDescriptor* d = reg.find(PluginKind::Input, ic.type);
    PluginContext ctx{ic.name, cfg_.data_dir, cfg_.host, index++, &metrics_, &health_};
    try {
      pipeline_->add_input(ic.name, d->make_input(ctx, ic.options));
    } catch (const std::exception& e) {
      error = "input " + ic.name + ": " + e.what();
      return false;
    }
  }
  if (!pipeline_->start(error)) return false;
  if (std::string listen = cfg_.server.str("listen"); !listen.empty()) {
    server_ = std::make_unique<HealthServer>(metrics_, [this] { return readiness_problems(); });
    if (!server_->start(listen, error)) return false;
  }
  spdlog::info("auditrelay {} started: {} input(s), {} output(s), data_dir {}", AUDITRELAY_VERSION,
               cfg_.inputs.size(), cfg_.outputs.size(), cfg_.data_dir);
  return true;
}

std::vector<std::string> Runtime::readiness_problems() const {
  std::vector<std::string> problems = health_.problems();
  auto window = std::chrono::duration_cast<std::chrono::seconds>(
      cfg_.server.duration("ready_failure_window", std::chrono::milliseconds(60000)));
  if (pipeline_)
    for (const auto& o : pipeline_->outputs())
      if (int64_t s = o->failing_for_seconds(); s > window.count())
        problems.push_back("output " + o->name() + ": failing for " + std::to_string(s) + " s");
  return problems;
}

void Runtime::stop() {
  if (pipeline_) {
    pipeline_->stop();  // the server keeps answering while the pipeline drains
    pipeline_.reset();
  }
  if (server_) {
    server_->stop();
    server_.reset();
  }
}

}  // namespace auditrelay
