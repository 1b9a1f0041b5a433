// Output `kafka`: produces each event as one message (value = the event JSON in the output's
// schema) with librdkafka.
// Topic and key come from templates over event fields; headers carry the schema and kind. A
// batch is acknowledged only by delivery reports: messages that failed after librdkafka's own
// retries go back to the driver, which sends them again with backoff; permanent failures (too
// large, not authorized, invalid topic) go to the dead-letter file. A full local queue is
// backpressure: the producer waits for room, it never drops.
#include <librdkafka/rdkafka.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "coder/event/event_attributes.h"
#include "core/metrics/metrics.h"
#include "core/plugin/output.h"
#include "core/registry/registry.h"
#include "plugins/outputs/common/event_template.h"
#include "plugins/outputs/kafka/delivery_round.h"

namespace auditrelay {
namespace {

using Clock = std::chrono::steady_clock;

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
  using Slot = kafka::DeliverySlot;
  using Round = kafka::DeliveryRound;

 public:
  KafkaOutput(const PluginContext& ctx, const Options& o)
      : name_(ctx.name),
        topic_(o.str("topic"), {.schema = ctx.schema}),
        key_(o.str("key"), {.schema = ctx.schema}),
        extra_headers_(o.map("headers")),
        max_message_bytes_(o.size("message_max_bytes", 1000000)),
        schema_label_(schema_label(ctx.schema)),
        metrics_(ctx.metrics) {
    conf_ = o.map("librdkafka");
    std::string brokers;
    for (const auto& b : o.list("brokers")) brokers += (brokers.empty() ? "" : ",") + b;
    // Safe defaults for audit data; anything under librdkafka: wins.
    defaults_ = {{"bootstrap.servers", brokers},
                 {"enable.idempotence", "true"},
                 {"acks", "all"},
                 {"compression.type", o.str("compression")},
                 {"linger.ms", "5"},
                 // One request at a time per broker connection. Several batches are in flight
                 // at once anyway (the output's concurrency): they share this producer, and
                 // while a request is out, the next message set collects them all. With more
                 // requests in flight, a broker that writes back-to-back responses without
                 // TCP_NODELAY (librdkafka's mock cluster) holds the last one behind the
                 // client's 40 ms delayed ACK (tests/bench/e2e_bench: 11,500 events/s before,
                 // about 140,000 with this).
                 {"max.in.flight.requests.per.connection", "1"},
                 {"message.max.bytes", std::to_string(max_message_bytes_ + 4096)},
                 {"client.id", "auditrelay-" + name_}};
    // zstd at level 1 rather than librdkafka's default 3: on a megabyte of our NDJSON events
    // `zstd -b1 -e3` compresses 2.3x faster at level 1 (3,329 vs 1,456 MB/s) with no larger
    // output, and compression was 22 % of file -> kafka CPU (perf, issue 20).
    if (o.str("compression") == "zstd") defaults_["compression.level"] = "1";
    std::unique_lock lock(producer_mutex_);
    create_producer();
  }

  ~KafkaOutput() override {
    std::unique_lock lock(producer_mutex_);
    destroy_producer();
  }

