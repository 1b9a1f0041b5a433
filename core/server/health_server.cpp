#include "core/server/health_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/common/json_writer.h"
#include "core/metrics/metrics.h"
#include "core/server/listen_address.h"

namespace auditrelay {

HealthServer::HealthServer(Metrics& metrics, ReadinessFn readiness, ReloadFn reload)
    : metrics_(metrics), readiness_(std::move(readiness)), reload_(std::move(reload)) {}

HealthServer::~HealthServer() {
  stop();
}

namespace {
// Compares without stopping at the first difference, so the time taken tells nothing of the
// token.
bool same_secret(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  return diff == 0;
}
}  // namespace

bool HealthServer::start(const std::string& listen, std::string& error) {
  auto address = parse_listen_address(listen, error);
  if (!address) {
    error = "server.listen: " + error;
    return false;
  }
  const std::string& host = address->host;
  int port = address->port;
  server_ = std::make_unique<httplib::Server>();
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would let a second agent
  // bind the same port silently.
  server_->set_socket_options([](auto sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    if (on_scrape_) on_scrape_();
    res.set_content(metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    std::vector<std::string> problems = readiness_();
    if (problems.empty()) {
      res.set_content("ready\n", "text/plain");
      return;
    }
    std::string body = "not ready:\n";
    for (const auto& p : problems) body += "  " + p + "\n";
    res.status = 503;
    res.set_content(body, "text/plain");
  });
  // POST /reload: re-reads the config file like SIGHUP; 200 with what changed, or 400 with the
  // problems (the running configuration is kept).
  // A handler that takes a ContentReader runs before cpp-httplib reads a body, so a POST with no
  // Content-Length (`curl -X POST .../reload`) is served instead of refused with an empty 400.
  // A body carries nothing and is not read (cpp-httplib still keeps the connection in step).
  server_->Post("/reload", [this](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader&) {
    if (!reload_) {
      res.status = 404;
      return;
    }
    if (!authorized(req, res, "POST /reload")) return;
    std::string report;
    bool ok = reload_(report);
    res.status = ok ? 200 : 400;
    res.set_content(report, "text/plain");
  });
  add_tap_route();
  // A tap client may stop reading for a while (a paused terminal): its connection is kept this
  // long, while the agent drops what it cannot take.
  server_->set_write_timeout(std::chrono::seconds(kTapStallSeconds));
  port_ =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) {
    error = "server.listen: cannot listen on " + listen + ": " + std::strerror(errno);
    server_.reset();
    return false;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib loses a stop() that comes before its loop runs (the join would then hang), so
  // start returns only once it serves.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spdlog::info("serving /metrics, /healthz, /readyz, POST /reload{} on {}:{}",
               open_tap_ && tap_enabled_ ? " and GET /tap" : "", host, port_);
  return true;
}

bool HealthServer::authorized(const httplib::Request& req, httplib::Response& res,
                              const char* what) const {
  if (reload_token_.empty() ||
      same_secret(req.get_header_value("Authorization"), "Bearer " + reload_token_))
    return true;
  spdlog::warn("{} from {} refused: no valid bearer token (server.token)", what, req.remote_addr);
  res.status = 401;
  res.set_header("WWW-Authenticate", "Bearer");
  res.set_content(std::string("unauthorized: ") + what +
                      " needs Authorization: Bearer <server.token> (--token-file FILE)\n",
                  "text/plain");
  return false;
}

void HealthServer::serve_tap(TapFn open, bool enabled, std::string why_off) {
  open_tap_ = std::move(open);
  tap_enabled_ = enabled;
  tap_off_reason_ = std::move(why_off);
}

namespace {
// What the server writes besides events: one JSON object per line under a key no event has.
constexpr std::string_view kTapHello = "{\"auditrelay_tap\":{\"streaming\":true}}\n";
std::string tap_dropped_notice(uint64_t n) {
  return "{\"auditrelay_tap\":{\"dropped\":" + std::to_string(n) + "}}\n";
}
std::string tap_closed_notice(const std::string& reason) {
  std::string notice = "{\"auditrelay_tap\":{\"closed\":";
  json_string_append(notice, reason);
  return notice + "}}\n";
}
// Written in pieces, checking between them that the stream is still open: a client that reads
// slowly then holds up the agent's stop for one piece at most.
constexpr size_t kTapWritePiece = 64 * 1024;
// A quiet stream writes an empty line this often, so that a client gone away is noticed.
constexpr auto kTapKeepAlive = std::chrono::seconds(10);
constexpr auto kTapPoll = std::chrono::milliseconds(250);
}  // namespace

void HealthServer::add_tap_route() {
  server_->Get("/tap", [this](const httplib::Request& req, httplib::Response& res) {
    if (!open_tap_) {
      res.status = 404;
      return;
    }
    if (!tap_enabled_) {
      res.status = 403;
      res.set_content("forbidden: " + tap_off_reason_ + "\n", "text/plain");
      return;
    }
    if (!authorized(req, res, "GET /tap")) return;
    if (taps_.fetch_add(1) >= kMaxTaps) {
      --taps_;
      res.status = 503;
      res.set_content("too many taps: at most " + std::to_string(kMaxTaps) + " at once\n",
                      "text/plain");
      return;
    }
    std::string error;
    OpenedTap tap = open_tap_({req.get_param_value("match"), req.get_param_value("input"),
                               req.get_param_value("output"), req.get_param_value("schema")},
                              error);
    if (!tap.stream) {
      --taps_;
      res.status = 400;
      res.set_content(error + "\n", "text/plain");
      return;
    }
    spdlog::info("tap from {} opened", req.remote_addr);
    struct Connection {
      std::shared_ptr<TapStream> stream;
      std::string lines;
      bool greeted = false;
      std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
    };
    auto conn = std::make_shared<Connection>();
    conn->stream = tap.stream;
    res.set_chunked_content_provider(
        "application/x-ndjson",
        [conn](size_t, httplib::DataSink& sink) {
          auto now = std::chrono::steady_clock::now();
          if (!conn->greeted) {
            conn->greeted = true;
            conn->last_write = now;
            return sink.write(kTapHello.data(), kTapHello.size());
          }
          uint64_t dropped = 0;
          if (!conn->stream->take(conn->lines, dropped, kTapPoll)) {
            std::string why = conn->stream->close_reason();
            if (!why.empty()) {
              std::string notice = tap_closed_notice(why);
              sink.write(notice.data(), notice.size());
            }
            sink.done();
            return true;
          }
          if (dropped) conn->lines += tap_dropped_notice(dropped);
          if (conn->lines.empty() && now - conn->last_write >= kTapKeepAlive) conn->lines = "\n";
          if (!conn->lines.empty()) conn->last_write = now;
          for (size_t at = 0; at < conn->lines.size(); at += kTapWritePiece) {
            if (at && conn->stream->closed()) return false;
            size_t n = std::min(kTapWritePiece, conn->lines.size() - at);
            if (!sink.write(conn->lines.data() + at, n)) return false;
          }
          return true;
        },
        [this, close = std::move(tap.close), from = req.remote_addr](bool) {
          close();
          --taps_;
          spdlog::info("tap from {} closed", from);
        });
  });
}

void HealthServer::stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace auditrelay
