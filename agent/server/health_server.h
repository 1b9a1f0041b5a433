#pragma once
// The agent's own HTTP endpoints (server.listen, loopback by default), on cpp-httplib:
//   /metrics  Prometheus text exposition of every counter and gauge
//   /healthz  liveness: 200 while the process serves
//   /readyz   readiness: 503 with the reasons while a plugin reports a problem or an output has
//             been failing for longer than server.ready_failure_window
//   POST /reload  re-reads the config (as SIGHUP does): 200 with what changed, 400 with problems;
//                 with server.token set, 401 without `Authorization: Bearer <token>`
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace auditrelay {

class Metrics;

class HealthServer {
 public:
  // Returns the problems that make the agent not ready (empty: ready).
  using ReadinessFn = std::function<std::vector<std::string>()>;
  // Reloads the config; false with the problems in the report when it was rejected.
  using ReloadFn = std::function<bool(std::string& report)>;
  HealthServer(Metrics& metrics, ReadinessFn readiness, ReloadFn reload = {});
  ~HealthServer();
  // POST /reload then needs `Authorization: Bearer <token>` (server.token); empty: open.
  void require_token(std::string token) { reload_token_ = std::move(token); }
  // listen: "host:port" (port 0 picks a free one). false with error set when it cannot bind.
  bool start(const std::string& listen, std::string& error);
  void stop();
  int port() const { return port_; }

 private:
  Metrics& metrics_;
  ReadinessFn readiness_;
  ReloadFn reload_;
  std::string reload_token_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace auditrelay
