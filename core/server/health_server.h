#pragma once
// The agent's own HTTP endpoints (server.listen, loopback by default), on cpp-httplib:
//   /metrics  Prometheus text exposition of every counter and gauge
//   /healthz  liveness: 200 while the process serves
//   /readyz   readiness: 503 with the reasons while a plugin reports a problem or an output has
//             been failing for longer than server.ready_failure_window
//   POST /reload  re-reads the config (as SIGHUP does): 200 with what changed, 400 with problems;
//                 with server.token set, 401 without `Authorization: Bearer <token>`
//   GET /tap      streams live events as NDJSON (`auditrelay tap`): on a loopback listener, or
//                 with server.tap: true; with server.token set, 401 without the bearer token
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/server/tap_stream.h"

namespace httplib {
class Server;
struct Request;
struct Response;
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

  // GET /tap?match=&input=&output=&schema= (each optional), as the client sent them.
  struct TapRequest {
    std::string match, input, output, schema;
  };
  struct OpenedTap {
    std::shared_ptr<TapStream> stream;  // null: refused, with the reason in error
    std::function<void()> close;        // called once when the connection ends
  };
  using TapFn = std::function<OpenedTap(const TapRequest&, std::string& error)>;
  // Serves GET /tap through open. enabled false: the endpoint answers 403 with why_off.
  void serve_tap(TapFn open, bool enabled, std::string why_off = {});
  // Taps served at once; more are refused with 503 (each holds one of the server's threads).
  static constexpr int kMaxTaps = 4;
  // A tap client that takes no data for this long is disconnected. It is also how long a write
  // to a stalled client may hold up the agent's stop.
  static constexpr int kTapStallSeconds = 15;
  ~HealthServer();
  // Called before each /metrics answer, to set the gauges that are read at scrape time.
  void on_scrape(std::function<void()> refresh) { on_scrape_ = std::move(refresh); }
  // POST /reload and GET /tap then need `Authorization: Bearer <token>` (server.token); empty:
  // open.
  void require_token(std::string token) { reload_token_ = std::move(token); }
  // listen: "host:port" (port 0 picks a free one). false with error set when it cannot bind.
  bool start(const std::string& listen, std::string& error);
  void stop();
  int port() const { return port_; }

 private:
  Metrics& metrics_;
  ReadinessFn readiness_;
  bool authorized(const httplib::Request& req, httplib::Response& res, const char* what) const;
  void add_tap_route();

  ReloadFn reload_;
  std::function<void()> on_scrape_;
  std::string reload_token_;
  TapFn open_tap_;
  bool tap_enabled_ = false;
  std::string tap_off_reason_;
  std::atomic<int> taps_{0};
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace auditrelay
