#include "coder/processor.h"

#include <algorithm>

#include "coder/event/event_attributes.h"
#include "coder/event/event_writer.h"
#include "coder/normalizer.h"
#include "coder/schemas/ocsf_class.h"
#include "coder/schemas/schema_writer.h"
#include "core/registry/registry.h"

namespace auditrelay::coder {

std::unique_ptr<BatchProcessor> Transforms::make_processor(Metrics* metrics) const {
  return std::make_unique<Processor>(*this, metrics);
}

Processor::Processor(const Transforms& t, Metrics* metrics)
    : t_(t),
      metrics_(metrics),
      fallback_(Registry::instance().fallback_format()),
      alert_counts_(t.alerts.rules().size(), 0) {
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

Slice put_attr(std::string& attrs, std::string_view s) {
  Slice sl{static_cast<uint32_t>(attrs.size()), static_cast<uint32_t>(s.size())};
  attrs.append(s);
  return sl;
}

std::string format_label(std::string_view name) {
  return "format=\"" + std::string(name) + "\"";
}

}  // namespace

FormatCounts::FormatCounts() : names_(Registry::instance().entry_format_names()) {
  counts_.assign(names_.size(), 0);
  fallback_ = names_.size();
  for (const auto* d : Registry::instance().list(PluginKind::Format))
    if (d->fallback && !d->entry_formats.empty())
      fallback_ = static_cast<size_t>(
          std::lower_bound(names_.begin(), names_.end(), d->entry_formats.front()) -
          names_.begin());
}

void FormatCounts::add(std::string_view entry_format) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == entry_format) {
      ++counts_[i];
      return;
    }
  }
  if (fallback_ < counts_.size()) ++counts_[fallback_];
}

void FormatCounts::flush(Metrics& m) {
  for (size_t i = 0; i < names_.size(); ++i)
    if (counts_[i])
      m.counter("auditrelay_events_parsed_total", format_label(names_[i])) += counts_[i];
  clear();
}

void FormatCounts::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
}

void FormatCounts::create_series(Metrics& m) {
  for (const auto& name : Registry::instance().entry_format_names())
    m.counter("auditrelay_events_parsed_total", format_label(name));
}

size_t Processor::process(const RecordBatch& in, EncodedBatch& out) {
  size_t kept = 0;
  // Encoded events are ~1.3x their source line; growth beyond that is rare.
  out.json.reserve(out.json.size() + in.text_bytes() * 3 / 2 + 4096);
  out.events.reserve(out.events.size() + in.records.size());
  RecordContext ctx;
  ctx.source = in.source.get();
  ctx.has_offset = !ctx.source || ctx.source->positional;
  ctx.observed = in.observed;
  char observed_buf[40];
  std::string_view observed(observed_buf,
                            in.observed.valid() ? format_rfc3339(in.observed, observed_buf) : 0);
  tap_.begin(t_.tap);
  std::string_view input = in.source ? std::string_view(in.source->input) : std::string_view();
  for (const Record& r : in.records) {
    parse(in, r);
    ctx.offset = r.source_offset;
    ctx.wrapper_time = r.wrapper_time;
    ctx.wrapper_severity = r.wrapper_severity;
    ctx.source_attrs = in.source_attrs(r);
    normalize(entry_, ctx, scratch_, event_);
    if (!keep()) continue;

    EncodedEvent ee;
    ee.routes = routes();
    encode(ee, observed, out);
    describe(ee.meta, out.attrs);
    out.events.push_back(ee);
    ++kept;
    if (tap_.active()) tap_.offer(event_, input, ee.routes, EncodeContext{t_.redaction, observed});
  }
  tap_.finish();
  flush_counts();
  return kept;
}

// The record's entry, by its own format or else by the fallback (which takes any text).
void Processor::parse(const RecordBatch& in, const Record& r) {
  scratch_.reset();
  scratch_.record_flags = r.flags;
  entry_.clear();
  std::string_view text = in.record_text(r);
  ++counts_.records;
  bool ok = r.format && r.format->parse(text, scratch_, entry_);
  if (!ok) {
    if (r.format && r.format != fallback_) ++counts_.parse_failed;
    entry_.clear();
    fallback_->parse(text, scratch_, entry_);
  }
  if (entry_.raw) ++counts_.raw;
  counts_.by_format.add(entry_.format);
}

// false when transforms.drop matches the event; a kept event is tagged by the alert rules.
bool Processor::keep() {
  if (t_.drop.matches(event_)) {
    ++counts_.dropped;
    return false;
  }
  int rule = t_.alerts.apply(event_);
  if (rule >= 0) ++alert_counts_[static_cast<size_t>(rule)];
  return true;
}

// Bit i set: output i's match query takes the event.
uint64_t Processor::routes() const {
  if (t_.routes.empty()) return ~uint64_t{0};
  uint64_t routes = 0;
  for (size_t i = 0; i < t_.routes.size() && i < 64; ++i)
    if (!(t_.free_slots & (uint64_t{1} << i)) &&
        (t_.routes[i].empty() || t_.routes[i].matches(event_)))
      routes |= (uint64_t{1} << i);
  return routes;
}

// The attributes outputs read without parsing the JSON (coder/event/event_attributes.h).
void Processor::describe(EventMeta& meta, std::string& attrs) const {
  meta.time = event_.time;
  set_kind(meta, event_.kind);
  meta.severity = event_.severity;
  slot(meta, TextAttr::EventId) = put_attr(attrs, event_.event_id);
  slot(meta, TextAttr::Action) = put_attr(attrs, event_.action);
  slot(meta, TextAttr::ResourceType) = put_attr(attrs, event_.resource.type);
  slot(meta, TextAttr::AlertRule) = put_attr(attrs, event_.alert_rule);
  slot(meta, TextAttr::WorkspaceId) = put_attr(attrs, event_.workspace.id);
  set_ocsf_class(meta, static_cast<uint16_t>(ocsf_class_of(event_)));
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
    ee.json[s] =
        Slice{static_cast<uint32_t>(start), static_cast<uint32_t>(out.json.size() - start)};
  }
}

void Processor::flush_counts() {
  if (!metrics_) {
    reset_counts();
    return;
  }
  metrics_->counter("auditrelay_events_normalized_total") += counts_.records - counts_.dropped;
  if (counts_.dropped)
    metrics_->counter("auditrelay_events_dropped_total", "reason=\"filter\"") += counts_.dropped;
  if (counts_.raw) metrics_->counter("auditrelay_lines_raw_total") += counts_.raw;
  if (counts_.parse_failed)
    metrics_->counter("auditrelay_parse_failures_total") += counts_.parse_failed;
  if (encode_stats_.deep_values)
    metrics_->counter("auditrelay_deep_values_total") += encode_stats_.deep_values;
  counts_.by_format.flush(*metrics_);
  for (size_t i = 0; i < alert_counts_.size(); ++i) {
    if (alert_counts_[i]) {
      metrics_->counter("auditrelay_alert_events_total",
                        "rule=\"" + t_.alerts.rules()[i].id + "\"") += alert_counts_[i];
      alert_counts_[i] = 0;
    }
  }
  reset_counts();
}

void Processor::reset_counts() {
  counts_.records = counts_.raw = counts_.dropped = counts_.parse_failed = 0;
  counts_.by_format.clear();
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
  FormatCounts::create_series(m);
  for (const auto& rule : t.alerts.rules())
    m.counter("auditrelay_alert_events_total", "rule=\"" + rule.id + "\"");
}

}  // namespace auditrelay::coder
