#pragma once
// Builds the running agent from a validated config: transforms, inputs and outputs through the
// plugin registry, the pipeline that joins them.
#include <memory>
#include <string>

#include "agent/config/agent_config.h"
#include "agent/metrics/metrics.h"
#include "agent/pipeline/checkpoint_store.h"
#include "agent/pipeline/pipeline.h"
#include "agent/server/health_board.h"
#include "agent/server/health_server.h"
#include "coder/processor.h"

namespace auditrelay {

// Transforms from the config (drop, redact, alerts) and one route per output.
std::unique_ptr<coder::Transforms> build_transforms(const AgentConfig& cfg);

class Runtime {
 public:
  explicit Runtime(const AgentConfig& cfg);
  ~Runtime();
  // Locks data_dir, loads checkpoints, creates plugins and starts the pipeline.
  bool start(std::string& error);
  void stop();
  Metrics& metrics() { return metrics_; }
  Pipeline* pipeline() { return pipeline_.get(); }
  HealthBoard& health() { return health_; }
  // The port /metrics, /healthz and /readyz listen on; 0 without a server.
  int server_port() const { return server_ ? server_->port() : 0; }
  // Why the agent is not ready (empty: ready): plugin problems and outputs failing too long.
  std::vector<std::string> readiness_problems() const;

 private:
  const AgentConfig& cfg_;
  Metrics metrics_;
  DataDirLock lock_;
  std::unique_ptr<CheckpointStore> checkpoints_;
  std::unique_ptr<coder::Transforms> transforms_;
  std::unique_ptr<Pipeline> pipeline_;
  HealthBoard health_;
  std::unique_ptr<HealthServer> server_;
};

}  // namespace auditrelay
