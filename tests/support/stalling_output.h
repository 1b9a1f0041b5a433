#pragma once
// Output `test_stall` for tests in this process: holds every batch while `stalled` is set, then
// counts what it delivered. Registered once per test program that includes this header.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "core/plugin/output.h"
#include "core/registry/registry.h"

namespace auditrelay::test {

struct StallingOutputControl {
  std::atomic<bool> stalled{false};
  std::atomic<size_t> delivered{0};
};
inline StallingOutputControl g_stalling_output;

class StallingOutput final : public Output {
 public:
  SendResult send(const OutBatch& b) override {
    while (g_stalling_output.stalled.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    g_stalling_output.delivered += b.events.size();
    return SendResult::delivered();
  }
};

inline const bool kStallingOutputRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "test_stall",
    .summary = "test output that can stall",
    .make_output = [](const PluginContext&, const Options&) -> std::unique_ptr<Output> {
      return std::make_unique<StallingOutput>();
    },
});

}  // namespace auditrelay::test
