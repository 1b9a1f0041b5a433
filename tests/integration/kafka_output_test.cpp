// The Kafka output against librdkafka's mock cluster (3 brokers, real Kafka protocol on
// loopback): delivery and consumption, routing, keys and headers, a broker down and up, injected
// retriable and permanent produce errors, oversized events.
#include <gtest/gtest.h>
#include <httplib.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <nlohmann/json.hpp>

#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "agent/config/agent_config.h"
#include "agent/runtime.h"
#include "support/kafka_mock.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {


struct Consumed {
  std::string topic, key, value;
  int32_t partition;
  std::map<std::string, std::string> headers;
};

// Reads the topics from the beginning until `done(messages)` holds (or a bound).
template <typename Done>
std::vector<Consumed> consume_until(const std::string& bootstraps, const std::vector<std::string>& topics, Done done) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "auditrelay-test", err, sizeof err);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "false", err, sizeof err);
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  rd_kafka_poll_set_consumer(c);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(c, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<Consumed> out;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!done(out) && std::chrono::steady_clock::now() < end) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 200);
    if (!m) continue;
    if (!m->err) {
      Consumed x{rd_kafka_topic_name(m->rkt),
                 m->key ? std::string(static_cast<char*>(m->key), m->key_len) : "",
                 std::string(static_cast<char*>(m->payload), m->len), m->partition, {}};
      rd_kafka_headers_t* h = nullptr;
      if (!rd_kafka_message_headers(m, &h)) {
        const char* name;
        const void* val;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(h, i, &name, &val, &size); ++i)
          x.headers[name] = std::string(static_cast<const char*>(val), size);
      }
      out.push_back(std::move(x));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return out;
}

// Reads every message of the topics from the beginning until `want` arrived (or a bound).
std::vector<Consumed> consume(const std::string& bootstraps, const std::vector<std::string>& topics, size_t want) {
  return consume_until(bootstraps, topics, [want](const std::vector<Consumed>& got) { return got.size() >= want; });
}

// A partition's high watermark (messages written to it), asked of its leader; -1 while the
// leader does not answer.
class Watermarks {
 public:
  explicit Watermarks(const std::string& bootstraps) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  }
  ~Watermarks() { rd_kafka_destroy(rk_); }
  int64_t high(const std::string& topic, int32_t partition) {
    int64_t low = -1, high = -1;
    if (rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &low, &high, 1000) !=
        RD_KAFKA_RESP_ERR_NO_ERROR)
      return -1;
    return high;
  }

 private:
  rd_kafka_t* rk_;
};

// A sample from the /metrics of an agent run with `server: {listen: "127.0.0.1:0"}` (its port
// read from its log); -1 until the agent serves it.
double scrape(const std::string& log_path, const std::string& series) {
  static const std::regex kServing(R"(serving /metrics.* on [0-9.]+:([0-9]+))");
  std::string log = slurp(log_path);
  std::smatch m;
  if (!std::regex_search(log, m, kServing)) return -1;
  httplib::Client client("127.0.0.1", std::stoi(m[1]));
  auto r = client.Get("/metrics");
  if (!r || r->status != 200) return -1;
  std::istringstream in(r->body);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return -1;
}

std::string audit_line(int i) {
  return R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"audit_log","fields":{"ID":"00000000-0000-4000-8000-)" +
         std::string(12 - std::to_string(i).size(), '0') + std::to_string(i) +
         R"(","Action":"write","AdditionalFields":{"workspace_id":"ws-)" + std::to_string(i % 7) + R"("}}})" "\n";
}
// An Agent Boundaries decision (kind boundary) in the workspace of audit_line(i).
std::string boundary_line(int i) {
  return R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"boundary_request","logger_names":["coderd","agentrpc"],"fields":{"owner":"alice","decision":"deny","workspace_id":"ws-)" +
         std::to_string(i % 7) + R"(","http_method":"GET","http_url":"https://pastebin.com/x","seq":)" + std::to_string(i) + "}}\n";
}
std::string log_line(int i) {
  return R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"line","fields":{"seq":)" + std::to_string(i) + "}}\n";
}

