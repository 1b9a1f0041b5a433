#pragma once
// Alert rules: Coder's guidance on which error logs to alert on (audit-schema.md "Alerts"), plus
// user rules written as filter queries. The first matching rule tags the event.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "coder/event/event.h"
#include "coder/query.h"

namespace auditrelay::coder {

struct AlertRule {
  std::string id;
  std::string summary;
  bool builtin = false;
  // Built-ins are matched by code (logger suffix rules); user rules by query.
  std::unique_ptr<Query> query;
  int builtin_index = -1;
};

struct BuiltinAlert {
  const char* id;
  const char* summary;
};
const std::vector<BuiltinAlert>& builtin_alerts();

class AlertRules {
 public:
  AlertRules() = default;
  // All built-ins enabled.
  static AlertRules defaults();
  void add_builtin(int index);
  void add_user(std::string id, std::unique_ptr<Query> q, std::string summary);
  // Tags e (alert_rule, alert_summary) with the first rule that matches; returns its index or -1.
  int apply(Event& e) const;
  const std::vector<AlertRule>& rules() const { return rules_; }

 private:
  std::vector<AlertRule> rules_;
};

}  // namespace auditrelay::coder
