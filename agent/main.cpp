// auditrelay: ships Coder's audit, connection and error logs to Splunk, Kafka and HTTP collectors.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "agent/cli/commands.h"
#include "core/registry/registry.h"
#include "core/common/allocator_tuning.h"

int main(int argc, char** argv) {
  using namespace auditrelay;
  tune_allocator();  // before any thread starts
  CLI::App app{"auditrelay: ships Coder's audit, connection and error logs in the audit/v1 schema"};
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "print the version and exit");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "run the agent until SIGTERM/SIGINT");
  run_cmd->add_option(
      "-c,--config", run.config,
      "config file (default: $AUDITRELAY_CONFIG, then /etc/auditrelay/auditrelay.yaml)");
  run_cmd->add_option("--log-format", run.log_format, "json (default in containers) or text");
  run_cmd->add_option("--log-level", run.log_level, "trace, debug, info (default), warn, error");

  std::string validate_config;
  auto* validate_cmd =
      app.add_subcommand("validate", "check a config file without starting anything");
  validate_cmd->add_option("-c,--config", validate_config, "config file")->required();

  NormalizeArgs norm;
  auto* norm_cmd = app.add_subcommand(
      "normalize", "print events (NDJSON, audit/v1 or --schema) for log lines from files or stdin");
  std::string format_names;
  for (const auto& n : Registry::instance().names(PluginKind::Format))
    format_names += (format_names.empty() ? "" : ", ") + n;
  norm_cmd->add_option("--format", norm.format,
                       format_names +
                           " (default auto); api takes Coder API rows one per line, or whole "
                           "responses as `curl .../api/v2/audit` prints them");
  norm_cmd->add_option("-c,--config", norm.config,
                       "apply this config's redaction, drop and alert settings");
  norm_cmd->add_option("--schema", norm.schema, "audit_v1 (default), ocsf or ecs")
      ->check(CLI::IsMember({"audit_v1", "ocsf", "ecs"}));
  norm_cmd->add_option("files", norm.files, "files to read (default: stdin)");

  app.add_subcommand("version", "print version and build information");

  HealthcheckArgs hc;
  auto* hc_cmd = app.add_subcommand(
      "healthcheck", "exit 0 when a running agent's /healthz (or --url) answers 200");
  hc_cmd->add_option(
      "--url", hc.url,
      "endpoint to ask (default http://127.0.0.1:2020/healthz; /readyz for readiness)");

  ReloadArgs rl;
  auto* reload_cmd = app.add_subcommand(
      "reload", "make a running agent re-read its config (POST /reload); prints what changed");
  reload_cmd->add_option("--url", rl.url, "the agent's server (default http://127.0.0.1:2020)");
  reload_cmd->add_option("--token-file", rl.token_file,
                         "file holding the agent's server.token (default: $AUDITRELAY_SERVER_TOKEN)");

  TapArgs tap;
  auto* tap_cmd = app.add_subcommand(
      "tap", "print live events from a running agent (NDJSON; readable lines on a terminal)");
  tap_cmd->add_option("--url", tap.url, "the agent's server (default http://127.0.0.1:2020)");
  tap_cmd->add_option("--match", tap.match,
                      "only events this filter query matches (Coder's syntax, as outputs' match)");
  auto* tap_output = tap_cmd->add_option("--output", tap.output,
                                         "what this output receives: its routing and its schema");
  tap_cmd->add_option("--input", tap.input, "only events read by this input")->excludes(tap_output);
  tap_cmd->add_option("--schema", tap.schema, "audit_v1 (default, or --output's), ocsf or ecs")
      ->check(CLI::IsMember({"audit_v1", "ocsf", "ecs"}));
  tap_cmd
      ->add_option("--format", tap.format,
                   "json (NDJSON) or text (one line each); default: text on a terminal")
      ->check(CLI::IsMember({"json", "text"}));
  tap_cmd->add_option("--limit", tap.limit, "stop after this many events");
  tap_cmd->add_option("--token-file", tap.token_file,
                      "file holding the agent's server.token (default: $AUDITRELAY_SERVER_TOKEN)");

  TopArgs top;
  auto* top_cmd = app.add_subcommand(
      "top", "a live view of each input and output of a running agent, trouble first");
  top_cmd->add_option("--url", top.url, "the agent's server (default http://127.0.0.1:2020)");
  top_cmd->add_flag("--once", top.once,
                    "print one table and exit (the default when stdout is not a terminal)");
  top_cmd->add_option("--interval", top.interval, "seconds between refreshes (default 1)")
      ->check(CLI::Range(0.1, 3600.0));

  std::string pkind, pname;
  auto* plugins_cmd = app.add_subcommand("plugins", "list plugins, or show one plugin's options");
  plugins_cmd->add_option("kind", pkind, "input, format or output");
  plugins_cmd->add_option("name", pname, "plugin name");

  std::string doc_what;
  auto* docs_cmd = app.add_subcommand("docs", "print generated documentation");
  docs_cmd->add_option("what", doc_what, "config: the configuration reference; metrics: the metrics table of "
                  "docs/operations.md (Markdown)")
      ->required();

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
  if (show_version || app.got_subcommand("version")) return version_command();
  if (app.got_subcommand(run_cmd)) return run_command(run);
  if (app.got_subcommand(validate_cmd)) return validate_command(validate_config);
  if (app.got_subcommand(norm_cmd)) return normalize_command(norm);
  if (app.got_subcommand(hc_cmd)) return healthcheck_command(hc);
  if (app.got_subcommand(reload_cmd)) return reload_command(rl);
  if (app.got_subcommand(tap_cmd)) return tap_command(tap);
  if (app.got_subcommand(top_cmd)) return top_command(top);
  if (app.got_subcommand(plugins_cmd)) return plugins_command(pkind, pname);
  if (app.got_subcommand(docs_cmd)) {
    if (doc_what == "config") {
      std::fputs(config_reference_markdown().c_str(), stdout);
      return 0;
    }
    if (doc_what == "metrics") {
      std::fputs(metrics_reference_markdown().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "auditrelay docs: unknown document '%s' (available: config, metrics)\n",
                 doc_what.c_str());
    return 2;
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
