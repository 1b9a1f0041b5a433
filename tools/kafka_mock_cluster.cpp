// auditrelay-kafka-mock: starts librdkafka's in-process mock Kafka cluster (a real Kafka-protocol
// broker set on loopback) and prints its bootstrap address, so the agent can be tried against
// Kafka without a Kafka installation. Runs until SIGINT/SIGTERM.
//   auditrelay-kafka-mock [brokers=3] [topic:partitions ...]
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  int brokers = argc > 1 ? std::atoi(argv[1]) : 3;
  if (brokers < 1) brokers = 3;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "cannot create a handle: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    std::fprintf(stderr, "cannot start the mock cluster\n");
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    std::string spec = argv[i];
    size_t colon = spec.find(':');
    int parts = colon == std::string::npos ? 3 : std::atoi(spec.c_str() + colon + 1);
    rd_kafka_mock_topic_create(mc, spec.substr(0, colon).c_str(), parts, 1);
  }
  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  std::fflush(stdout);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig;
  sigwait(&set, &sig);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
