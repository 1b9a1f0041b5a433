// Output `kafka`: produces each event as one message (value = the audit/v1 JSON) with librdkafka.
// Topic and key come from templates over event fields; headers carry the schema and kind. A
// batch is acknowledged only by delivery reports: retriable failures are produced again,
// permanent ones (too large, not authorized, invalid topic) go to the dead-letter file. A full
// local queue is backpressure: the producer waits for room, it never drops.
#include <librdkafka/rdkafka.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/metrics/metrics.h"
#include "agent/plugin/output.h"
#include "agent/registry/registry.h"

namespace auditrelay {
namespace {

using Clock = std::chrono::steady_clock;

// "{kind}" style templates over event fields; parts are literal text or a dotted field path.
class Template {
 public:
  explicit Template(const std::string& text) {
    size_t i = 0;
    while (i < text.size()) {
      size_t open = text.find('{', i);
      if (open == std::string::npos) {
        parts_.push_back({false, text.substr(i)});
        break;
      }
      if (open > i) parts_.push_back({false, text.substr(i, open - i)});
      size_t close = text.find('}', open);
      if (close == std::string::npos) {
        parts_.push_back({false, text.substr(open)});
        break;
      }
      parts_.push_back({true, text.substr(open + 1, close - open - 1)});
      i = close + 1;
    }
  }
  // Renders into out, writing `missing` for a referenced field that is missing or empty;
  // returns false when one was.
  bool render(const OutEvent& e, simdjson::dom::parser& parser, std::string& out,
              std::string_view missing = {}) const {
    out.clear();
    bool complete = true;
    simdjson::dom::element root;
    bool parsed = false;
    for (const auto& p : parts_) {
      if (!p.field) {
        out += p.text;
        continue;
      }
      std::string_view v = known(e, p.text);
      std::string owned;
      if (v.data() == nullptr) {
        // Any other field: look it up in the event JSON (dotted path).
        if (!parsed) {
          parsed = !parser.parse(e.json.data(), e.json.size()).get(root);
          if (!parsed) return false;
        }
        simdjson::dom::element cur = root;
        size_t start = 0;
        bool found = true;
        while (found && start <= p.text.size()) {
          size_t dot = p.text.find('.', start);
          std::string key =
              p.text.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
          found = !cur[key].get(cur);
          if (dot == std::string::npos) break;
          start = dot + 1;
        }
        std::string_view s;
        int64_t n;
        if (found && !cur.get_string().get(s))
          v = s;
        else if (found && !cur.get_int64().get(n))
          v = owned = std::to_string(n);
        else
          v = {};
      }
      if (v.empty()) {
        complete = false;
        v = missing;
      }
      out += v;
    }
    return complete;
  }

 private:
  // Fields the worker already extracted (no JSON parse needed). nullptr data = not one of them.
  static std::string_view known(const OutEvent& e, const std::string& f) {
    const EncodedBatch& b = *e.batch;
    if (f == "kind") return kind_name(e.meta->kind);
    if (f == "severity") return severity_name(e.meta->severity);
    if (f == "event_id") return b.attr(e.meta->event_id);
    if (f == "action") return b.attr(e.meta->action);
    if (f == "resource.type") return b.attr(e.meta->resource_type);
    if (f == "workspace.id") return b.attr(e.meta->workspace_id);
    if (f == "alert.rule") return b.attr(e.meta->alert_rule);
    return {nullptr, 0};
  }
  struct Part {
    bool field;
    std::string text;
  };
  std::vector<Part> parts_;
};

bool permanent(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return true;
    default:
      return false;
  }
}

class KafkaOutput final : public Output {
 public:
  KafkaOutput(const PluginContext& ctx, const Options& o)
      : name_(ctx.name),
        topic_(o.str("topic", "coder.{kind}")),
        key_(o.str("key", "{event_id}")),
        extra_headers_(o.map("headers")),
        max_message_bytes_(o.size("message_max_bytes", 1000000)),
        metrics_(ctx.metrics) {
    conf_ = o.map("librdkafka");
    std::string brokers;
    for (const auto& b : o.list("brokers")) brokers += (brokers.empty() ? "" : ",") + b;
    // Safe defaults for audit data; anything under librdkafka: wins.
    defaults_ = {{"bootstrap.servers", brokers},
                 {"enable.idempotence", "true"},
                 {"acks", "all"},
                 {"compression.type", o.str("compression", "zstd")},
                 {"linger.ms", "50"},
                 // One request at a time per broker connection. send() waits for a whole batch
                 // anyway, so pipelining gains nothing, and with more in flight a broker that
                 // writes back-to-back responses without TCP_NODELAY (librdkafka's mock cluster)
                 // holds the last one behind the client's 40 ms delayed ACK (tests/bench/e2e_bench:
                 // 11,500 events/s before, about 140,000 with this).
                 {"max.in.flight.requests.per.connection", "1"},
                 {"message.max.bytes", std::to_string(max_message_bytes_ + 4096)},
                 {"client.id", "auditrelay-" + name_}};
    create_producer();
  }

