// auditrelay: ships Coder's audit, connection and error logs to Splunk, Kafka and HTTP collectors.
// The command line: each subcommand registers its flags and what it runs (agent/cli/commands.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/config/agent_config.h"
#include "agent/plugin_names.h"
#include "core/common/allocator_tuning.h"

namespace auditrelay {
namespace {

// A subcommand's parser and what runs when it was given. The parsed arguments live in `run`.
struct Subcommand {
  CLI::App* parser;
  std::function<int()> run;
};

// --token-file of the commands that send the agent's server.token.
const char* const kTokenFileHelp =
    "file holding the agent's server.token (default: $AUDITRELAY_SERVER_TOKEN)";

std::string agent_url_help() {
  return "the agent's server (default " + default_agent_url() + ")";
}

Subcommand add_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "run the agent until SIGTERM/SIGINT");
  cmd->add_option(
      "-c,--config", args->config,
      "config file (default: $AUDITRELAY_CONFIG, then /etc/auditrelay/auditrelay.yaml)");
  cmd->add_option("--log-format", args->log_format, "json (default in containers) or text");
  cmd->add_option("--log-level", args->log_level, "trace, debug, info (default), warn, error");
  return {cmd, [args] { return run_command(*args); }};
}

Subcommand add_validate(CLI::App& app) {
  auto config = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("validate", "check a config file without starting anything");
  cmd->add_option("-c,--config", *config, "config file")->required();
  return {cmd, [config] { return validate_command(*config); }};
}

Subcommand add_normalize(CLI::App& app) {
  auto args = std::make_shared<NormalizeArgs>();
  auto* cmd = app.add_subcommand(
      "normalize", "print events (NDJSON, audit/v1 or --schema) for log lines from files or stdin");
  cmd->add_option("--format", args->format,
                  plugin_name_list(PluginKind::Format) +
                      " (default auto); api takes Coder API rows one per line, or whole "
                      "responses as `curl .../api/v2/audit` prints them");
  cmd->add_option("-c,--config", args->config,
                  "apply this config's redaction, drop and alert settings");
  cmd->add_option("--schema", args->schema, "audit_v1 (default), ocsf or ecs")
      ->check(CLI::IsMember(schema_names()));
  cmd->add_option("files", args->files, "files to read (default: stdin)");
  return {cmd, [args] { return normalize_command(*args); }};
}

Subcommand add_version(CLI::App& app) {
  return {app.add_subcommand("version", "print version and build information"), version_command};
}

Subcommand add_healthcheck(CLI::App& app) {
  auto args = std::make_shared<HealthcheckArgs>();
  auto* cmd = app.add_subcommand("healthcheck",
                                 "exit 0 when a running agent's /healthz (or --url) answers 200");
  cmd->add_option(
      "--url", args->url,
      "endpoint to ask (default " + default_agent_url("/healthz") + "; /readyz for readiness)");
  return {cmd, [args] { return healthcheck_command(*args); }};
}

Subcommand add_reload(CLI::App& app) {
  auto args = std::make_shared<ReloadArgs>();
  auto* cmd = app.add_subcommand(
      "reload", "make a running agent re-read its config (POST /reload); prints what changed");
  cmd->add_option("--url", args->url, agent_url_help());
  cmd->add_option("--token-file", args->token_file, kTokenFileHelp);
  return {cmd, [args] { return reload_command(*args); }};
}

Subcommand add_tap(CLI::App& app) {
  auto args = std::make_shared<TapArgs>();
  auto* cmd = app.add_subcommand(
      "tap", "print live events from a running agent (NDJSON; readable lines on a terminal)");
  cmd->add_option("--url", args->url, agent_url_help());
  cmd->add_option("--match", args->match,
                  "only events this filter query matches (Coder's syntax, as outputs' match)");
  auto* output = cmd->add_option("--output", args->output,
                                 "what this output receives: its routing and its schema");
  cmd->add_option("--input", args->input, "only events read by this input")->excludes(output);
  cmd->add_option("--schema", args->schema, "audit_v1 (default, or --output's), ocsf or ecs")
      ->check(CLI::IsMember(schema_names()));
  cmd->add_option("--format", args->format,
                  "json (NDJSON) or text (one line each); default: text on a terminal")
      ->check(CLI::IsMember({"json", "text"}));
  cmd->add_option("--limit", args->limit, "stop after this many events");
  cmd->add_option("--token-file", args->token_file, kTokenFileHelp);
  return {cmd, [args] { return tap_command(*args); }};
}

Subcommand add_top(CLI::App& app) {
  auto args = std::make_shared<TopArgs>();
  auto* cmd = app.add_subcommand(
      "top", "a live view of each input and output of a running agent, trouble first");
  cmd->add_option("--url", args->url, agent_url_help());
  cmd->add_flag("--once", args->once,
                "print one table and exit (the default when stdout is not a terminal)");
  cmd->add_option("--interval", args->interval, "seconds between refreshes (default 1)")
      ->check(CLI::Range(0.1, 3600.0));
  return {cmd, [args] { return top_command(*args); }};
}

Subcommand add_plugins(CLI::App& app) {
  auto kind = std::make_shared<std::string>(), name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("plugins", "list plugins, or show one plugin's options");
  cmd->add_option("kind", *kind, "input, format or output");
  cmd->add_option("name", *name, "plugin name");
  return {cmd, [kind, name] { return plugins_command(*kind, *name); }};
}

int docs_command(const std::string& what) {
  if (what == "config") {
    std::fputs(config_reference_markdown().c_str(), stdout);
    return 0;
  }
  if (what == "metrics") {
    std::fputs(metrics_reference_markdown().c_str(), stdout);
    return 0;
  }
  std::fprintf(stderr, "auditrelay docs: unknown document '%s' (available: config, metrics)\n",
               what.c_str());
  return 2;
}

Subcommand add_docs(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("docs", "print generated documentation");
  cmd->add_option("what", *what,
                  "config: the configuration reference; metrics: the metrics table of "
                  "docs/operations.md (Markdown)")
      ->required();
  return {cmd, [what] { return docs_command(*what); }};
}

// The order --help lists them in.
std::vector<Subcommand> add_subcommands(CLI::App& app) {
  std::vector<Subcommand> commands;
  for (auto* add : {add_run, add_validate, add_normalize, add_version, add_healthcheck, add_reload,
                    add_tap, add_top, add_plugins, add_docs})
    commands.push_back(add(app));
  return commands;
}

}  // namespace
}  // namespace auditrelay

int main(int argc, char** argv) {
  using namespace auditrelay;
  tune_allocator();  // before any thread starts
  CLI::App app{"auditrelay: ships Coder's audit, connection and error logs in the audit/v1 schema"};
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "print the version and exit");
  std::vector<Subcommand> commands = add_subcommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (show_version) return version_command();
  for (const auto& command : commands)
    if (app.got_subcommand(command.parser)) return command.run();
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
