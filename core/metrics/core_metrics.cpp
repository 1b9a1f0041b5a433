#include "core/metrics/core_metrics.h"

namespace auditrelay {

std::string_view metric_type_name(MetricType t) {
  switch (t) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
  }
  return "untyped";
}

std::string metrics_markdown(const std::vector<MetricInfo>& metrics) {
  std::string md = "| metric | type | labels | meaning |\n|---|---|---|---|\n";
  for (const auto& m : metrics) {
    std::string labels;
    if (!m.labels.empty()) labels = "`" + m.labels + "`";
    for (size_t at = 0; (at = labels.find(", ", at)) != std::string::npos; at += 5)
      labels.replace(at, 2, "`, `");
    md += "| `" + m.name + "` | " + std::string(metric_type_name(m.type)) + " | " + labels + " | " +
          m.help + " |\n";
  }
  return md;
}

const std::vector<MetricInfo>& core_metrics() {
  using enum MetricType;
  static const std::vector<MetricInfo> k = {
      {"auditrelay_bytes_in_flight", Gauge, "", "memory budget in use (`pipeline.max_in_flight`)"},
      {"auditrelay_max_in_flight_bytes", Gauge, "",
       "the memory budget, `pipeline.max_in_flight` (a reload that changes it applies at restart)"},
      {"auditrelay_input_waiting_for_memory", Gauge, "input",
       "1 while the input waits for room in `pipeline.max_in_flight` (an output is slow or down)"},
      {"auditrelay_output_events_sent_total", Counter, "output",
       "events acknowledged by the destination (dead-lettered events are not counted here)"},
      {"auditrelay_output_batches_sent_total", Counter, "output",
       "batches acknowledged by the destination"},
      {"auditrelay_output_send_failures_total", Counter, "output",
       "failed attempts (transport errors, retryable answers)"},
      {"auditrelay_output_retries_total", Counter, "output", "attempts sent again after a failure"},
      {"auditrelay_output_events_dead_lettered_total", Counter, "output",
       "events the destination refused for good, written to `<data_dir>/dlq/<output>.ndjson`"},
      {"auditrelay_output_delivery_latency_seconds", Histogram, "output",
       "from a batch being read to the destination acknowledging it"},
      {"auditrelay_output_failing_seconds", Gauge, "output",
       "how long the output has been failing: seconds since a send failed with no delivery since "
       "(0 while it delivers; read at each scrape)"},
      {"auditrelay_output_acks_pending", Gauge, "output",
       "batches awaiting the destination's acknowledgement (Splunk `indexer_ack`)"},
      {"auditrelay_output_ack_timeouts_total", Counter, "output",
       "batches not acknowledged within `ack_timeout`, sent again"},
      {"auditrelay_output_ack_spill_bytes", Gauge, "output",
       "events of batches awaiting acknowledgement, kept on disk under `<data_dir>/ack_spill/`"},
      {"auditrelay_buffer_bytes", Gauge, "output", "disk buffer size"},
      {"auditrelay_buffer_max_bytes", Gauge, "output",
       "the disk buffer's `buffer.max_size`: `when_full` applies when `auditrelay_buffer_bytes` "
       "reaches it"},
      {"auditrelay_buffer_dropped_bytes_total", Counter, "output",
       "disk buffer data deleted by `when_full: drop_oldest`"},
      {"auditrelay_buffer_corrupt_records_total", Counter, "output",
       "disk buffer records that failed their checksum (skipped)"},
      {"auditrelay_config_reloads_total", Counter, "result",
       "reloads (SIGHUP, POST /reload) by `result`: `success` or `failure`"},
      {"auditrelay_config_last_reload_successful", Gauge, "",
       "1 when the last reload (or the start) applied its config, 0 when it was rejected"},
      {"auditrelay_ready", Gauge, "",
       "1 when `/readyz` would answer ready, 0 with a problem (evaluated at each scrape)"},
      {"auditrelay_tap_clients", Gauge, "", "`auditrelay tap` clients streaming now"},
      {"auditrelay_tap_events_dropped_total", Counter, "",
       "events a tap client was too slow to take (dropped for that client only; delivery is not "
       "slowed)"},
  };
  return k;
}

}  // namespace auditrelay
