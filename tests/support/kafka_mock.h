#pragma once
// librdkafka's mock cluster: real Kafka protocol brokers on loopback, in this process.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>

namespace auditrelay::test {

class MockCluster {
 public:
  explicit MockCluster(int brokers = 3) {
    char err[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
    mc_ = rd_kafka_mock_cluster_new(rk_, brokers);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }
  rd_kafka_mock_cluster_t* get() { return mc_; }
  void topic(const std::string& name, int partitions = 4) {
    rd_kafka_mock_topic_create(mc_, name.c_str(), partitions, 3);
  }

 private:
  rd_kafka_t* rk_;
  rd_kafka_mock_cluster_t* mc_;
};

}  // namespace auditrelay::test
