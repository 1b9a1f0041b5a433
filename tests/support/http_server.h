#pragma once
// A real HTTP(S) server on loopback for output tests: records every request and answers from a
// script (a queue of responses), 200 when the script is empty.
#include <httplib.h>

#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace auditrelay::test {

struct Recorded {
  std::string path, body;  // body already gunzipped by the server when Content-Encoding: gzip
  std::multimap<std::string, std::string> params;
  std::multimap<std::string, std::string, httplib::detail::ci> headers;
  std::string header(const std::string& k) const {
    auto it = headers.find(k);
    return it == headers.end() ? "" : it->second;
  }
};

struct Scripted {
  int status = 200;
  std::string body;
  std::string retry_after;
};

class TestHttpServer {
 public:
  // tls: cert/key files; client_ca: require client certificates signed by it.
  explicit TestHttpServer(const std::string& cert = {}, const std::string& key = {}, const std::string& client_ca = {}) {
    if (cert.empty()) server_ = std::make_unique<httplib::Server>();
    else server_ = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str(), client_ca.empty() ? nullptr : client_ca.c_str());
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      Recorded r{req.path, req.body, {}};
      for (const auto& [k, v] : req.headers) r.headers.emplace(k, v);
      for (const auto& [k, v] : req.params) r.params.emplace(k, v);
      requests_.push_back(std::move(r));
      Scripted s;
      if (dynamic_) {
        s = dynamic_(requests_.back());
      } else if (!script_.empty()) {
        s = script_.front();
        script_.pop_front();
      } else {
        s.body = default_body_;
      }
      res.status = s.status;
      if (!s.retry_after.empty()) res.set_header("Retry-After", s.retry_after);
      res.set_content(s.body, "application/json");
    };
    server_->set_tcp_nodelay(true);
    server_->Post(".*", handler);
    server_->Get(".*", handler);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestHttpServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string url(bool tls = false) const { return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_); }
  void script(Scripted s) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(s));
  }
  // Answers computed from each request (under the server's lock).
  void set_handler(std::function<Scripted(const Recorded&)> f) {
    std::lock_guard lock(mu_);
    dynamic_ = std::move(f);
  }
  void set_default_body(std::string b) {
    std::lock_guard lock(mu_);
    default_body_ = std::move(b);
  }
  std::vector<Recorded> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::deque<Scripted> script_;
  std::vector<Recorded> requests_;
  std::string default_body_;
  std::function<Scripted(const Recorded&)> dynamic_;
};

}  // namespace auditrelay::test
