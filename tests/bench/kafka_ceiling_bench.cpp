// What librdkafka alone can do on this machine, for comparison with e2e_bench's file -> kafka:
// the reference mix is normalized in-process first (not timed), then produced with the Kafka
// output's defaults (idempotent, acks=all, zstd, linger.ms 50, one request in flight per
// broker, key = event_id, headers schema and kind, topics coder.{kind}) into the same mock
// cluster layout (3 brokers, 3 topics of 4 partitions), in three ways:
//   one batch at a time   produce 500, flush, wait for every report (the output before 2026-12-02)
//   8 batches in flight   keep 8 batches of 500 outstanding (the output's default concurrency)
//   all queued            produce everything, then wait (no acknowledgement bound at all)
// Run: ./build/tests/bench/kafka_ceiling_bench [events]
// The CPU figure is the whole process's: the producer's threads and the mock cluster's. No peak
// RSS: the process holds every event in memory up front, so it would measure the benchmark.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "coder/event/event_attributes.h"
#include "coder/processor.h"
#include "core/registry/registry.h"
#include "tests/bench/framing.h"
#include "tests/bench/generator.h"

using namespace auditrelay;
using Clock = std::chrono::steady_clock;

namespace {

struct Message {
  std::string topic, key, json, kind;
};

std::vector<Message> reference_events(size_t n) {
  bench::CoderLineGenerator gen(42);
  std::string text;
  for (size_t i = 0; i < n; ++i) gen.json_line(text);
  coder::Transforms transforms;
  coder::Processor proc(transforms, nullptr);
  std::vector<Message> out;
  out.reserve(n);
  for (auto& b : bench::frame(text, Registry::instance().format("slog_json"))) {
    EncodedBatch enc;
    proc.process(*b, enc);
    for (const auto& e : enc.events) {
      std::string kind(kind_name(auditrelay::kind(e.meta)));
      out.push_back({"coder." + kind, std::string(auditrelay::text(enc, e.meta, TextAttr::EventId)),
                     std::string(enc.event_json(e)), kind});
    }
  }
  return out;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long outstanding = 0;
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  --outstanding;
  if (m->err) {
    std::fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
    std::exit(1);
  }
}

void run(const char* label, const std::vector<Message>& msgs, long batches_in_flight) {
  char err[512];
  rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(owner, 3);
  for (const char* t : {"coder.audit", "coder.connection", "coder.log"})
    rd_kafka_mock_topic_create(mc, t, 4, 3);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (auto [k, v] : {std::pair{"bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mc)},
                      {"enable.idempotence", "true"},
                      {"acks", "all"},
                      {"compression.type", "zstd"},
                      {"linger.ms", "50"},
                      {"max.in.flight.requests.per.connection", "1"}})
    rd_kafka_conf_set(conf, k, v, err, sizeof err);
  // KAFKA_CEILING_PROPS="k=v,k=v" overrides the defaults above (tuning experiments).
  if (const char* extra = std::getenv("KAFKA_CEILING_PROPS")) {
    std::string props = extra;
    size_t start = 0;
    while (start < props.size()) {
      size_t end = props.find(',', start);
      if (end == std::string::npos) end = props.size();
      std::string kv = props.substr(start, end - start);
      size_t eq = kv.find('=');
      if (eq != std::string::npos &&
          rd_kafka_conf_set(conf, kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), err,
                            sizeof err) != RD_KAFKA_CONF_OK) {
        std::fprintf(stderr, "%s\n", err);
        std::exit(2);
      }
      start = end + 1;
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  const long batch = 500;
  outstanding = 0;
  size_t bytes = 0;
  double cpu0 = cpu_seconds();
  auto t0 = Clock::now();
  for (size_t i = 0; i < msgs.size();) {
    for (long j = 0; j < batch && i < msgs.size(); ++j, ++i) {
      const Message& m = msgs[i];
      rd_kafka_headers_t* h = rd_kafka_headers_new(2);
      rd_kafka_header_add(h, "schema", -1, "audit/v1", -1);
      rd_kafka_header_add(h, "kind", -1, m.kind.data(), static_cast<ssize_t>(m.kind.size()));
      while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(m.topic.c_str()),
                               RD_KAFKA_V_VALUE(const_cast<char*>(m.json.data()), m.json.size()),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_KEY(m.key.data(), m.key.size()), RD_KAFKA_V_HEADERS(h),
                               RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 10);
      ++outstanding;
      bytes += m.json.size();
    }
    if (batches_in_flight > 0)
      while (outstanding > (batches_in_flight - 1) * batch) rd_kafka_flush(rk, 5);
  }
  while (outstanding > 0) rd_kafka_flush(rk, 100);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  double n = static_cast<double>(msgs.size());
  std::printf("%-22s %10.0f %9.1f %14.2f\n", label, n / secs, bytes / secs / 1e6, cpu / n * 1e6);
  rd_kafka_destroy(rk);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(owner);
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  std::vector<Message> msgs = reference_events(n);
  size_t total = 0;
  for (const auto& m : msgs) total += m.json.size();
  std::printf(
      "librdkafka %s alone, %zu events of the reference mix (%.0f B of audit/v1 JSON each)\n",
      rd_kafka_version_str(), msgs.size(), static_cast<double>(total) / msgs.size());
  std::printf("%-22s %10s %9s %14s\n", "mode", "events/s", "MB/s", "CPU s/1M ev");
  run("one batch at a time", msgs, 1);
  run("8 batches in flight", msgs, 8);
  run("all queued", msgs, 0);
}
