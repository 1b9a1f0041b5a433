#include "core/common/time_source.h"

#include <thread>

namespace auditrelay {

TimeSource& TimeSource::steady() {
  static SteadyTimeSource clock;  // no state: one instance serves every caller
  return clock;
}

void SteadyTimeSource::sleep_for(duration d) {
  std::this_thread::sleep_for(d);
}

}  // namespace auditrelay
