#include "agent/cli/top_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace auditrelay {
namespace {

// name -> label value (of `label`) -> summed value.
using ByLabel = std::map<std::string, std::map<std::string, double>>;

ByLabel index_by(const std::vector<MetricSample>& samples, const std::string& label) {
  ByLabel out;
  for (const auto& s : samples)
    if (auto it = s.labels.find(label); it != s.labels.end()) out[s.name][it->second] += s.value;
  return out;
}

double value_of(const ByLabel& m, const std::string& metric, const std::string& key,
                double missing = 0) {
  auto it = m.find(metric);
  if (it == m.end()) return missing;
  auto v = it->second.find(key);
  return v == it->second.end() ? missing : v->second;
}

double total(const std::vector<MetricSample>& samples, const std::string& name) {
  double sum = 0;
  for (const auto& s : samples)
    if (s.name == name) sum += s.value;
  return sum;
}

struct Rates {
  const ByLabel &before, &after;
  double seconds;
  // A counter's rate; a counter that went down (the agent restarted) counts from 0.
  double per_s(const std::string& metric, const std::string& key) const {
    double now = value_of(after, metric, key), then = value_of(before, metric, key);
    return (now >= then ? now - then : now) / seconds;
  }
};

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string human_rate(double r) {
  char buf[32];
  if (r == 0) return "0";
  std::snprintf(buf, sizeof buf, r >= 100 ? "%.0f" : r >= 10 ? "%.1f" : "%.2f", r);
  return buf;
}

// Every value the label takes, in any metric.
std::vector<std::string> label_values(const ByLabel& m) {
  std::map<std::string, bool> names;
  for (const auto& [metric, by] : m)
    for (const auto& [name, v] : by) names[name] = true;
  std::vector<std::string> out;
  for (const auto& [name, _] : names) out.push_back(name);
  return out;
}

void input_rows(const Rates& r, std::vector<TopRow>& rows) {
  static const char* kRead[] = {"auditrelay_lines_read_total",
                                "auditrelay_journal_records_read_total",
                                "auditrelay_coder_api_events_total"};
  for (const auto& name : label_values(r.after)) {
    TopRow row;
    row.kind = TopRow::Kind::Input;
    row.name = name;
    for (const char* m : kRead) row.events_per_s += r.per_s(m, name);
    row.bytes_per_s = r.per_s("auditrelay_bytes_read_total", name);
    row.read_lag_bytes = value_of(r.after, "auditrelay_read_lag_bytes", name, -1);
    if (value_of(r.after, "auditrelay_input_waiting_for_memory", name) > 0)
      row.trouble.push_back("waiting for memory (an output is slow)");
    double lag_then = value_of(r.before, "auditrelay_read_lag_bytes", name, -1);
    if (row.read_lag_bytes > 0 && row.read_lag_bytes > lag_then && lag_then >= 0)
      row.trouble.push_back("read lag growing");
    if (r.per_s("auditrelay_coder_api_errors_total", name) > 0)
      row.trouble.push_back("Coder API polls failing");
    rows.push_back(std::move(row));
  }
}

void output_rows(const Rates& r, std::vector<TopRow>& rows) {
  for (const auto& name : label_values(r.after)) {
    TopRow row;
    row.kind = TopRow::Kind::Output;
    row.name = name;
    row.events_per_s = r.per_s("auditrelay_output_events_sent_total", name);
    row.retries_per_s = r.per_s("auditrelay_output_retries_total", name);
    row.failures_per_s = r.per_s("auditrelay_output_send_failures_total", name);
    row.dead_lettered = value_of(r.after, "auditrelay_output_events_dead_lettered_total", name);
    row.dead_lettered_per_s = r.per_s("auditrelay_output_events_dead_lettered_total", name);
    row.acks_pending = value_of(r.after, "auditrelay_output_acks_pending", name);
    row.buffer_bytes = value_of(r.after, "auditrelay_buffer_bytes", name, -1);
    row.buffer_max_bytes = value_of(r.after, "auditrelay_buffer_max_bytes", name);
    row.failing_seconds = value_of(r.after, "auditrelay_output_failing_seconds", name);
    if (row.failing_seconds > 0)
      row.trouble.push_back("failing for " +
                            std::to_string(static_cast<int64_t>(row.failing_seconds)) + " s");
    else if (row.failures_per_s > 0)
      row.trouble.push_back("sends failing");
    if (row.dead_lettered_per_s > 0) row.trouble.push_back("dead-lettering");
    if (row.buffer_max_bytes > 0 && row.buffer_bytes >= 0.8 * row.buffer_max_bytes)
      row.trouble.push_back("disk buffer nearly full");
    rows.push_back(std::move(row));
  }
}

}  // namespace