  ~KafkaOutput() override { destroy_producer(); }

  SendResult send(const OutBatch& batch) override {
    if (!rk_ && !create_producer())
      return SendResult::retry("cannot create the Kafka producer: " + last_error_);
    const size_t n = batch.events.size();
    results_.assign(n, RD_KAFKA_RESP_ERR__IN_PROGRESS);
    topic_of_.assign(n, nullptr);
    std::vector<size_t> todo(n);
    for (size_t i = 0; i < n; ++i) todo[i] = i;
    std::vector<size_t> rejected;
    std::vector<std::string> reasons;
    for (int attempt = 0; !todo.empty(); ++attempt) {
      if (attempt >= 3)
        return SendResult::retry("Kafka delivery failed: " +
                                 std::string(rd_kafka_err2str(last_err_)));
      outstanding_ = 0;
      ++generation_;  // delivery reports of an earlier, abandoned round are ignored
      for (size_t idx : todo) {
        if (!produce(batch.events[idx], idx, batch)) return give_up();
      }
      // Wait for every delivery report of this round. rd_kafka_flush sends at once, without
      // waiting out linger.ms (the batch is already complete), and serves the delivery reports.
      auto deadline = Clock::now() + std::chrono::milliseconds(delivery_timeout_ms());
      while (outstanding_ > 0 && Clock::now() < deadline && !batch.abandoned())
        rd_kafka_flush(rk_, 100);
      if (outstanding_ > 0) return give_up();
      char fatal[512];
      if (rd_kafka_fatal_error(rk_, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        spdlog::error("output {}: Kafka producer fatal error ({}); recreating it", name_, fatal);
        destroy_producer();
        return SendResult::retry(std::string("fatal producer error: ") + fatal);
      }
      std::vector<size_t> again;
      for (size_t idx : todo) {
        rd_kafka_resp_err_t err = results_[idx];
        TopicCounters& tc = *topic_of_[idx];
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          bump(tc.delivered);
          continue;
        }
        bump(tc.failed);
        last_err_ = err;
        if (permanent(err)) {
          rejected.push_back(idx);
          reasons.push_back(std::string("Kafka: ") + rd_kafka_err2name(err) + ": " +
                            rd_kafka_err2str(err));
        } else {
          again.push_back(idx);
        }
      }
      todo = std::move(again);
    }
    if (!rejected.empty())
      return SendResult::rejected_events(std::move(rejected), std::move(reasons));
    return SendResult::delivered();
  }

  // Every batch the driver acknowledged was confirmed by delivery reports, so nothing needs
  // flushing here; what an abandoned send left queued is purged and read again at the next start.
  void stop() override { destroy_producer(); }

 private:
  // librdkafka fails a message after message.timeout.ms (up to INT32_MAX); its report comes a
  // little later.
  int64_t delivery_timeout_ms() const {
    auto it = conf_.find("message.timeout.ms");
    int64_t base = it != conf_.end() ? std::strtoll(it->second.c_str(), nullptr, 10) : 300000;
    return std::max<int64_t>(base, 0) + 10000;
  }

