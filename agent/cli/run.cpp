#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

#include "agent/cli/commands.h"
#include "agent/config/agent_config.h"
#include "core/log/logging.h"
#include "agent/runtime.h"

namespace auditrelay {

std::string default_config_path() {
  if (const char* env = std::getenv("AUDITRELAY_CONFIG"); env && *env) return env;
  return "/etc/auditrelay/auditrelay.yaml";
}

int validate_command(const std::string& config) {
  AgentConfig cfg;
  Diagnostics diags(config);
  if (!load_config_file(config, process_env(), cfg, diags)) {
    std::fputs(diags.to_string().c_str(), stderr);
    std::fprintf(stderr, "%s: %zu problem(s)\n", config.c_str(), diags.items().size());
    return 2;
  }
  std::printf("%s: valid (%zu input(s), %zu output(s))\n", config.c_str(), cfg.inputs.size(),
              cfg.outputs.size());
  return 0;
}

int run_command(const RunArgs& args) {
  std::string err;
  if (!setup_logging(args.log_format, args.log_level, err)) {
    std::fprintf(stderr, "auditrelay: %s\n", err.c_str());
    return 2;
  }
  std::string path = args.config.empty() ? default_config_path() : args.config;
  AgentConfig cfg;
  Diagnostics diags(path);
  if (!load_config_file(path, process_env(), cfg, diags)) {
    std::fputs(diags.to_string().c_str(), stderr);
    spdlog::error("invalid config {}: {} problem(s)", path, diags.items().size());
    return 2;
  }
  // Signals are taken by this thread alone (sigwait); every thread started later inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Runtime runtime(cfg);
  if (!runtime.start(err)) {
    spdlog::error("cannot start: {}", err);
    return 1;
  }
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", path);
      std::string report;
      runtime.reload(report);  // logs what changed, or why the new config was rejected
      continue;
    }
    spdlog::info("{} received: stopping, delivering in-flight batches (up to {} ms)",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT",
                 cfg.pipeline.duration("shutdown_timeout").count());
    break;
  }
  runtime.stop();
  spdlog::info("stopped; checkpoints saved");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace auditrelay