TopView make_top_view(const std::vector<MetricSample>& before,
                      const std::vector<MetricSample>& after, double seconds) {
  TopView v;
  seconds = std::max(seconds, 1e-3);
  ByLabel in_before = index_by(before, "input"), in_after = index_by(after, "input");
  ByLabel out_before = index_by(before, "output"), out_after = index_by(after, "output");
  input_rows(Rates{in_before, in_after, seconds}, v.rows);
  output_rows(Rates{out_before, out_after, seconds}, v.rows);
  std::stable_sort(v.rows.begin(), v.rows.end(), [](const TopRow& a, const TopRow& b) {
    return a.trouble.size() > b.trouble.size();
  });
  v.in_flight_bytes = total(after, "auditrelay_bytes_in_flight");
  v.max_in_flight_bytes = total(after, "auditrelay_max_in_flight_bytes");
  auto rate = [&](const char* name) {
    double now = total(after, name), then = total(before, name);
    return (now >= then ? now - then : now) / seconds;
  };
  v.normalized_per_s = rate("auditrelay_events_normalized_total");
  v.alerts = total(after, "auditrelay_alert_events_total");
  v.alerts_per_s = rate("auditrelay_alert_events_total");
  return v;
}

std::string render_top(const TopView& v, const std::string& agent, bool colour) {
  const char* red = colour ? "\033[31m" : "";
  const char* bold = colour ? "\033[1m" : "";
  const char* reset = colour ? "\033[0m" : "";
  std::string out = std::string(bold) + "auditrelay " + agent + reset + "  " +
                    (v.ready ? "" : red) + v.readiness + (v.ready ? "" : reset) + "\n";
  char line[512];
  double pct = v.max_in_flight_bytes > 0 ? 100 * v.in_flight_bytes / v.max_in_flight_bytes : 0;
  std::snprintf(
      line, sizeof line, "in flight %s of %s (%.0f%%)   normalized %s/s   alerts %.0f (%s/s)\n\n",
      human_bytes(v.in_flight_bytes).c_str(), human_bytes(v.max_in_flight_bytes).c_str(), pct,
      human_rate(v.normalized_per_s).c_str(), v.alerts, human_rate(v.alerts_per_s).c_str());
  out += line;
  std::snprintf(line, sizeof line, "%s%-6s %-20s %10s %11s %9s %9s %8s %-22s %s%s\n", bold, "KIND",
                "NAME", "EVENTS/S", "BYTES/S", "RETRIES/S", "FAILED/S", "DLQ", "LAG / BUFFER",
                "STATE", reset);
  out += line;
  for (const auto& r : v.rows) {
    bool in = r.kind == TopRow::Kind::Input;
    std::string lag_or_buffer;
    if (in && r.read_lag_bytes >= 0) lag_or_buffer = "lag " + human_bytes(r.read_lag_bytes);
    if (!in && r.buffer_bytes >= 0)
      lag_or_buffer =
          "buffer " + human_bytes(r.buffer_bytes) + " of " + human_bytes(r.buffer_max_bytes);
    if (!in && r.acks_pending > 0)
      lag_or_buffer += (lag_or_buffer.empty() ? "" : ", ") +
                       std::to_string(static_cast<int64_t>(r.acks_pending)) + " acks";
    std::string state = "ok";
    if (!r.trouble.empty()) {
      state.clear();
      for (const auto& t : r.trouble) state += (state.empty() ? "" : "; ") + t;
    }
    std::snprintf(line, sizeof line, "%-6s %-20s %10s %11s %9s %9s %8s %-22s %s%s%s\n",
                  in ? "input" : "output", r.name.c_str(), human_rate(r.events_per_s).c_str(),
                  r.bytes_per_s >= 0 ? (human_bytes(r.bytes_per_s) + "/s").c_str() : "-",
                  in ? "-" : human_rate(r.retries_per_s).c_str(),
                  in ? "-" : human_rate(r.failures_per_s).c_str(),
                  in ? "-" : std::to_string(static_cast<int64_t>(r.dead_lettered)).c_str(),
                  lag_or_buffer.c_str(), r.trouble.empty() ? "" : red, state.c_str(),
                  r.trouble.empty() ? "" : reset);
    out += line;
  }
  if (v.rows.empty()) out += "(no inputs or outputs reported yet)\n";
  return out;
}

}  // namespace auditrelay