  // Called from several sender threads at once (concurrent_send): each call produces its own
  // batch into the one producer and waits for that batch's delivery reports only.
  SendResult send(const OutBatch& batch) override {
    std::shared_lock lock(producer_mutex_);
    if (!rk_) {
      lock.unlock();
      {
        std::unique_lock create(producer_mutex_);
        if (!rk_ && !create_producer())
          return SendResult::retry("cannot create the Kafka producer: " + last_error_);
      }
      lock.lock();
      if (!rk_) return SendResult::retry("the Kafka producer was closed");
    }
    const size_t n = batch.events.size();
    Scratch scratch;
    std::vector<TopicCounters*> topic_of(n, nullptr);
    auto round = std::make_unique<Round>(n);
    try {
      for (size_t i = 0; i < n; ++i)
        if (!produce(batch.events[i], round->slots[i], batch, scratch, topic_of[i])) {
          round->report_one();  // the sender's own share
          return give_up(std::move(round));
        }
    } catch (...) {
      // Messages already produced point into the round: it is parked until their reports
      // arrive, never freed under librdkafka (the driver turns the exception into a retry).
      round->report_one();
      give_up(std::move(round));
      throw;
    }
    round->report_one();  // every message is produced: the sender's share goes
    // Sleep until the poller thread has served this batch's last delivery report. Senders used
    // to poll and flush in 5 ms turns themselves: in this VM every such wake-up of a sender and
    // of the broker threads it flushed cost more than the work (issue 20: file -> kafka CPU).
    if (!round->wait_reported(Clock::now() + std::chrono::milliseconds(delivery_timeout_ms()),
                              batch.abandoned))
      return give_up(std::move(round));
    char fatal[512];
    if (rd_kafka_fatal_error(rk_, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      lock.unlock();
      spdlog::error("output {}: Kafka producer fatal error ({}); recreating it", name_, fatal);
      std::unique_lock destroy(producer_mutex_);
      destroy_producer();
      return SendResult::retry(std::string("fatal producer error: ") + fatal);
    }
    return classify(*round, topic_of);
  }

 private:
  struct TopicCounters;
  // The delivery reports of one batch: delivered, permanently refused (dead-lettered) or
  // failed after librdkafka's own retries (the driver sends those again, with backoff).
  static SendResult classify(const Round& round, const std::vector<TopicCounters*>& topic_of) {
    std::vector<size_t> rejected, again;
    std::vector<std::string> reasons;
    rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (size_t i = 0; i < round.slots.size(); ++i) {
      rd_kafka_resp_err_t err = round.slots[i].err;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        bump(topic_of[i]->delivered);
        continue;
      }
      bump(topic_of[i]->failed);
      if (permanent(err)) {
        rejected.push_back(i);
        reasons.push_back(std::string("Kafka: ") + rd_kafka_err2name(err) + ": " +
                          rd_kafka_err2str(err));
      } else {
        again.push_back(i);
        last = err;
      }
    }
    if (again.empty())
      return rejected.empty()
                 ? SendResult::delivered()
                 : SendResult::rejected_events(std::move(rejected), std::move(reasons));
    SendResult r = SendResult::retry_events(
        std::move(again), std::string("Kafka delivery failed: ") + rd_kafka_err2str(last));
    r.rejected = std::move(rejected);
    r.reasons = std::move(reasons);
    return r;
  }

 public:
  // Every batch the driver acknowledged was confirmed by delivery reports, so nothing needs
  // flushing here; what an abandoned send left queued is purged and read again at the next start.
  void stop() override {
    std::unique_lock lock(producer_mutex_);
    destroy_producer();
  }

 private:
  // Per-topic counters, looked up once per topic and kept (the metrics registry takes a lock).
  struct TopicCounters {
    Metrics::Counter *produced = nullptr, *delivered = nullptr, *failed = nullptr;
  };
  // Per-send working state (send() runs on several threads at once).
  struct Scratch {
    std::string topic, key;
    simdjson::dom::parser parser;
    std::map<std::string, TopicCounters*, std::less<>> counters;  // this send's topics
  };

  // librdkafka fails a message after message.timeout.ms (up to INT32_MAX); its report comes a
  // little later.
  int64_t delivery_timeout_ms() const {
    auto it = conf_.find("message.timeout.ms");
    int64_t base = it != conf_.end() ? std::strtoll(it->second.c_str(), nullptr, 10) : 300000;
    return std::max<int64_t>(base, 0) + 10000;
  }

  // Abandons the round: this producer's queued messages are purged (purging is producer-wide,
  // so other senders' rounds see _PURGE_QUEUE reports and retry too) and the driver retries the
  // batch, or leaves it unacknowledged at shutdown. The round is parked until its last report.
  SendResult give_up(std::unique_ptr<Round> round) {
    bool waited = round->awaits_reports();
    if (rk_) rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
    park(std::move(round));
    return SendResult::retry(waited ? "Kafka delivery reports did not arrive in time"
                                    : "shutting down before Kafka had room for the batch");
  }

  void park(std::unique_ptr<Round> round) {
    std::lock_guard g(parked_mutex_);
    std::erase_if(parked_, [](const auto& r) { return r->finished(); });
    if (!round->finished()) parked_.push_back(std::move(round));
  }

