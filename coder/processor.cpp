#include "coder/processor.h"

#include "coder/event/event_writer.h"
#include "core/registry/registry.h"
#include "coder/normalizer.h"
#include "coder/schemas/ocsf_class.h"
#include "coder/schemas/schema_writer.h"

namespace auditrelay::coder {

std::unique_ptr<BatchProcessor> Transforms::make_processor(Metrics* metrics) const {
  return std::make_unique<Processor>(*this, metrics);
}

Processor::Processor(const Transforms& t, Metrics* metrics)
    : t_(t), metrics_(metrics), alert_counts_(t.alerts.rules().size(), 0) {
  entry_.fields.reserve(32);
  event_.fields.reserve(32);
  for (size_t i = 0; i < t.routes.size() && i < 64; ++i) {
    if (t.free_slots & (uint64_t{1} << i)) continue;
    Schema s = i < t.schemas.size() ? t.schemas[i] : Schema::AuditV1;
    schema_routes_[static_cast<size_t>(s)] |= uint64_t{1} << i;
  }
  if (t.routes.empty()) schema_routes_[static_cast<size_t>(Schema::AuditV1)] = ~uint64_t{0};
}

namespace {
const char* const kFormats[5] = {"slog_json", "slog_human", "stackdriver", "raw", "api"};

Slice put_attr(std::string& attrs, std::string_view s) {
  Slice sl{static_cast<uint32_t>(attrs.size()), static_cast<uint32_t>(s.size())};
  attrs.append(s);
  return sl;
}
}  // namespace

size_t Processor::process(const RecordBatch& in, EncodedBatch& out) {
  static const Format* raw = Registry::instance().format("raw");
  size_t kept = 0;
  // Encoded events are ~1.3x their source line; growth beyond that is rare.
  out.json.reserve(out.json.size() + in.text.size() * 3 / 2 + 4096);
  out.events.reserve(out.events.size() + in.records.size());
  RecordContext ctx;
  ctx.source = in.source.get();
  ctx.has_offset = !ctx.source || ctx.source->positional;
  ctx.observed = in.observed;
  char observed_buf[40];
  std::string_view observed(observed_buf, in.observed.valid() ? format_rfc3339(in.observed, observed_buf) : 0);
  tap_.begin(t_.tap);
  std::string_view input = in.source ? std::string_view(in.source->input) : std::string_view();
  for (const Record& r : in.records) {
    scratch_.reset();
    scratch_.record_flags = r.flags;
    entry_.clear();
    std::string_view text = in.record_text(r);
    ++counts_.records;
    bool ok = r.format && r.format->parse(text, scratch_, entry_);
    if (!ok) {
      if (r.format && r.format != raw) ++counts_.parse_failed;
      entry_.clear();
      raw->parse(text, scratch_, entry_);
    }
    if (entry_.raw) ++counts_.raw;
    if (entry_.format == "slog_json") ++counts_.by_format[0];
    else if (entry_.format == "slog_human") ++counts_.by_format[1];
    else if (entry_.format == "stackdriver") ++counts_.by_format[2];
    else if (entry_.format == "api") ++counts_.by_format[4];
    else ++counts_.by_format[3];

    ctx.offset = r.source_offset;
    ctx.wrapper_time = r.wrapper_time;
    ctx.wrapper_severity = r.wrapper_severity;
    ctx.source_attrs = in.source_attrs(r);
    normalize(entry_, ctx, scratch_, event_);

    if (t_.drop.matches(event_)) {
      ++counts_.dropped;
      continue;
    }
    int rule = t_.alerts.apply(event_);
    if (rule >= 0) ++alert_counts_[static_cast<size_t>(rule)];

    EncodedEvent ee;
    for (size_t i = 0; i < t_.routes.size() && i < 64; ++i)
      if (!(t_.free_slots & (uint64_t{1} << i)) &&
          (t_.routes[i].empty() || t_.routes[i].matches(event_)))
        ee.routes |= (uint64_t{1} << i);
    if (t_.routes.empty()) ee.routes = ~uint64_t{0};
    encode(ee, observed, out);
    ee.meta.time = event_.time;
    ee.meta.kind = event_.kind;
    ee.meta.severity = event_.severity;
    ee.meta.event_id = put_attr(out.attrs, event_.event_id);
    ee.meta.action = put_attr(out.attrs, event_.action);
    ee.meta.resource_type = put_attr(out.attrs, event_.resource.type);
    ee.meta.alert_rule = put_attr(out.attrs, event_.alert_rule);
    ee.meta.workspace_id = put_attr(out.attrs, event_.workspace.id);
    ee.meta.ocsf_class = static_cast<uint16_t>(ocsf_class_of(event_));
    out.events.push_back(ee);
    ++kept;
    if (tap_.active()) tap_.offer(event_, input, ee.routes, EncodeContext{t_.redaction, observed});
  }
  tap_.finish();
  flush_counts();
  return kept;
}

// Each schema once, and only when an output this event is routed to receives it.
void Processor::encode(EncodedEvent& ee, std::string_view observed, EncodedBatch& out) {
  // What encoding notices (deep values) is counted once per event, from its first encoding.
  EncodeStats* stats = &encode_stats_;
  for (size_t s = 0; s < kSchemaCount; ++s) {
    if (!(ee.routes & schema_routes_[s])) continue;
    size_t start = out.json.size();
    write_event(static_cast<Schema>(s), event_, EncodeContext{t_.redaction, observed, stats},
                out.json);
    stats = nullptr;
    ee.json[s] = Slice{static_cast<uint32_t>(start), static_cast<uint32_t>(out.json.size() - start)};
  }
}

void Processor::flush_counts() {
  if (!metrics_) {
    counts_ = {};
    encode_stats_ = {};
    return;
  }
  metrics_->counter("auditrelay_events_normalized_total") += counts_.records - counts_.dropped;
  if (counts_.dropped) metrics_->counter("auditrelay_events_dropped_total", "reason=\"filter\"") += counts_.dropped;
  if (counts_.raw) metrics_->counter("auditrelay_lines_raw_total") += counts_.raw;
  if (counts_.parse_failed) metrics_->counter("auditrelay_parse_failures_total") += counts_.parse_failed;
  if (encode_stats_.deep_values) metrics_->counter("auditrelay_deep_values_total") += encode_stats_.deep_values;
  for (int i = 0; i < 5; ++i)
    if (counts_.by_format[i])
      metrics_->counter("auditrelay_events_parsed_total", std::string("format=\"") + kFormats[i] + "\"") +=
          counts_.by_format[i];
  for (size_t i = 0; i < alert_counts_.size(); ++i) {
    if (alert_counts_[i]) {
      metrics_->counter("auditrelay_alert_events_total",
                        "rule=\"" + t_.alerts.rules()[i].id + "\"") += alert_counts_[i];
      alert_counts_[i] = 0;
    }
  }
  counts_ = {};
  encode_stats_ = {};
}

const std::vector<MetricInfo>& processor_metrics() {
  using enum MetricType;
  static const std::vector<MetricInfo> k = {
      {"auditrelay_events_parsed_total", Counter, "format",
       "records per recognised format (`slog_json`, `slog_human`, `stackdriver`, `api`, `raw`)"},
      {"auditrelay_lines_raw_total", Counter, "", "records in no known format, kept as raw events"},
      {"auditrelay_parse_failures_total", Counter, "",
       "records that looked like a known format but did not parse, kept as raw events"},
      {"auditrelay_deep_values_total", Counter, "",
       "values nested 32 levels or more, written from level 32 down as a JSON string "
       "(audit-schema.md \"Hostile input\")"},
      {"auditrelay_events_normalized_total", Counter, "", "events made (and not dropped)"},
      {"auditrelay_events_dropped_total", Counter, "reason",
       "events dropped by `transforms.drop` (`reason=\"filter\"`)"},
      {"auditrelay_alert_events_total", Counter, "rule", "events tagged by each alert rule"},
  };
  return k;
}

void create_processor_series(Metrics& m, const Transforms& t) {
  for (const auto& info : processor_metrics()) m.describe(info);
  m.counter("auditrelay_events_dropped_total", "reason=\"filter\"");
  for (const char* format : kFormats)
    m.counter("auditrelay_events_parsed_total", std::string("format=\"") + format + "\"");
  for (const auto& rule : t.alerts.rules())
    m.counter("auditrelay_alert_events_total", "rule=\"" + rule.id + "\"");
}

}  // namespace auditrelay::coder
