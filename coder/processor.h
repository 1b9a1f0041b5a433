#pragma once
// One worker's path for a batch: parse each record with its format, normalize it into the audit
// schema, drop what transforms.drop matches, tag alerts, route to outputs by their match queries
// and encode the event once per schema its outputs ask for (audit/v1, OCSF, ECS).
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coder/alerts.h"
#include "coder/event/event.h"
#include "coder/event/event_writer.h"
#include "coder/event/redaction.h"
#include "coder/query.h"
#include "coder/tap.h"
#include "core/event/format.h"
#include "core/event/schema.h"
#include "core/metrics/metrics.h"
#include "core/pipeline/batch_processor.h"
#include "core/pipeline/encoded_batch.h"

namespace auditrelay::coder {

struct Transforms final : ProcessorFactory {
  Redaction redaction;
  AlertRules alerts = AlertRules::defaults();
  AnyQuery drop;
  // One per output, in output order; an empty one routes everything.
  std::vector<AnyQuery> routes;
  // The schema each output receives, indexed like routes. With no outputs at all (the
  // normalize command), events are encoded in audit/v1.
  std::vector<Schema> schemas;
  // Bit i set: index i holds no output (a reload removed it and kept the others' indexes), so
  // nothing is routed or encoded for it.
  uint64_t free_slots = 0;
  // The `auditrelay tap` clients to copy events to (the runtime's; null: none).
  const TapHub* tap = nullptr;

  std::unique_ptr<BatchProcessor> make_processor(Metrics* metrics) const override;
};

// The metrics processors keep, and every series of this config's made at 0 (so /metrics shows
// them before the first event).
const std::vector<MetricInfo>& processor_metrics();
void create_processor_series(Metrics& m, const Transforms& t);

// Records per entry format, the `format` label of auditrelay_events_parsed_total: a counter for
// every name a registered format gives its entries; a name none declared (or no name) counts
// under the fallback format's.
class FormatCounts {
 public:
  FormatCounts();
  void add(std::string_view entry_format);
  // Adds the counts to their series and starts again from 0.
  void flush(Metrics& m);
  void clear();
  // Every series at 0 (so /metrics shows them before the first record).
  static void create_series(Metrics& m);

 private:
  std::vector<std::string> names_;  // sorted
  std::vector<uint64_t> counts_;    // indexed like names_
  size_t fallback_;                 // names_.size(): there is no fallback format
};

class Processor final : public BatchProcessor {
 public:
  Processor(const Transforms& transforms, Metrics* metrics);
  // Appends the batch's events to out (out.json, out.events); returns the number kept.
  size_t process(const RecordBatch& in, EncodedBatch& out) override;

  // Per-record counters, flushed to Metrics once per batch.
  struct Counts {
    uint64_t records = 0, raw = 0, dropped = 0, parse_failed = 0;
    FormatCounts by_format;
  };

 private:
  void parse(const RecordBatch& in, const Record& r);
  bool keep();
  uint64_t routes() const;
  void encode(EncodedEvent& ee, std::string_view observed, EncodedBatch& out);
  void describe(EventMeta& meta, std::string& attrs) const;
  void flush_counts();
  void reset_counts();

  const Transforms& t_;
  Metrics* metrics_;
  const Format* fallback_;  // parses what the record's own format does not
  ParseScratch scratch_;
  ParsedEntry entry_;
  Event event_;
  Counts counts_;
  EncodeStats encode_stats_;
  std::vector<uint64_t> alert_counts_;
  TapBatch tap_;
  // Bit i set in schema_routes_[s]: output i receives schema s.
  std::array<uint64_t, kSchemaCount> schema_routes_{};
};

}  // namespace auditrelay::coder