  // Abandons the round: queued messages are purged (their reports are ignored by generation)
  // and the driver retries the batch, or leaves it unacknowledged at shutdown.
  SendResult give_up() {
    if (rk_) rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
    ++generation_;
    return SendResult::retry(outstanding_ > 0
                                 ? "Kafka delivery reports did not arrive in time"
                                 : "shutting down before Kafka had room for the batch");
  }

  // Produces one event; false when the local queue stayed full until the batch was abandoned.
  bool produce(const OutEvent& e, size_t idx, const OutBatch& batch) {
    topic_.render(e, parser_, topic_buf_,
                  "unknown");  // coder.{workspace.id} without one: coder.unknown
    TopicCounters& tc = counters_for(topic_buf_);
    topic_of_[idx] = &tc;
    if (e.json.size() > max_message_bytes_) {
      results_[idx] = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;  // caught before producing
      return true;
    }
    if (!key_.render(e, parser_, key_buf_)) key_buf_ = std::string(e.batch->attr(e.meta->event_id));
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(2 + extra_headers_.size());
    rd_kafka_header_add(hdrs, "schema", -1, "audit/v1", -1);
    std::string_view kind = kind_name(e.meta->kind);
    rd_kafka_header_add(hdrs, "kind", -1, kind.data(), static_cast<ssize_t>(kind.size()));
    for (const auto& [k, v] : extra_headers_)
      rd_kafka_header_add(hdrs, k.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
    while (true) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(topic_buf_.c_str()),
          RD_KAFKA_V_VALUE(const_cast<char*>(e.json.data()), e.json.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key_buf_.data(), key_buf_.size()), RD_KAFKA_V_HEADERS(hdrs),
          RD_KAFKA_V_OPAQUE(
              reinterpret_cast<void*>(static_cast<uintptr_t>(generation_ << 32 | (idx + 1)))),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        if (batch.abandoned()) {
          rd_kafka_headers_destroy(hdrs);
          return false;
        }
        rd_kafka_poll(rk_, 20);  // backpressure: serve delivery reports until there is room
        continue;
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(hdrs);  // not taken over on failure
        results_[idx] = err;
      } else {
        ++outstanding_;
        bump(tc.produced);
      }
      return true;
    }
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<KafkaOutput*>(opaque);
    auto tag = reinterpret_cast<uintptr_t>(m->_private);
    if ((tag >> 32) != (self->generation_ & 0xffffffffu)) return;  // from an abandoned round
    size_t idx = static_cast<size_t>(tag & 0xffffffffu) - 1;
    if (idx < self->results_.size()) self->results_[idx] = m->err;
    --self->outstanding_;
  }

  static int on_stats(rd_kafka_t*, char* json, size_t len, void* opaque) {
    auto* self = static_cast<KafkaOutput*>(opaque);
    if (!self->metrics_) return 0;
    simdjson::dom::parser p;
    simdjson::dom::element root;
    if (p.parse(json, len).get(root)) return 0;
    int64_t v;
    std::string label = "output=\"" + self->name_ + "\"";
    if (!root["msg_cnt"].get_int64().get(v))
      self->metrics_->gauge("auditrelay_kafka_queue_messages", label).store(v);
    simdjson::dom::object brokers;
    if (!root["brokers"].get_object().get(brokers)) {
      for (auto b : brokers) {
        int64_t avg;
        if (!b.value["rtt"]["avg"].get_int64().get(avg) && avg > 0)
          self->metrics_
              ->gauge("auditrelay_kafka_broker_rtt_us",
                      label + ",broker=\"" + std::string(b.key) + "\"")
              .store(avg);
      }
    }
    return 0;
  }

  // Per-topic counters, looked up once per topic and kept (the metrics registry takes a lock).
  struct TopicCounters {
    Metrics::Counter *produced = nullptr, *delivered = nullptr, *failed = nullptr;
  };
  TopicCounters& counters_for(const std::string& topic) {
    auto it = topic_counters_.find(topic);
    if (it != topic_counters_.end()) return it->second;
    TopicCounters c;
    if (metrics_) {
      std::string label = "output=\"" + name_ + "\",topic=\"" + topic + "\"";
      c.produced = &metrics_->counter("auditrelay_kafka_messages_produced_total", label);
      c.delivered = &metrics_->counter("auditrelay_kafka_messages_delivered_total", label);
      c.failed = &metrics_->counter("auditrelay_kafka_messages_failed_total", label);
    }
    return topic_counters_.emplace(topic, c).first->second;
  }
  static void bump(Metrics::Counter* c) {
    if (c) c->fetch_add(1, std::memory_order_relaxed);
  }

