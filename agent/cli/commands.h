#pragma once
// The command-line verbs of interface.md. Each returns the process exit status.
#include <cstdint>
#include <string>
#include <vector>

namespace auditrelay {

struct RunArgs {
  std::string config;
  std::string log_format, log_level;
};
int run_command(const RunArgs& args);
int validate_command(const std::string& config);

struct NormalizeArgs {
  std::string format = "auto";
  std::string config;
  std::string schema = "audit_v1";
  std::vector<std::string> files;
};
int normalize_command(const NormalizeArgs& args);

// http://<kSuggestedListen><path>: where the commands that ask a running agent look by default.
std::string default_agent_url(const std::string& path = {});

struct HealthcheckArgs {
  std::string url = default_agent_url("/healthz");
};
// 0 when the agent at url answers 200; 1 otherwise; 2 on a bad url.
int healthcheck_command(const HealthcheckArgs& args);

struct ReloadArgs {
  std::string url = default_agent_url("/reload");
  std::string token_file;  // server.token of the agent; else $AUDITRELAY_SERVER_TOKEN
};
// POST /reload: 0 when the agent reloaded (what changed on stdout), 1 when it refused (the
// problems on stderr) or cannot be reached, 2 on a bad url.
int reload_command(const ReloadArgs& args);

struct TapArgs {
  std::string url = default_agent_url();
  std::string match, output, input, schema;
  std::string format;  // json, text; empty: text on a terminal, json otherwise
  uint64_t limit = 0;  // stop after this many events; 0: until Ctrl-C
  std::string token_file;
};
// GET /tap: prints live events until --limit or Ctrl-C; 1 when refused or unreachable.
int tap_command(const TapArgs& args);

struct TopArgs {
  std::string url = default_agent_url();
  bool once = false;  // one table (two scrapes `interval` apart), also when stdout is no terminal
  double interval = 1.0;  // seconds between scrapes
};
// A live view of each input and output from /metrics and /readyz.
int top_command(const TopArgs& args);

int version_command();
// Lists plugins, or one plugin's options (kind: input|output|format).
int plugins_command(const std::string& kind, const std::string& name);
// Markdown configuration reference generated from the option tables.
std::string config_reference_markdown();
// Every metric the core, the processor and the plugins declare, as docs/operations.md shows them.
std::string metrics_reference_markdown();

// $AUDITRELAY_CONFIG, then /etc/auditrelay/auditrelay.yaml.
std::string default_config_path();

}  // namespace auditrelay
