#pragma once
// A Coder REST API on loopback with the documented semantics (FORMATS.md §10, §11):
// /api/v2/audit and /api/v2/connectionlog, Coder-Session-Token, q with date_from / date_to
// (day granular, date_to inclusive), connected_after / connected_before and status, limit
// (0 = 100) and offset, newest first, count capped at count_cap + 1.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/common/time.h"

namespace auditrelay::test {

class FakeCoder {
 public:
  using json = nlohmann::json;

  FakeCoder() {
    server_.Get("/api/v2/audit", [this](const httplib::Request& q, httplib::Response& r) { serve(q, r, true); });
    server_.Get("/api/v2/connectionlog", [this](const httplib::Request& q, httplib::Response& r) { serve(q, r, false); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeCoder() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void add_audit(json row) {
    std::lock_guard lock(mu_);
    audit_.push_back(std::move(row));
  }
  // For on_request hooks, which run under the server's lock.
  void add_audit_locked(json row) { audit_.push_back(std::move(row)); }
  void add_connection(json row) {
    std::lock_guard lock(mu_);
    connections_.push_back(std::move(row));
  }
  // Changes the connection row with this id in place (a disconnect filled in later).
  void update_connection(const std::string& id, const std::function<void(json&)>& f) {
    std::lock_guard lock(mu_);
    for (auto& r : connections_)
      if (r["id"] == id) f(r);
  }
  void set_token(std::string t) {
    std::lock_guard lock(mu_);
    token_ = std::move(t);
  }
  void set_premium(bool p) {
    std::lock_guard lock(mu_);
    premium_ = p;
  }
  // Called for every page request (under the lock) before it is answered; may add rows or
  // replace the answer (return true with status/body set).
  void on_request(std::function<bool(bool audit, int& status, std::string& body)> f) {
    std::lock_guard lock(mu_);
    hook_ = std::move(f);
  }
  size_t requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<std::string> queries() const {
    std::lock_guard lock(mu_);
    return queries_;
  }

 private:
  static std::vector<std::pair<std::string, std::string>> terms(std::string q) {
    std::transform(q.begin(), q.end(), q.begin(), [](unsigned char c) { return std::tolower(c); });
    std::vector<std::pair<std::string, std::string>> out;
    std::string cur;
    bool quoted = false;
    auto flush = [&] {
      size_t colon = cur.find(':');
      if (colon != std::string::npos) {
        std::string v = cur.substr(colon + 1);
        v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
        out.emplace_back(cur.substr(0, colon), v);
      }
      cur.clear();
    };
    for (char c : q) {
      if (c == '"') quoted = !quoted;
      if (c == ' ' && !quoted) flush();
      else cur += c;
    }
    flush();
    return out;
  }

  static Timestamp time_of(const json& row, bool audit) {
    Timestamp t;
    parse_rfc3339(row[audit ? "time" : "connect_time"].get<std::string>(), t);
    return t;
  }

  void serve(const httplib::Request& req, httplib::Response& res, bool audit) {
    std::lock_guard lock(mu_);
    ++requests_;
    int status = 200;
    std::string body;
    if (hook_ && hook_(audit, status, body)) {
      res.status = status;
      res.set_content(body, "application/json");
      return;
    }
    if (req.get_header_value("Coder-Session-Token") != token_) {
      res.status = 401;
      res.set_content(R"({"message":"You must be logged in to use this endpoint."})", "application/json");
      return;
    }
    if (!audit && !premium_) {
      res.status = 403;
      res.set_content(R"({"message":"Forbidden."})", "application/json");
      return;
    }
    std::string q = req.get_param_value("q");
    queries_.push_back(q);
    int64_t limit = req.has_param("limit") ? std::stoll(req.get_param_value("limit")) : 0;
    int64_t offset = req.has_param("offset") ? std::stoll(req.get_param_value("offset")) : 0;
    if (limit <= 0) limit = 100;
    std::vector<const json*> match;
    const auto& rows = audit ? audit_ : connections_;
    for (const auto& r : rows) {
      Timestamp t = time_of(r, audit);
      bool ok = true;
      for (const auto& [k, v] : terms(q)) {
        Timestamp bound;
        if (k == "date_from" && parse_date(v, bound)) ok = ok && !t.before(bound);
        else if (k == "date_to" && parse_date(v, bound)) ok = ok && t.seconds < bound.seconds + 86400;
        else if (k == "connected_after" && parse_rfc3339(v, bound)) ok = ok && !t.before(bound);
        else if (k == "connected_before" && parse_rfc3339(v, bound)) ok = ok && t.before(bound);
        else if (k == "status") {
          bool done = r.contains("ssh_info") ? r["ssh_info"].contains("disconnect_time") : true;
          ok = ok && (v == "completed" ? done : !done);
        } else if (k == "resource_type") {
          ok = ok && r.value("resource_type", "") == v;
        }
      }
      if (ok) match.push_back(&r);
    }
    std::stable_sort(match.begin(), match.end(),
                     [&](const json* a, const json* b) { return time_of(*b, audit).before(time_of(*a, audit)); });
    json page = json::array();
    for (int64_t i = offset; i < static_cast<int64_t>(match.size()) && i < offset + limit; ++i) page.push_back(*match[i]);
    json out;
    out[audit ? "audit_logs" : "connection_logs"] = page;
    out["count"] = std::min<size_t>(match.size(), 2001);
    out["count_cap"] = 2000;
    res.set_content(out.dump(), "application/json");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<json> audit_, connections_;
  std::string token_ = "secret-token";
  bool premium_ = true;
  std::function<bool(bool, int&, std::string&)> hook_;
  size_t requests_ = 0;
  std::vector<std::string> queries_;
};

}  // namespace auditrelay::test