  bool create_producer() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    auto set = [&](const std::string& k, const std::string& v) {
      if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        last_error_ = k + ": " + err;
        return false;
      }
      return true;
    };
    for (const auto& [k, v] : defaults_)
      if (!conf_.count(k) && !set(k, v)) {
        rd_kafka_conf_destroy(conf);
        return false;
      }
    for (const auto& [k, v] : conf_)
      if (!set(k, v)) {
        rd_kafka_conf_destroy(conf);
        return false;
      }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk_) {
      last_error_ = err;
      rd_kafka_conf_destroy(conf);  // rd_kafka_new takes the conf over only on success
      return false;
    }
    return true;
  }

  void destroy_producer() {
    if (!rk_) return;
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
    rd_kafka_flush(rk_, 1000);  // in-flight requests: give their answers a moment
    rd_kafka_destroy(rk_);
    rk_ = nullptr;
  }

  std::string name_;
  Template topic_, key_;
  std::map<std::string, std::string> extra_headers_;
  size_t max_message_bytes_;
  Metrics* metrics_;
  std::map<std::string, std::string> conf_, defaults_;
  rd_kafka_t* rk_ = nullptr;
  std::vector<rd_kafka_resp_err_t> results_;
  std::vector<TopicCounters*> topic_of_;                 // per event of the batch being sent
  std::map<std::string, TopicCounters> topic_counters_;  // node-based: pointers stay valid
  int64_t outstanding_ = 0;
  uint64_t generation_ = 0;  // of the current produce round, in each message's opaque
  rd_kafka_resp_err_t last_err_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string last_error_;
  simdjson::dom::parser parser_;
  std::string topic_buf_, key_buf_;
};

// Checks the librdkafka properties at config time, without connecting.
void validate(const Options& o, const std::string& path, Diagnostics& d) {
  if (o.list("brokers").empty())
    d.error(o.line("brokers"), path + ".brokers", "at least one broker is required");
  for (const auto& b : o.list("brokers"))
    if (b.empty() || b.find(' ') != std::string::npos)
      d.error(o.line("brokers"), path + ".brokers",
              "\"" + b + "\" is not a broker address (host:port)");
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : o.map("librdkafka"))
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      d.error(o.line("librdkafka"), path + ".librdkafka." + k, err);
  rd_kafka_conf_destroy(conf);
}

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "kafka",
    .summary = "Produces events to Kafka (librdkafka): idempotent, acks=all, acknowledged by "
               "delivery reports",
    .options =
        {
            {"brokers", OptType::StringList, "", true, "bootstrap brokers, host:port"},
            {"topic", OptType::String, "coder.{kind}", false,
             "topic template over event fields ({kind}, {action}, {workspace.id}, any dotted "
             "path)"},
            {"key", OptType::String, "{event_id}", false,
             "message key template; a missing field falls back to event_id"},
            {"headers", OptType::Map, "", false,
             "extra message headers (schema and kind are always set)"},
            {"compression",
             OptType::Enum,
             "zstd",
             false,
             "compression.type",
             {"none", "gzip", "snappy", "lz4", "zstd"}},
            {"message_max_bytes", OptType::Size, "1000000", false,
             "larger events are dead-lettered before producing (keep below the broker's "
             "message.max.bytes)"},
            {"librdkafka", OptType::Map, "", false,
             "librdkafka properties passed through (security.protocol, sasl.mechanism, "
             "sasl.username, ssl.ca.location, ...)"},
        },
    .make_output = [](const PluginContext& ctx, const Options& o) -> std::unique_ptr<Output> {
      return std::make_unique<KafkaOutput>(ctx, o);
    },
    .validate = validate,
});

}  // namespace
}  // namespace auditrelay
