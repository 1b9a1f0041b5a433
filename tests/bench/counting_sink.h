#pragma once
// A counting HTTP/1.1 sink for benchmarks: one epoll thread on loopback that answers every POST
// with 200 and counts the events in the bodies: newline-terminated lines (NDJSON, HEC raw), or
// the envelopes of a Splunk HEC /services/collector/event body (`{"time":` opens each one; those
// bodies are buffered so a marker split across reads is still seen). It does as little as
// possible per byte (one count over what read() returned), so on a 2-core machine the agent under
// test gets nearly a whole core of its own; cpp-httplib's sink copied every body and spent most of
// the other core. Requests must carry Content-Length (auditrelay's client always sends it).
// With an acknowledgement delay it also plays Splunk's indexer acknowledgement: each HEC event
// request gets an ackId, which /services/collector/ack reports true once the delay has passed;
// acknowledged() counts the events of the ids reported true.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace auditrelay::bench {

class CountingHttpSink {
 public:
  // on_body, when set, sees each complete request body (the latency probe reads its events);
  // without it bodies are counted as they stream in and never buffered.
  explicit CountingHttpSink(std::function<void(std::string_view)> on_body = {},
                            std::chrono::milliseconds ack_delay = std::chrono::milliseconds(-1))
      : on_body_(std::move(on_body)), ack_delay_(ack_delay) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_, 128) != 0)
      throw std::runtime_error("counting sink: cannot listen on loopback");
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    watch(listen_fd_);
    watch(stop_fd_);
    thread_ = std::thread([this] { loop(); });
  }
  ~CountingHttpSink() {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
    thread_.join();
    for (auto& [fd, c] : conns_) close(fd);
    close(listen_fd_);
    close(stop_fd_);
    close(epoll_fd_);
  }
  CountingHttpSink(const CountingHttpSink&) = delete;
  CountingHttpSink& operator=(const CountingHttpSink&) = delete;

  int port() const { return port_; }
  size_t events() const { return events_.load(std::memory_order_relaxed); }
  size_t requests() const { return requests_.load(std::memory_order_relaxed); }
  size_t acknowledged() const { return acked_events_.load(std::memory_order_relaxed); }
  void reset() {
    events_ = 0;
    acked_events_ = 0;
  }

 private:
  struct Conn {
    std::string head;  // request line and headers until the blank line
    size_t body_left = 0;
    bool in_body = false;
    bool is_post = false;
    bool hec_events = false;  // a HEC event endpoint body: envelopes, not lines
    bool hec_ack = false;     // a HEC acknowledgement poll
    bool bulk = false;        // an Elasticsearch _bulk body: two lines per event
    bool otlp = false;        // an OTLP/HTTP logs request (protobuf, or JSON when it starts with '{')
    std::string body;         // only when on_body_ is set or for HEC envelopes
  };

  void watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }

  void loop() {
    std::vector<char> buf(1 << 20);
    epoll_event evs[64];
    for (;;) {
      int n = epoll_wait(epoll_fd_, evs, 64, -1);
      for (int i = 0; i < n; ++i) {
        int fd = evs[i].data.fd;
        if (fd == stop_fd_) return;
        if (fd == listen_fd_) {
          for (int c;
               (c = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
            int one = 1;
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            conns_[c];
            watch(c);
          }
          continue;
        }
        ssize_t got = read(fd, buf.data(), buf.size());
        if (got <= 0) {
          if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
          close(fd);
          conns_.erase(fd);
          continue;
        }
        consume(fd, conns_[fd], std::string_view(buf.data(), static_cast<size_t>(got)));
      }
    }
  }

  // Feeds received bytes through the request state machine; several requests may be in one read.
  void consume(int fd, Conn& c, std::string_view data) {
    while (!data.empty()) {
      if (!c.in_body) {
        size_t before = c.head.size();
        c.head.append(data);
        size_t end = c.head.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
        if (end == std::string::npos) return;
        size_t used = end + 4 - before;
        data.remove_prefix(used);
        c.head.resize(end + 2);
        c.is_post = c.head.compare(0, 5, "POST ") == 0;
        c.hec_events = c.is_post && c.head.find("/services/collector/event") < c.head.find("\r\n");
        c.hec_ack = c.is_post && c.head.find("/services/collector/ack") < c.head.find("\r\n");
        c.bulk = c.is_post && c.head.find("/_bulk") < c.head.find("\r\n");
        c.otlp = c.is_post && c.head.find("/v1/logs") < c.head.find("\r\n");
        c.body_left = content_length(c.head);
        c.in_body = true;
        c.body.clear();
      }
      size_t take = std::min(c.body_left, data.size());
      std::string_view part = data.substr(0, take);
      if (on_body_ || c.hec_events || c.hec_ack || c.otlp)
        c.body.append(part);
      else if (c.bulk)  // an action line and a document per event
        bulk_lines_ += static_cast<size_t>(std::count(part.begin(), part.end(), '\n'));
      else
        events_.fetch_add(static_cast<size_t>(std::count(part.begin(), part.end(), '\n')),
                          std::memory_order_relaxed);
      c.body_left -= take;
      data.remove_prefix(take);
      if (c.body_left == 0) respond(fd, c);
    }
  }

  void respond(int fd, Conn& c) {
    // HEC answers in JSON; the health check is a GET. Plain collectors ignore the body.
    std::string body =
        c.is_post ? R"({"text":"Success","code":0})" : R"({"text":"HEC is healthy","code":17})";
    if (c.hec_events) {
      size_t n = 0;
      for (size_t p = c.body.find(R"({"time":)"); p != std::string::npos;
           p = c.body.find(R"({"time":)", p + 1))
        ++n;
      if (on_body_) on_body_(c.body);
      events_.fetch_add(n, std::memory_order_relaxed);
      if (ack_delay_.count() >= 0) {
        uint64_t id = next_ack_id_++;
        unacked_[id] = {std::chrono::steady_clock::now(), n};
        body = R"({"text":"Success","code":0,"ackId":)" + std::to_string(id) + "}";
      }
    } else if (c.hec_ack) {
      body = answer_ack_poll(c.body);
    } else if (c.bulk) {
      // What filter_path leaves of a clean answer: one status per item.
      const size_t items = bulk_lines_ / 2;
      events_.fetch_add(items, std::memory_order_relaxed);
      bulk_lines_ = 0;
      body = R"({"errors":false,"items":[)";
      for (size_t k = 0; k < items; ++k) body += k ? R"(,{"create":{"status":201}})" : R"({"create":{"status":201}})";
      body += "]}";
    } else if (c.otlp) {
      events_.fetch_add(otlp_records(c.body), std::memory_order_relaxed);
      body = c.body.starts_with("{") ? "{}" : "";
    } else if (on_body_ && c.is_post) {
      on_body_(c.body);
      events_.fetch_add(static_cast<size_t>(std::count(c.body.begin(), c.body.end(), '\n')),
                        std::memory_order_relaxed);
    }
    requests_.fetch_add(1, std::memory_order_relaxed);
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n";
    resp.append(body);
    for (size_t off = 0; off < resp.size();) {
      ssize_t w = send(fd, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EINTR) break;
      if (w > 0) off += static_cast<size_t>(w);
    }
    c.head.clear();
    c.in_body = false;
  }

  // Log records in an ExportLogsServiceRequest: in protobuf, the LogRecord fields (2) of every
  // ScopeLogs (2) of every ResourceLogs (1); in JSON, the "eventName" every record has.
  static size_t otlp_records(std::string_view body) {
    if (body.starts_with("{")) {
      size_t n = 0;
      for (size_t p = body.find("\"eventName\":"); p != body.npos; p = body.find("\"eventName\":", p + 1)) ++n;
      return n;
    }
    size_t n = 0;
    for_each_field(body, 1, [&](std::string_view resource_logs) {
      for_each_field(resource_logs, 2, [&](std::string_view scope_logs) {
        for_each_field(scope_logs, 2, [&](std::string_view) { ++n; });
      });
    });
    return n;
  }
  // Calls fn with the bytes of every length-delimited field `number` of a protobuf message.
  template <typename Fn>
  static void for_each_field(std::string_view msg, uint32_t number, Fn&& fn) {
    size_t pos = 0;
    auto varint = [&](uint64_t& v) {
      v = 0;
      for (int shift = 0; pos < msg.size() && shift < 64; shift += 7) {
        uint8_t b = static_cast<uint8_t>(msg[pos++]);
        v |= uint64_t{b & 0x7Fu} << shift;
        if (!(b & 0x80)) return true;
      }
      return false;
    };
    uint64_t tag, v;
    while (pos < msg.size() && varint(tag)) {
      switch (tag & 7) {
        case 0: if (!varint(v)) return; break;
        case 1: pos += 8; break;
        case 5: pos += 4; break;
        case 2:
          if (!varint(v) || v > msg.size() - pos) return;
          if ((tag >> 3) == number) fn(msg.substr(pos, v));
          pos += v;
          break;
        default: return;
      }
    }
  }

  // {"acks":[1,2,3]} -> {"acks":{"1":true,"2":false,...}}: true once ack_delay_ has passed since
  // the request (or for an id already reported).
  std::string answer_ack_poll(const std::string& request) {
    auto now = std::chrono::steady_clock::now();
    std::string out = R"({"acks":{)";
    bool first = true;
    for (size_t p = request.find('['); p != std::string::npos && p < request.size();) {
      p = request.find_first_of("0123456789", p);
      if (p == std::string::npos) break;
      uint64_t id = std::strtoull(request.c_str() + p, nullptr, 10);
      p = request.find_first_not_of("0123456789", p);
      auto it = unacked_.find(id);
      bool done = it == unacked_.end() || now - it->second.first >= ack_delay_;
      if (done && it != unacked_.end()) {
        acked_events_.fetch_add(it->second.second, std::memory_order_relaxed);
        unacked_.erase(it);
      }
      out += (first ? "\"" : ",\"") + std::to_string(id) + (done ? "\":true" : "\":false");
      first = false;
    }
    return out + "}}";
  }

  static size_t content_length(const std::string& head) {
    for (size_t p = head.find("\r\n"); p != std::string::npos; p = head.find("\r\n", p + 2)) {
      static constexpr std::string_view key = "content-length:";
      if (head.size() - (p + 2) < key.size()) break;
      bool match = true;
      for (size_t i = 0; i < key.size() && match; ++i)
        match = std::tolower(static_cast<unsigned char>(head[p + 2 + i])) == key[i];
      if (match) return std::strtoull(head.c_str() + p + 2 + key.size(), nullptr, 10);
    }
    return 0;
  }

  std::function<void(std::string_view)> on_body_;
  size_t bulk_lines_ = 0;  // of the _bulk request being received (the sink's thread only)
  std::chrono::milliseconds ack_delay_;  // negative: no indexer acknowledgement
  uint64_t next_ack_id_ = 0;             // loop thread only, like unacked_
  std::map<uint64_t, std::pair<std::chrono::steady_clock::time_point, size_t>> unacked_;
  std::atomic<size_t> acked_events_{0};
  int listen_fd_ = -1, epoll_fd_ = -1, stop_fd_ = -1, port_ = 0;
  std::map<int, Conn> conns_;  // only the loop thread touches it
  std::atomic<size_t> events_{0}, requests_{0};
  std::thread thread_;
};

}  // namespace auditrelay::bench
