#pragma once
// What reached Kafka topics, counted by their partitions' high watermarks (one RPC per
// partition): how the benchmarks see delivery to the mock cluster.
#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace auditrelay::bench {

// The Coder topics the kafka output writes at its defaults (coder.{kind}).
constexpr std::initializer_list<const char*> kCoderTopics = {"coder.audit", "coder.connection",
                                                             "coder.log"};
constexpr int kBenchPartitions = 4;

inline size_t messages_in_topics(rd_kafka_t* query,
                                 std::initializer_list<const char*> topics = kCoderTopics,
                                 int partitions = kBenchPartitions) {
  size_t total = 0;
  for (const char* t : topics)
    for (int p = 0; p < partitions; ++p) {
      int64_t lo = 0, hi = 0;
      if (rd_kafka_query_watermark_offsets(query, t, p, &lo, &hi, 2000) ==
          RD_KAFKA_RESP_ERR_NO_ERROR)
        total += static_cast<size_t>(hi);
    }
  return total;
}

}  // namespace auditrelay::bench
