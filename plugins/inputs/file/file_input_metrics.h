#pragma once
// The file input's series (declared for the docs in file_input.cpp's registration).
#include <atomic>
#include <cstdint>
#include <string>

#include "core/metrics/metrics.h"

namespace auditrelay::file_input {

struct FileInputMetrics {
  FileInputMetrics(Metrics& m, const std::string& input)
      : label("input=\"" + input + "\""),
        lines_read(m.counter("auditrelay_lines_read_total", label)),
        bytes_read(m.counter("auditrelay_bytes_read_total", label)),
        reads(m.counter("auditrelay_file_reads_total", label)),
        lines_truncated(m.counter("auditrelay_lines_truncated_total", label)),
        rotations(m.counter("auditrelay_file_rotations_total", label)),
        files_watched(m.gauge("auditrelay_files_watched", label)),
        files_open(m.gauge("auditrelay_files_open", label)),
        read_lag(m.gauge("auditrelay_read_lag_bytes", label)),
        waiting_for_memory(m.gauge("auditrelay_input_waiting_for_memory", label)) {}

  std::string label;
  Metrics::Counter& lines_read;
  Metrics::Counter& bytes_read;
  Metrics::Counter& reads;
  Metrics::Counter& lines_truncated;
  Metrics::Counter& rotations;
  std::atomic<int64_t>& files_watched;
  std::atomic<int64_t>& files_open;
  std::atomic<int64_t>& read_lag;
  std::atomic<int64_t>& waiting_for_memory;
};

}  // namespace auditrelay::file_input