struct Agent {
  TempDir dir;
  AgentConfig cfg;
  std::unique_ptr<Runtime> rt;
  Agent(const std::string& text, const std::string& output_yaml) {
    std::filesystem::create_directories(dir / "in");
    write_text(dir / "in/a.log", text);
    Diagnostics d("t");
    std::string yaml = "data_dir: " + dir / "data" + "\npipeline: {checkpoint_interval: 20ms}\ninputs:\n  - {type: file, paths: [\"" +
                       dir / "in" + "/*.log\"], format: slog_json, poll_interval: 10ms}\noutputs:\n" + output_yaml;
    EXPECT_TRUE(load_config_text(yaml, "t", process_env(), cfg, d)) << d.to_string();
    rt = std::make_unique<Runtime>(cfg);
    std::string err;
    EXPECT_TRUE(rt->start(err)) << err;
  }
  ~Agent() { rt->stop(); }
  std::vector<std::string> dlq(const std::string& name) { return read_lines(dir / ("data/dlq/" + name + ".ndjson")); }
  uint64_t sent(const std::string& name) {
    return rt->metrics().value("auditrelay_output_events_sent_total", "output=\"" + name + "\"");
  }
  uint64_t dead_lettered(const std::string& name) {
    return rt->metrics().value("auditrelay_output_events_dead_lettered_total", "output=\"" + name + "\"");
  }
};

}  // namespace