  // Produces one event; false when the local queue stayed full until the batch was abandoned.
  bool produce(const OutEvent& e, Slot& slot, const OutBatch& batch, Scratch& scratch,
               TopicCounters*& topic_of) {
    topic_.render(e, scratch.parser, scratch.topic,
                  "unknown");  // coder.{workspace.id} without one: coder.unknown
    TopicCounters& tc = counters_for(scratch);
    topic_of = &tc;
    if (e.json.size() > max_message_bytes_) {
      slot.err = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;  // caught before producing
      return true;
    }
    // No key (key: ""): librdkafka's sticky partitioner fills one partition at a time, so
    // message sets are fewer and larger (about 10 % less CPU in e2e_bench file -> kafka). Not
    // the default: with a broker down, keyless messages stalled the partitions that were up
    // (Kafka.BrokerDownAndUpLosesNothing timed out without a key).
    if (key_.empty())
      scratch.key.clear();
    else if (!key_.render(e, scratch.parser, scratch.key))
      scratch.key = std::string(text(*e.batch, *e.meta, TextAttr::EventId));
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(2 + extra_headers_.size());
    rd_kafka_header_add(hdrs, "schema", -1, schema_label_.data(),
                        static_cast<ssize_t>(schema_label_.size()));
    std::string_view kind = kind_name(auditrelay::kind(*e.meta));
    rd_kafka_header_add(hdrs, "kind", -1, kind.data(), static_cast<ssize_t>(kind.size()));
    for (const auto& [k, v] : extra_headers_)
      rd_kafka_header_add(hdrs, k.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
    // Counted before producing: the report can arrive on another sender's thread at once.
    slot.round->expect_one();
    while (true) {
      // RD_KAFKA_MSG_F_COPY: an abandoned batch can be released while a broker thread still
      // serialises one of its in-flight messages.
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(scratch.topic.c_str()),
          RD_KAFKA_V_VALUE(const_cast<char*>(e.json.data()), e.json.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(scratch.key.empty() ? nullptr : scratch.key.data(), scratch.key.size()),
          RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(&slot), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        if (batch.abandoned()) {
          rd_kafka_headers_destroy(hdrs);
          slot.round->unexpect_one();
          return false;
        }
        rd_kafka_poll(rk_, 20);  // backpressure: serve delivery reports until there is room
        continue;
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(hdrs);  // not taken over on failure
        slot.err = err;
        slot.round->unexpect_one();
      } else {
        bump(tc.produced);
      }
      return true;
    }
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* slot = static_cast<Slot*>(m->_private);
    slot->err = m->err;
    slot->round->report_one();
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

  // Each send keeps its own cache, so the shared map's mutex is taken once per topic per batch.
  TopicCounters& counters_for(Scratch& scratch) {
    auto local = scratch.counters.find(scratch.topic);
    if (local != scratch.counters.end()) return *local->second;
    std::lock_guard g(counters_mutex_);
    auto it = topic_counters_.find(scratch.topic);
    if (it == topic_counters_.end()) {
      TopicCounters c;
      if (metrics_) {
        std::string label = "output=\"" + name_ + "\",topic=\"" + scratch.topic + "\"";
        c.produced = &metrics_->counter("auditrelay_kafka_messages_produced_total", label);
        c.delivered = &metrics_->counter("auditrelay_kafka_messages_delivered_total", label);
        c.failed = &metrics_->counter("auditrelay_kafka_messages_failed_total", label);
      }
      it = topic_counters_.emplace(scratch.topic, c).first;
    }
    scratch.counters.emplace(scratch.topic, &it->second);
    return it->second;
  }
  static void bump(Metrics::Counter* c) {
    if (c) c->fetch_add(1, std::memory_order_relaxed);
  }

  // Both with producer_mutex_ held exclusively.
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
    // One thread serves every delivery report (and the stats callback); a sender sleeps until
    // its round is reported. rd_kafka_poll blocks until reports arrive, so this thread wakes
    // about once per produce response.
    polling_ = true;
    poller_ = std::thread([this, rk = rk_] {
      while (polling_.load(std::memory_order_relaxed)) rd_kafka_poll(rk, 100);
    });
    return true;
  }

  void destroy_producer() {
    if (!rk_) return;
    polling_ = false;
    poller_.join();
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
    rd_kafka_flush(rk_, 1000);  // in-flight requests: give their answers a moment
    rd_kafka_destroy(rk_);      // reports every message left, into its parked round
    rk_ = nullptr;
    std::lock_guard g(parked_mutex_);
    parked_.clear();
  }

  std::string name_;
  EventTemplate topic_, key_;
  std::map<std::string, std::string> extra_headers_;
  size_t max_message_bytes_;
  std::string_view schema_label_;  // the `schema` header
  Metrics* metrics_;
  std::map<std::string, std::string> conf_, defaults_;
  // Shared by every send in flight; exclusive only to create or destroy the producer.
  std::shared_mutex producer_mutex_;
  rd_kafka_t* rk_ = nullptr;
  std::string last_error_;  // of create_producer, under producer_mutex_
  std::thread poller_;      // serves delivery reports while the producer exists
  std::atomic<bool> polling_{false};
  std::mutex counters_mutex_;
  std::map<std::string, TopicCounters> topic_counters_;  // node-based: pointers stay valid
  std::mutex parked_mutex_;
  std::vector<std::unique_ptr<Round>> parked_;  // abandoned rounds still awaiting reports
};

// Each property librdkafka takes, with what librdkafka checks only when a client is created
// (SASL mechanism names, files it will read), reported on the property's own line.
void validate_librdkafka_properties(const Options& o, const std::string& path, Diagnostics& d) {
  static const std::set<std::string> kMechanisms = {"GSSAPI", "PLAIN", "SCRAM-SHA-256",
                                                    "SCRAM-SHA-512", "OAUTHBEARER"};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : o.map("librdkafka")) {
    int line = o.line("librdkafka", k);
    std::string where = path + ".librdkafka." + k;
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      d.error(line, where, err);
    } else if ((k == "sasl.mechanism" || k == "sasl.mechanisms") && !kMechanisms.contains(v)) {
      d.error(line, where,
              "unknown SASL mechanism \"" + v +
                  "\" (GSSAPI, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)");
    } else if (k.ends_with(".location") && !(k == "ssl.ca.location" && v == "probe") &&
               ::access(v.c_str(), R_OK) != 0) {
      d.error(line, where, "cannot read " + v + ": " + std::strerror(errno));
    }
  }
  rd_kafka_conf_destroy(conf);
}

