#pragma once
// Waits for a condition, bounded so a broken build cannot hang CI. Never a timing assertion.
#include <chrono>
#include <thread>

namespace auditrelay::test {

template <typename F>
bool wait_until(F f, std::chrono::seconds limit = std::chrono::seconds(120)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

}  // namespace auditrelay::test
