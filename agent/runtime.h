#pragma once
// Builds the running agent from a validated config: transforms, inputs and outputs through the
// plugin registry, the pipeline that joins them. A reload applies a new config to the running
// agent: only the inputs and outputs that changed are restarted.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "agent/config/agent_config.h"
#include "coder/processor.h"
#include "coder/tap.h"
#include "core/metrics/metrics.h"
#include "core/pipeline/checkpoint_store.h"
#include "core/pipeline/pipeline.h"
#include "core/server/health_board.h"
#include "core/server/health_server.h"

namespace auditrelay {

// Transforms from the config (drop, redact, alerts) and one route per output, at the output's
// index (its position in the config unless `index_of` says otherwise).
std::unique_ptr<coder::Transforms> build_transforms(
    const AgentConfig& cfg, const std::map<std::string, int>& index_of = {});

class Runtime {
 public:
  explicit Runtime(AgentConfig cfg);
  ~Runtime();
  // Locks data_dir, loads checkpoints, creates plugins and starts the pipeline.
  bool start(std::string& error);
  void stop();
  // Re-reads the config file (SIGHUP, POST /reload). An invalid config is rejected and the
  // running one kept. report says what changed, or the problems.
  bool reload(std::string& report);
  bool reload(AgentConfig next, std::string& report);
  Metrics& metrics() { return metrics_; }
  Pipeline* pipeline() { return pipeline_.get(); }
  HealthBoard& health() { return health_; }
  // The port /metrics, /healthz and /readyz listen on; 0 without a server.
  int server_port() const { return server_ ? server_->port() : 0; }
  // Why the agent is not ready (empty: ready): plugin problems and outputs failing too long.
  std::vector<std::string> readiness_problems() const;

 private:
  // Reload (runtime_reload.cpp), with reload_mu_ held. What changes is worked out first, so a
  // rejected reload leaves the running agent as it was.
  struct ReloadPlan;
  bool apply(AgentConfig next, std::string& report);
  bool plan_outputs(const AgentConfig& next, ReloadPlan& plan, std::string& error);
  int routing_bit(const std::string& output, const std::set<int>& used) const;
  bool plan_inputs(const AgentConfig& next, ReloadPlan& plan, std::string& error);
  bool swap_outputs(const AgentConfig& next, ReloadPlan& plan,
                    std::chrono::steady_clock::time_point deadline, std::string& error);
  void swap_inputs(ReloadPlan& plan, std::chrono::steady_clock::time_point deadline);
  void commit_reload(AgentConfig next, ReloadPlan& plan, std::string& report);
  bool reject_reload(const std::string& why, std::string& report);
  // auditrelay_config_reloads_total and auditrelay_config_last_reload_successful.
  void count_reload(bool success);

  bool start_server(std::string& error);
  void describe_metrics(const AgentConfig& cfg, const coder::Transforms& transforms);
  std::unique_ptr<OutputDriver> make_driver(const PluginConfig& oc, int index);
  uint64_t drivers_made_ = 0;  // numbers each driver's acknowledgement spill directory
  std::unique_ptr<Input> make_input(const PluginConfig& ic, int index, std::string& error);
  // GET /tap: the client's filter checked against the running config, then subscribed.
  HealthServer::OpenedTap open_tap(const HealthServer::TapRequest& req, std::string& error);
  void serve_tap(HealthServer& server);
  // What open_tap needs of the running config, kept apart from cfg_ so that a tap opens while a
  // reload holds reload_mu_ (and stop, which waits for the server's threads, holds it too).
  struct TapTargets {
    std::map<std::string, std::pair<int, Schema>> outputs;  // routing index and schema
    std::set<std::string> inputs;
  };
  void set_tap_targets();
  // The gauges read at each scrape: auditrelay_ready, auditrelay_output_failing_seconds.
  void refresh_scrape_gauges();

  AgentConfig cfg_;
  Metrics metrics_;
  coder::TapHub tap_hub_{metrics_};  // outlives the pipeline, whose processors offer it events
  std::mutex tap_mu_;
  TapTargets tap_targets_;
  DataDirLock lock_;
  std::unique_ptr<CheckpointStore> checkpoints_;
  std::unique_ptr<Pipeline> pipeline_;
  std::map<std::string, int> output_index_;  // routing bit of each running output
  HealthBoard health_;
  std::unique_ptr<HealthServer> server_;
  std::chrono::seconds ready_window_{};  // server.ready_failure_window, read by start
  std::atomic<bool> started_{false};     // /readyz says "starting" until the pipeline runs
  std::mutex reload_mu_;                 // one reload at a time (SIGHUP and POST /reload)
};

}  // namespace auditrelay
