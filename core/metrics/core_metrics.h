#pragma once
// The pipeline's own metrics (budget, output driver, disk buffer, acknowledgements, reloads).
#include <vector>

#include "core/metrics/metric_info.h"

namespace auditrelay {

const std::vector<MetricInfo>& core_metrics();

}  // namespace auditrelay