// What is left (a property combination librdkafka refuses, a feature it was built without)
// shows when a client is created; it does not connect until it has something to send.
void validate_by_creating_a_client(const Options& o, const std::string& path, Diagnostics& d) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : o.map("librdkafka"))
    rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk) {
    rd_kafka_destroy(rk);
  } else {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new takes it only on success
    d.error(o.line("librdkafka"), path + ".librdkafka", std::string("librdkafka refuses: ") + err);
  }
}

// Checks the topic and key templates and the librdkafka properties, without connecting.
void validate(const Options& o, const std::string& path, Diagnostics& d, Schema schema) {
  if (o.list("brokers").empty())
    d.error(o.line("brokers"), path + ".brokers", "at least one broker is required");
  for (const auto& b : o.list("brokers"))
    if (b.empty() || b.find(' ') != std::string::npos)
      d.error(o.line("brokers"), path + ".brokers",
              "\"" + b + "\" is not a broker address (host:port)");
  for (const char* name : {"topic", "key"})
    if (std::string why = EventTemplate::problem(o.str(name), {.schema = schema}); !why.empty())
      d.error(o.line(name), path + "." + name, why);
  size_t before = d.items().size();
  validate_librdkafka_properties(o, path, d);
  if (d.items().size() == before) validate_by_creating_a_client(o, path, d);
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
             "message key template; a missing field falls back to event_id; \"\" sends no key "
             "(librdkafka's sticky partitioner then fills fewer, larger message sets)"},
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
    // One producer for every batch in flight: its message sets then carry several batches
    // (tests/bench/e2e_bench file -> kafka: 152,000 events/s at one batch in flight).
    .concurrent_send = true,
    .default_concurrency = 8,
    .metrics =
        {
            {"auditrelay_kafka_messages_produced_total", MetricType::Counter, "output, topic",
             "messages handed to librdkafka"},
            {"auditrelay_kafka_messages_delivered_total", MetricType::Counter, "output, topic",
             "messages the brokers acknowledged (delivery reports)"},
            {"auditrelay_kafka_messages_failed_total", MetricType::Counter, "output, topic",
             "messages that failed after librdkafka's own retries"},
            {"auditrelay_kafka_queue_messages", MetricType::Gauge, "output",
             "messages in librdkafka's queue (with `statistics.interval.ms`)"},
            {"auditrelay_kafka_broker_rtt_us", MetricType::Gauge, "output, broker",
             "average broker round trip (with `statistics.interval.ms`)"},
        },
});

}  // namespace
}  // namespace auditrelay
