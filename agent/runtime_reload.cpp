// A reload (SIGHUP, POST /reload) applies a new config to the running agent: the inputs and
// outputs that changed are restarted, the others keep running; what the process is built around
// (data_dir, pipeline, server, host) stays until a restart. The new drivers and inputs are built
// before anything running is touched, so a reload rejected then leaves the agent as it was.
#include <spdlog/spdlog.h>

#include "agent/runtime.h"

namespace auditrelay {

struct Runtime::ReloadPlan {
  OutputChange outputs;                      // drivers that leave and join
  std::vector<std::string> outputs_removed;  // outputs.remove, once outputs is handed over
  std::map<std::string, int> output_index;   // routing bit of each output after the reload
  std::vector<std::string> inputs_to_stop;   // changed and removed inputs
  std::vector<std::pair<std::string, std::unique_ptr<Input>>> inputs_to_start;
  std::vector<std::string> notes;  // what changed, as the report says it
};

namespace {

constexpr const char* kReloadBusy =
    "the agent is starting, stopping or reloading already; try again\n";

const PluginConfig* find_plugin(const std::vector<PluginConfig>& list, const std::string& name) {
  for (const auto& p : list)
    if (p.name == name) return &p;
  return nullptr;
}

bool same_plugin(const PluginConfig& a, const PluginConfig& b) {
  return a.type == b.type && a.options == b.options && a.common == b.common;
}

// Whether `name` in `next` is the one running, unchanged.
bool unchanged(const std::vector<PluginConfig>& running, const PluginConfig& next) {
  const PluginConfig* old = find_plugin(running, next.name);
  return old && same_plugin(*old, next);
}

// What the running process is built around stays until a restart: next takes the running values,
// and a note says which ones it would have changed.
void keep_restart_only_settings(const AgentConfig& running, AgentConfig& next,
                                std::vector<std::string>& notes) {
  auto keep = [&](bool changed, const char* what) {
    if (changed)
      notes.push_back(std::string(what) + " changed: applies after a restart (kept as running)");
  };
  keep(next.data_dir != running.data_dir, "data_dir");
  keep(!(next.pipeline == running.pipeline), "pipeline");
  keep(!(next.server == running.server), "server");
  keep(next.host != running.host, "host");
  next.data_dir = running.data_dir;
  next.pipeline = running.pipeline;
  next.server = running.server;
  next.host = running.host;
  next.file = running.file;
}

}  // namespace

bool Runtime::reload(std::string& report) {
  std::unique_lock lock(reload_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    report = kReloadBusy;
    return false;
  }
  AgentConfig next;
  Diagnostics diags(cfg_.file);
  if (!load_config_file(cfg_.file, process_env(), next, diags)) {
    report = diags.to_string() + cfg_.file + ": " + std::to_string(diags.items().size()) +
             " problem(s); the running configuration is kept\n";
    spdlog::error("reload rejected: {} has {} problem(s); the running configuration is kept:\n{}",
                  cfg_.file, diags.items().size(), diags.to_string());
    count_reload(false);
    return false;
  }
  return apply(std::move(next), report);
}

bool Runtime::reload(AgentConfig next, std::string& report) {
  std::unique_lock lock(reload_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    report = kReloadBusy;
    return false;
  }
  return apply(std::move(next), report);
}

bool Runtime::apply(AgentConfig next, std::string& report) {
  if (!pipeline_) {
    report = "not running\n";
    return false;
  }
  ReloadPlan plan;
  keep_restart_only_settings(cfg_, next, plan.notes);
  std::string error;
  if (!plan_outputs(next, plan, error) || !plan_inputs(next, plan, error))
    return reject_reload(error, report);
  auto deadline = std::chrono::steady_clock::now() + cfg_.pipeline.duration("shutdown_timeout");
  if (!swap_outputs(next, plan, deadline, error)) return reject_reload(error, report);
  swap_inputs(plan, deadline);
  commit_reload(std::move(next), plan, report);
  return true;
}

// Outputs: unchanged ones keep their driver and routing bit; a replaced one reuses its bit
// (the old driver only holds batches from before the swap); new ones take a free bit.
bool Runtime::plan_outputs(const AgentConfig& next, ReloadPlan& plan, std::string& error) {
  std::set<int> used;
  for (const auto& o : next.outputs)
    if (unchanged(cfg_.outputs, o)) {
      plan.output_index[o.name] = output_index_.at(o.name);
      used.insert(output_index_.at(o.name));
    }
  for (const auto& old : cfg_.outputs)
    if (!plan.output_index.count(old.name)) plan.outputs.remove.push_back(old.name);
  for (const auto& o : next.outputs) {
    if (plan.output_index.count(o.name)) continue;
    int index = routing_bit(o.name, used);
    if (index < 0) {
      error = "more than " + std::to_string(kMaxOutputs) + " outputs";
      return false;
    }
    used.insert(index);
    plan.output_index[o.name] = index;
    plan.outputs.add.push_back(make_driver(o, index));
    plan.notes.push_back(
        "output " + o.name +
        (output_index_.count(o.name) ? ": restarted with its new settings" : ": added"));
  }
  for (const auto& name : plan.outputs.remove)
    if (!find_plugin(next.outputs, name)) plan.notes.push_back("output " + name + ": removed");
  plan.outputs_removed = plan.outputs.remove;
  return true;
}

// The running output's bit when no unchanged output holds it, else the lowest free one; -1 when
// every bit is taken.
int Runtime::routing_bit(const std::string& output, const std::set<int>& used) const {
  if (auto it = output_index_.find(output); it != output_index_.end() && !used.count(it->second))
    return it->second;
  for (int i = 0; i < kMaxOutputs; ++i)
    if (!used.count(i)) return i;
  return -1;
}

// Inputs: built before anything changes, so a failure leaves the running agent as it was.
bool Runtime::plan_inputs(const AgentConfig& next, ReloadPlan& plan, std::string& error) {
  for (const auto& old : cfg_.inputs) {
    const PluginConfig* n = find_plugin(next.inputs, old.name);
    if (!n || !same_plugin(old, *n)) plan.inputs_to_stop.push_back(old.name);
  }
  int index = 0;
  for (const auto& ic : next.inputs) {
    int input_index = index++;
    if (unchanged(cfg_.inputs, ic)) continue;
    auto input = make_input(ic, input_index, error);
    if (!input) return false;
    plan.notes.push_back(
        "input " + ic.name +
        (find_plugin(cfg_.inputs, ic.name) ? ": restarted with its new settings" : ": added"));
    plan.inputs_to_start.emplace_back(ic.name, std::move(input));
  }
  for (const auto& old : cfg_.inputs)
    if (!find_plugin(next.inputs, old.name))
      plan.notes.push_back("input " + old.name + ": removed");
  return true;
}

// The new transforms and the output drivers change at once; false when the pipeline refuses.
bool Runtime::swap_outputs(const AgentConfig& next, ReloadPlan& plan,
                           std::chrono::steady_clock::time_point deadline, std::string& error) {
  auto transforms = build_transforms(next, plan.output_index);
  transforms->tap = &tap_hub_;
  describe_metrics(next, *transforms);
  plan.outputs.transforms = std::move(transforms);
  if (!pipeline_->change_outputs(std::move(plan.outputs), deadline, error)) return false;
  for (const auto& old : cfg_.outputs)
    if (!unchanged(next.outputs, old))
      health_.forget("output " + old.name);  // its replacement reports for itself
  return true;
}

// A changed input stops first and its batches are acknowledged, so its replacement resumes
// from its saved positions.
void Runtime::swap_inputs(ReloadPlan& plan, std::chrono::steady_clock::time_point deadline) {
  for (const auto& name : plan.inputs_to_stop) {
    if (!pipeline_->remove_input(name, deadline))
      spdlog::warn(
          "reload: input {} had batches not yet acknowledged at the deadline; they will be read "
          "again",
          name);
    health_.forget("input " + name);
  }
  for (auto& [name, input] : plan.inputs_to_start) pipeline_->add_input(name, std::move(input));
}

// The new config becomes the running one; report says what changed.
void Runtime::commit_reload(AgentConfig next, ReloadPlan& plan, std::string& report) {
  output_index_ = std::move(plan.output_index);
  if (!(next.transforms == cfg_.transforms)) plan.notes.push_back("transforms: updated");
  for (const auto& name : plan.outputs_removed)
    metrics_.gauge("auditrelay_output_failing_seconds", "output=\"" + name + "\"").store(0);
  cfg_ = std::move(next);
  set_tap_targets();
  if (plan.notes.empty()) plan.notes.push_back("nothing changed");
  report.clear();
  for (const auto& n : plan.notes) {
    report += n + "\n";
    spdlog::info("reload: {}", n);
  }
  count_reload(true);
}

bool Runtime::reject_reload(const std::string& why, std::string& report) {
  report = "reload rejected: " + why + "; the running configuration is kept\n";
  spdlog::error("{}", report);
  count_reload(false);
  return false;
}

void Runtime::count_reload(bool success) {
  ++metrics_.counter("auditrelay_config_reloads_total",
                     success ? "result=\"success\"" : "result=\"failure\"");
  metrics_.gauge("auditrelay_config_last_reload_successful").store(success ? 1 : 0);
}

}  // namespace auditrelay
