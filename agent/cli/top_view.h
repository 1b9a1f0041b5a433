#pragma once
// `auditrelay top`: what two scrapes of /metrics say about each input and output, and the
// table that shows it, trouble first.
#include <string>
#include <vector>

#include "agent/cli/metrics_text.h"

namespace auditrelay {

struct TopRow {
  enum class Kind { Input, Output } kind = Kind::Input;
  std::string name;
  double events_per_s = 0;  // input: records read; output: events delivered
  double bytes_per_s = -1;  // input: bytes read; -1: not measured (outputs)
  double retries_per_s = 0, failures_per_s = 0;
  double dead_lettered = 0, dead_lettered_per_s = 0;
  double read_lag_bytes = -1;                      // inputs that measure it
  double buffer_bytes = -1, buffer_max_bytes = 0;  // outputs with a disk buffer
  double acks_pending = 0;
  double failing_seconds = 0;  // outputs: failing with no delivery since, this long
  std::vector<std::string> trouble;  // what is wrong, most serious first; empty: fine
};

struct TopView {
  std::string readiness;  // "ready", or the problems /readyz lists
  bool ready = false;
  double in_flight_bytes = 0, max_in_flight_bytes = 0;
  double normalized_per_s = 0, alerts = 0, alerts_per_s = 0;
  std::vector<TopRow> rows;  // trouble first, then inputs, then outputs, by name
};

TopView make_top_view(const std::vector<MetricSample>& before,
                      const std::vector<MetricSample>& after, double seconds);
// The table, at most `width` columns; colour: ANSI red for trouble.
std::string render_top(const TopView& view, const std::string& agent, bool colour);

}  // namespace auditrelay
