#include "coder/alerts.h"

#include "core/common/strings.h"

namespace auditrelay::coder {
namespace {

// The logger is `name`, or ends with "." + name.
bool logger_is(std::string_view logger, std::string_view name) {
  if (logger == name) return true;
  return logger.size() > name.size() && logger.ends_with(name) && logger[logger.size() - name.size() - 1] == '.';
}

// Some component of the logger starts with prefix ("provisionerd-", "ext-provisionerd-").
bool component_starts_with(std::string_view logger, std::string_view prefix) {
  size_t start = 0;
  while (start <= logger.size()) {
    if (logger.substr(start).starts_with(prefix)) return true;
    size_t dot = logger.find('.', start);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return false;
}

bool builtin_matches(int index, const Event& e) {
  if (e.severity < Severity::Error) return false;
  switch (index) {
    case 0: return logger_is(e.logger, "coderd") && e.message == "workspace build error";
    case 1:
      return logger_is(e.logger, "autobuild") &&
             (e.message == "workspace build error" || e.message == "failed to transition workspace");
    case 2:
      // coderd.provisionerd-*, provisionerd-* and the external daemons' ext-provisionerd-*.
      return e.logger.starts_with("provisionerd-") || e.logger.starts_with("coderd.provisionerd-") ||
             component_starts_with(e.logger, "ext-provisionerd-");
    case 3: return logger_is(e.logger, "coderd.userauth");
    case 4:
      // The collectors log through whatever logger they are given (FORMATS.md §12.1).
      return logger_is(e.logger, "prometheusmetrics");
  }
  return false;
}

}  // namespace

const std::vector<BuiltinAlert>& builtin_alerts() {
  static const std::vector<BuiltinAlert> kRules = {
      {"workspace_build_error", "Workspace owner is unable to start their workspace."},
      {"autostart_failed", "Autostart failed to initiate the workspace."},
      {"provisioner_job_error", "The provisioner job failed to import the template or build the workspace."},
      {"authentication_error", "Authentication problem: a user may be unable to log in."},
      {"metrics_queue_full", "The metrics aggregator's queue is full and rejects new metrics."},
  };
  return kRules;
}

AlertRules AlertRules::defaults() {
  AlertRules r;
  for (size_t i = 0; i < builtin_alerts().size(); ++i) r.add_builtin(static_cast<int>(i));
  return r;
}

void AlertRules::add_builtin(int index) {
  AlertRule r;
  r.id = builtin_alerts()[static_cast<size_t>(index)].id;
  r.summary = builtin_alerts()[static_cast<size_t>(index)].summary;
  r.builtin = true;
  r.builtin_index = index;
  rules_.push_back(std::move(r));
}

void AlertRules::add_user(std::string id, std::unique_ptr<Query> q, std::string summary) {
  AlertRule r;
  r.id = std::move(id);
  r.summary = std::move(summary);
  r.query = std::move(q);
  rules_.push_back(std::move(r));
}

int AlertRules::apply(Event& e) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = rules_[i];
    bool hit = r.builtin ? builtin_matches(r.builtin_index, e) : (r.query && r.query->matches(e));
    if (hit) {
      e.alert_rule = r.id;
      e.alert_summary = r.summary;
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace auditrelay::coder