TEST(Kafka, DeliversEverythingWithRoutingKeysAndHeaders) {
  MockCluster cluster;
  cluster.topic("coder.audit");
  cluster.topic("coder.boundary");
  cluster.topic("coder.log");
  std::string text;
  const int n = 100000;
  for (int i = 0; i < n; ++i) text += (i % 10 == 0) ? audit_line(i) : (i % 10 == 1) ? boundary_line(i) : log_line(i);
  Agent agent(text, "  - {name: k, type: kafka, brokers: [\"" + cluster.bootstraps() +
                        "\"], key: \"{workspace.id}\", librdkafka: {message.timeout.ms: \"60000\"}, batch: {max_events: 2000, max_delay: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.sent("k") >= static_cast<uint64_t>(n); }));
  auto msgs = consume(cluster.bootstraps(), {"coder.audit", "coder.boundary", "coder.log"}, n);
  ASSERT_EQ(msgs.size(), static_cast<size_t>(n));
  std::set<std::string> ids;
  std::map<std::string, std::set<int32_t>> partitions_of_key;
  for (const auto& m : msgs) {
    json e = json::parse(m.value);
    ids.insert(e["event_id"].get<std::string>());
    EXPECT_EQ(m.topic, "coder." + e["kind"].get<std::string>());
    EXPECT_EQ(m.headers.at("schema"), "audit/v1");
    EXPECT_EQ(m.headers.at("kind"), e["kind"]);
    if (e["kind"] == "audit" || e["kind"] == "boundary") EXPECT_EQ(m.key, e["workspace"]["id"]);
    else EXPECT_EQ(m.key, e["event_id"]);  // no workspace: falls back to event_id
    partitions_of_key[m.topic + "/" + m.key].insert(m.partition);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(n)) << "every event arrived once";
  for (const auto& [key, parts] : partitions_of_key) EXPECT_EQ(parts.size(), 1u) << key << " spread over partitions";
  // Per-topic metrics count what the delivery reports confirmed.
  auto delivered = [&](const std::string& topic) {
    return agent.rt->metrics().value("auditrelay_kafka_messages_delivered_total",
                                     "output=\"k\",topic=\"" + topic + "\"");
  };
  EXPECT_EQ(delivered("coder.audit"), static_cast<uint64_t>(n / 10));
  EXPECT_EQ(delivered("coder.boundary"), static_cast<uint64_t>(n / 10));
  EXPECT_EQ(delivered("coder.log"), static_cast<uint64_t>(n - 2 * (n / 10)));
}

// schema: ocsf: the value is the OCSF event, the schema header says so, and the topic template
// names the event's OCSF class.
TEST(Kafka, OcsfEventsGoToATopicPerClass) {
  MockCluster cluster;
  for (const char* t : {"coder.ocsf.api_activity", "coder.ocsf.http_activity", "coder.ocsf.base_event"})
    cluster.topic(t);
  std::string text;
  const int n = 3000;
  for (int i = 0; i < n; ++i) text += (i % 3 == 0) ? audit_line(i) : (i % 3 == 1) ? boundary_line(i) : log_line(i);
  Agent agent(text, "  - {name: k, type: kafka, schema: ocsf, brokers: [\"" + cluster.bootstraps() +
                        "\"], topic: \"coder.ocsf.{ocsf.class}\", batch: {max_delay: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.sent("k") >= static_cast<uint64_t>(n); }));
  auto msgs = consume(cluster.bootstraps(),
                      {"coder.ocsf.api_activity", "coder.ocsf.http_activity", "coder.ocsf.base_event"}, n);
  ASSERT_EQ(msgs.size(), static_cast<size_t>(n));
  const std::map<int, std::string> topic_of = {{6003, "coder.ocsf.api_activity"},
                                               {4002, "coder.ocsf.http_activity"},
                                               {0, "coder.ocsf.base_event"}};
  std::set<std::string> ids;
  for (const auto& m : msgs) {
    json e = json::parse(m.value);
    EXPECT_EQ(m.topic, topic_of.at(e["class_uid"].get<int>()));
    EXPECT_EQ(m.headers.at("schema"), "ocsf/1.2.0");
    EXPECT_EQ(m.key, e["metadata"]["uid"]);
    ids.insert(e["metadata"]["uid"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(n));
}

TEST(Kafka, BrokerDownAndUpLosesNothing) {
  MockCluster cluster;
  cluster.topic("coder.log", 3);
  // Broker b leads partition b - 1, so each broker down holds back one partition for sure.
  for (int32_t p = 0; p < 3; ++p)
    rd_kafka_mock_partition_set_leader(cluster.get(), "coder.log", p, p + 1);
  std::string text;
  for (int i = 0; i < 20000; ++i) text += log_line(i);
  rd_kafka_mock_broker_set_down(cluster.get(), 1);
  Agent agent(text, "  - {name: k, type: kafka, brokers: [\"" + cluster.bootstraps() +
                        "\"], librdkafka: {message.timeout.ms: \"120000\"}, batch: {max_events: 1000, max_delay: 20ms}}\n");
  Watermarks marks(cluster.bootstraps());
  // Delivering while broker 1 is down: the other two partitions get messages, partition 0's wait.
  ASSERT_TRUE(
      wait_until([&] { return marks.high("coder.log", 1) > 0 && marks.high("coder.log", 2) > 0; }));
  rd_kafka_mock_broker_set_up(cluster.get(), 1);
  rd_kafka_mock_broker_set_down(cluster.get(), 2);
  // Broker 1 is back and has taken what waited for it, while broker 2 is down.
  ASSERT_TRUE(wait_until([&] { return marks.high("coder.log", 0) > 0; }));
  rd_kafka_mock_broker_set_up(cluster.get(), 2);
  ASSERT_TRUE(wait_until([&] { return agent.sent("k") >= 20000u; }));
  auto msgs = consume(cluster.bootstraps(), {"coder.log"}, 20000);
  std::set<std::string> ids;
  for (const auto& m : msgs) ids.insert(json::parse(m.value)["event_id"].get<std::string>());
  EXPECT_EQ(ids.size(), 20000u);
  EXPECT_TRUE(agent.dlq("k").empty());
}

TEST(Kafka, RetriableProduceErrorsAreRetried) {
  MockCluster cluster;
  cluster.topic("coder.log", 1);
  rd_kafka_mock_push_request_errors(cluster.get(), 0 /* Produce */, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  std::string text;
  for (int i = 0; i < 100; ++i) text += log_line(i);
  Agent agent(text, "  - {name: k, type: kafka, brokers: [\"" + cluster.bootstraps() + "\"], batch: {max_delay: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.sent("k") >= 100u; }));
  EXPECT_TRUE(agent.dlq("k").empty());
  EXPECT_EQ(consume(cluster.bootstraps(), {"coder.log"}, 100).size(), 100u);
}

// key: "" sends messages without a key (the sticky partitioner places them).
TEST(Kafka, AnEmptyKeyTemplateSendsNoKey) {
  MockCluster cluster;
  cluster.topic("coder.log", 2);
  std::string text;
  for (int i = 0; i < 100; ++i) text += log_line(i);
  Agent agent(text, "  - {name: k, type: kafka, key: \"\", brokers: [\"" + cluster.bootstraps() +
                        "\"], batch: {max_delay: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.sent("k") >= 100u; }));
  auto msgs = consume(cluster.bootstraps(), {"coder.log"}, 100);
  ASSERT_EQ(msgs.size(), 100u);
  for (const auto& m : msgs) EXPECT_EQ(m.key, "");
}

TEST(Kafka, PermanentErrorsAndOversizedEventsAreDeadLettered) {
  MockCluster cluster;
  cluster.topic("coder.log", 1);
  rd_kafka_mock_push_request_errors(cluster.get(), 0 /* Produce */, 1, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  std::string text;
  for (int i = 0; i < 50; ++i) text += log_line(i);
  text += R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"huge","fields":{"blob":")" + std::string(5000, 'x') + "\"}}\n";
  Agent agent(text, "  - {name: k, type: kafka, brokers: [\"" + cluster.bootstraps() +
                        "\"], message_max_bytes: 2000, batch: {max_delay: 200ms}}\n");
  // Sent counts only what Kafka acknowledged; dead-lettered events are counted apart.
  ASSERT_TRUE(wait_until([&] { return agent.sent("k") + agent.dead_lettered("k") >= 51u; }));
  auto dlq = agent.dlq("k");
  ASSERT_GE(dlq.size(), 2u);
  bool huge = false, auth = false;
  for (const auto& l : dlq) {
    json d = json::parse(l);
    std::string reason = d["reason"];
    if (d["event"]["message"] == "huge") huge = reason.find("MSG_SIZE_TOO_LARGE") != std::string::npos;
    if (reason.find("TOPIC_AUTHORIZATION_FAILED") != std::string::npos) auth = true;
  }
  EXPECT_TRUE(huge);
  EXPECT_TRUE(auth) << ::testing::PrintToString(dlq);
  // Everything not dead-lettered reached the topic.
  auto msgs = consume(cluster.bootstraps(), {"coder.log"}, 51 - dlq.size());
  EXPECT_EQ(msgs.size() + dlq.size(), 51u);
}

TEST(Kafka, KillDashNineDuringDeliveryLosesNothing) {
  MockCluster cluster;
  cluster.topic("coder.log", 4);
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 50000;
  std::string text;
  for (int i = 0; i < n; ++i) text += log_line(i);
  write_text(dir / "in/a.log", text);
  write_text(dir / "cfg.yaml", "data_dir: " + dir / "data" +
                                   "\npipeline: {checkpoint_interval: 50ms, max_in_flight: 2MiB}\n"
                                   "inputs:\n  - {type: file, paths: [\"" + dir / "in" +
                                   "/*.log\"], format: slog_json, read_buffer: 64KiB, poll_interval: 10ms}\n"
                                   "outputs:\n  - {name: k, type: kafka, brokers: [\"" + cluster.bootstraps() +
                                   "\"], batch: {max_events: 500, max_delay: 20ms}}\n");
  std::mt19937 rng(7);
  for (int round = 0; round < 3; ++round) {
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                    dir / ("stderr" + std::to_string(round)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));  // a random kill point
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
  Child last = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout", dir / "stderr-last");
  std::set<int> seqs;
  size_t scanned = 0;
  auto msgs = consume_until(cluster.bootstraps(), {"coder.log"}, [&](const std::vector<Consumed>& got) {
    for (; scanned < got.size(); ++scanned) seqs.insert(json::parse(got[scanned].value)["fields"]["seq"].get<int>());
    return seqs.size() >= static_cast<size_t>(n);
  });
  last.signal(SIGTERM);
  EXPECT_EQ(last.wait(), 0) << slurp(dir / "stderr-last");
  EXPECT_EQ(seqs.size(), static_cast<size_t>(n)) << "events lost; " << msgs.size() << " messages consumed";
  // Duplicates (the batches in flight at each kill) carry the same event_id as the first copy.
  std::map<int, std::string> id_of;
  for (const auto& m : msgs) {
    json e = json::parse(m.value);
    auto [it, fresh] = id_of.emplace(e["fields"]["seq"].get<int>(), e["event_id"].get<std::string>());
    if (!fresh) {
      EXPECT_EQ(it->second, e["event_id"].get<std::string>());
    }
  }
}

TEST(Kafka, UnreachableBrokerDoesNotHoldUpShutdownAndLosesNothing) {
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 2000;
  std::string text;
  for (int i = 0; i < n; ++i) text += log_line(i);
  write_text(dir / "in/a.log", text);
  auto config = [&](const std::string& brokers) {
    write_text(dir / "cfg.yaml", "data_dir: " + dir / "data" +
                                     "\npipeline: {checkpoint_interval: 50ms, shutdown_timeout: 1s}\n"
                                     "server: {listen: \"127.0.0.1:0\"}\n"
                                     "inputs:\n  - {type: file, paths: [\"" + dir / "in" +
                                     "/*.log\"], format: slog_json, poll_interval: 10ms}\n"
                                     "outputs:\n  - {name: k, type: kafka, brokers: [\"" + brokers +
                                     "\"], batch: {max_delay: 20ms}}\n");
  };
  // Nothing listens on port 1: delivery reports would take message.timeout.ms (5 minutes).
  config("127.0.0.1:1");
  {
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout", dir / "stderr1");
    // SIGTERM once events are in the producer, waiting for the broker that is not there.
    const std::string produced =
        R"(auditrelay_kafka_messages_produced_total{output="k",topic="coder.log"})";
    ASSERT_TRUE(wait_until([&] { return scrape(dir / "stderr1", produced) > 0; }))
        << slurp(dir / "stderr1");
    c.signal(SIGTERM);
    EXPECT_EQ(c.wait_for(std::chrono::seconds(60)), 0) << "SIGTERM must end the agent after shutdown_timeout\n"
                                                       << slurp(dir / "stderr1");
  }
  // The unacknowledged events are read again and delivered once a broker is there.
  MockCluster cluster;
  cluster.topic("coder.log", 2);
  config(cluster.bootstraps());
  Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout", dir / "stderr2");
  std::set<int> seqs;
  size_t scanned = 0;
  consume_until(cluster.bootstraps(), {"coder.log"}, [&](const std::vector<Consumed>& got) {
    for (; scanned < got.size(); ++scanned) seqs.insert(json::parse(got[scanned].value)["fields"]["seq"].get<int>());
    return seqs.size() >= static_cast<size_t>(n);
  });
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait_for(std::chrono::seconds(60)), 0) << slurp(dir / "stderr2");
  EXPECT_EQ(seqs.size(), static_cast<size_t>(n));
}

TEST(Kafka, EmptyBrokerAddressIsAConfigError) {
  Diagnostics d("t");
  AgentConfig cfg;
  EXPECT_FALSE(load_config_text("inputs: [{type: file, paths: [/x]}]\noutputs: [{type: kafka, brokers: [\"\"]}]\n", "t",
                                process_env(), cfg, d));
  EXPECT_NE(d.to_string().find("outputs[0].brokers"), std::string::npos) << d.to_string();
}

// Issue 18's reproduction for Kafka: line 1500 goes to a topic whose only partition has no
// leader, so its message fails after librdkafka's message timeout again and again while the
// other 19,999 lines are delivered by the other batches in flight (concurrency 8 by default).
// kill -9 once they all arrived, give the partition a leader, restart: every line arrives.
TEST(Kafka, StuckMessageSurvivesKillDashNine) {
  MockCluster cluster;
  cluster.topic("t.unknown", 4);
  cluster.topic("t.yes", 1);
  rd_kafka_mock_partition_set_leader(cluster.get(), "t.yes", 0, -1);
  TempDir dir;
  std::filesystem::create_directories(dir / "in");
  const int n = 20000;
  std::string text;
  for (int i = 0; i < n; ++i)
    text += i == 1500 ? R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"line","fields":{"seq":1500,"stuck":"yes"}})"
                        "\n"
                      : log_line(i);
  write_text(dir / "in/a.log", text);
  write_text(dir / "cfg.yaml", "data_dir: " + dir / "data" +
                                   "\npipeline: {checkpoint_interval: 20ms}\n"
                                   "inputs:\n  - {type: file, paths: [\"" + dir / "in" +
                                   "/*.log\"], format: slog_json, read_buffer: 64KiB, poll_interval: 10ms}\n"
                                   "outputs:\n  - {name: k, type: kafka, brokers: [\"" + cluster.bootstraps() +
                                   "\"], topic: \"t.{fields.stuck}\", librdkafka: {message.timeout.ms: \"500\"},"
                                   " batch: {max_events: 100, max_delay: 20ms}, retry: {initial: 50ms, max: 100ms}}\n");
  std::set<int> seqs;
  auto take = [&](const std::vector<Consumed>& got, size_t& scanned) {
    for (; scanned < got.size(); ++scanned)
      seqs.insert(json::parse(got[scanned].value)["fields"]["seq"].get<int>());
  };
  {
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout", dir / "stderr1");
    size_t scanned = 0;
    consume_until(cluster.bootstraps(), {"t.unknown"}, [&](const std::vector<Consumed>& got) {
      take(got, scanned);
      return seqs.size() >= static_cast<size_t>(n - 1);
    });
    ASSERT_EQ(seqs.size(), static_cast<size_t>(n - 1)) << slurp(dir / "stderr1");
    // The stuck message was failed and retried by the driver (not only inside librdkafka).
    ASSERT_TRUE(wait_until([&] {
      std::string log = slurp(dir / "stderr1");
      size_t tries = 0;
      for (size_t p = 0; (p = log.find("Kafka delivery failed", p)) != std::string::npos; ++p) ++tries;
      return tries >= 2;
    })) << slurp(dir / "stderr1");
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
  rd_kafka_mock_partition_set_leader(cluster.get(), "t.yes", 0, 1);
  Child last = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout", dir / "stderr2");
  size_t scanned = 0;
  consume_until(cluster.bootstraps(), {"t.unknown", "t.yes"}, [&](const std::vector<Consumed>& got) {
    take(got, scanned);
    return seqs.size() >= static_cast<size_t>(n);
  });
  last.signal(SIGTERM);
  EXPECT_EQ(last.wait(), 0) << slurp(dir / "stderr2");
  EXPECT_EQ(seqs.size(), static_cast<size_t>(n)) << "events lost";
  EXPECT_TRUE(seqs.count(1500));
}
