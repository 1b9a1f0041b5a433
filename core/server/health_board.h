#pragma once
// Readiness reported by plugins: a component (an output, an input's stream) says it cannot do its
// job (a refused token, a missing licence) and when it can again. /readyz fails while any does.
// Written on state changes only, never per event.
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace auditrelay {

class HealthBoard {
 public:
  void fail(const std::string& component, const std::string& why) {
    std::lock_guard lock(mu_);
    failing_[component] = why;
  }
  void ok(const std::string& component) {
    std::lock_guard lock(mu_);
    failing_.erase(component);
  }
  // Forgets every problem of a component and its parts ("input x" also clears "input x (audit)"):
  // a reload removed or replaced it.
  void forget(const std::string& component) {
    std::lock_guard lock(mu_);
    std::erase_if(failing_, [&](const auto& kv) {
      return kv.first == component || kv.first.rfind(component + " (", 0) == 0;
    });
  }
  // "component: why" for every failing component.
  std::vector<std::string> problems() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [c, why] : failing_) out.push_back(c + ": " + why);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> failing_;
};

}  // namespace auditrelay
