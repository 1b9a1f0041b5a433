// Output `splunk_hec`: Splunk's HTTP Event Collector. Events are wrapped in HEC envelopes
// (time as fixed-point epoch seconds, host, source, sourcetype coder:<kind> or, for OCSF events,
// ocsf:<class>, index, indexed fields) and posted back to back. The HEC code decides what happens:
// 8/9 and HTTP 429/503 retry, 6/12/13/15 isolate the bad events for the dead-letter file and resend
// the rest, 1-4 and 7 pause the output (token or index problems) without losing the queued events.
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "coder/event/event_attributes.h"
#include "coder/schemas/ocsf_class.h"
#include "core/common/json_writer.h"
#include "core/common/time.h"
#include "core/common/uuid.h"
#include "core/metrics/metrics.h"
#include "core/plugin/output.h"
#include "core/registry/registry.h"
#include "core/server/health_board.h"
#include "plugins/common/http_client.h"

namespace auditrelay {
namespace {

struct HecAnswer {
  enum class Kind { Ok, Retry, Pause, BadEvent, Rejected } kind = Kind::Ok;
  int64_t invalid_event = -1;
  std::string why;
  std::chrono::milliseconds retry_after{0};
};

// One request's body on the event endpoint: the envelopes' text, and the parts (views into it
// and into the batch's events) that libcurl reads in order.
struct HecBody {
  std::string envelopes;
  HttpBodyParts parts;
};

class SplunkHecOutput final : public Output {
 public:
  explicit SplunkHecOutput(const PluginContext& ctx, const Options& o)
      : name_(ctx.name),
        client_(http_client_options(o)),
        endpoint_(join_url(o.str("url"), "/services/collector/event")),
        health_(join_url(o.str("url"), "/services/collector/health")),
        auth_("Authorization: Splunk " + o.str("token")),
        index_(o.str("index")),
        source_(o.str("source")),
        host_(o.str("host")),
        gzip_(o.str("compression", "none") == "gzip"),
        max_bytes_(o.size("max_request_bytes", 1 << 20)),
        pause_(o.duration("pause_on_auth_error", std::chrono::milliseconds(30000))),
        raw_(o.str("endpoint", "event") == "raw"),
        ack_(o.boolean("indexer_ack", false)),
        ack_poll_(o.duration("ack_poll_interval", std::chrono::milliseconds(500))),
        ack_timeout_(o.duration("ack_timeout", std::chrono::milliseconds(300000))),
        ack_max_pending_(static_cast<size_t>(o.integer("ack_max_pending", 10000))),
        ack_client_(ack_client_options(o)),
        health_board_(ctx.health) {
    if (raw_) endpoint_ = join_url(o.str("url"), "/services/collector/raw");
    if (ctx.metrics)
      ack_id_resets_ = &ctx.metrics->counter("auditrelay_splunk_ack_id_resets_total",
                                             "output=\"" + name_ + "\"");
    ack_url_ = join_url(o.str("url"), "/services/collector/ack");
    // One channel per agent instance, as HEC requires for indexer acknowledgement.
    Uuid u;
    std::random_device rd;
    for (auto& b : u) b = static_cast<unsigned char>(rd());
    u[6] = static_cast<unsigned char>((u[6] & 0x0f) | 0x40);
    u[8] = static_cast<unsigned char>((u[8] & 0x3f) | 0x80);
    channel_ = "X-Splunk-Request-Channel: " + format_uuid(u);
    auto types = o.map("sourcetypes");
    auto indexes = o.map("indexes");
    for (int k = 0; k < kKindCount; ++k) {
      std::string kind(kind_name(static_cast<Kind>(k)));
      std::string fallback = (ctx.schema == Schema::Ecs ? "coder:ecs:" : "coder:") + kind;
      sourcetype_[k] = types.count(kind) ? types[kind] : fallback;
      kind_index_[k] = indexes.count(kind) ? indexes[kind] : index_;
    }
    // OCSF events: one sourcetype per class, ocsf:<class> unless `sourcetypes` names the class.
    ocsf_ = ctx.schema == Schema::Ocsf;
    for (coder::OcsfClass c : coder::kOcsfClasses) {
      std::string key(coder::ocsf_class_info(static_cast<uint16_t>(c)).key);
      ocsf_sourcetype_[static_cast<uint16_t>(c)] = types.count(key) ? types[key] : "ocsf:" + key;
    }
  }

  void start() override {
    HttpResponse r = client_.request("GET", health_, "", {auth_});
    if (r.status == 200) {
      spdlog::info("output {}: Splunk HEC is healthy", name_);
      report_ok();
    } else {
      std::string why =
          r.status ? "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200) : r.error;
      spdlog::warn(
          "output {}: Splunk HEC health check failed ({}); events stay queued until it answers",
          name_, why);
      report_problem("Splunk HEC health check failed (" + why + ")");
    }
  }

  SendResult send(const OutBatch& batch) override {
    acks_.clear();
    SendResult r = raw_ ? send_raw(batch) : send_events(batch);
    if (r.status == SendResult::Status::Retry || acks_.empty()) return r;
    // Indexer acknowledgement: the driver polls the ids and counts the batch only once Splunk
    // says it is indexed; meanwhile it sends the next batches.
    SendResult pending = SendResult::ack_pending(std::move(acks_));
    pending.rejected = std::move(r.rejected);
    pending.reasons = std::move(r.reasons);
    pending.reason = std::move(r.reason);
    return pending;
  }

  AckSettings ack_settings() const override {
    return AckSettings{ack_, ack_poll_, ack_timeout_, ack_max_pending_};
  }

  // One request for every id this instance's channel is owed (the ack endpoint takes a list).
  // Ids of an earlier generation of the channel are not asked for: Splunk forgot them when it
  // restarted, so they time out and their batches are sent again.
  std::vector<uint64_t> poll_acks(const std::vector<uint64_t>& tagged) override {
    const uint64_t generation = generation_.load();
    std::vector<uint64_t> ids;
    for (uint64_t t : tagged)
      if (t >> kGenerationShift == generation) ids.push_back(t & kIdMask);
    std::vector<uint64_t> done;
    if (ids.empty()) return done;
    std::string body = "{\"acks\":[";
    for (size_t i = 0; i < ids.size(); ++i) body += (i ? "," : "") + std::to_string(ids[i]);
    body += "]}";
    HttpResponse r =
        ack_client_.post(ack_url_, body, {auth_, channel_, "Content-Type: application/json"});
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::object acks;
    if (r.status != 200 || parser.parse(r.body).get(root) || root["acks"].get_object().get(acks)) {
      spdlog::warn("output {}: polling indexer acknowledgements failed ({}); asking again", name_,
                   r.status ? "HTTP " + std::to_string(r.status) : r.error);
      return done;
    }
    // Splunk restarted while the poll was out: its "true" may be for a new id of the same
    // number, so this answer says nothing about the ids asked for.
    if (generation_.load() != generation) return done;
    for (uint64_t id : ids) {
      bool yes = false;
      if (!acks[std::to_string(id)].get_bool().get(yes) && yes)
        done.push_back(generation << kGenerationShift | id);
    }
    return done;
  }

  // Splunk numbers a channel's ackIds upwards from 0 and forgets them when it restarts. An id
  // that does not go up starts a new generation, so that it cannot be mistaken for a pending id
  // of the same number from before the restart (the driver matches ids per instance).
  uint64_t tag_ack_id(uint64_t id) {
    if (last_ack_id_ && id <= *last_ack_id_) {
      generation_.fetch_add(1);
      if (ack_id_resets_) ack_id_resets_->fetch_add(1);
      spdlog::warn(
          "output {}: Splunk's acknowledgement ids started over ({} after {}); batches "
          "awaiting earlier ids are sent again after ack_timeout",
          name_, id, *last_ack_id_);
    }
    last_ack_id_ = id;
    return generation_.load() << kGenerationShift | (id & kIdMask);
  }
  static constexpr int kGenerationShift = 40;
  static constexpr uint64_t kIdMask = (uint64_t{1} << kGenerationShift) - 1;

  // The envelope around each event, so that the driver's batches fit max_request_bytes.
  size_t framing_bytes(const OutEvent& e) const override {
    const EventMeta& m = *e.meta;
    const EncodedBatch& b = *e.batch;
    int k = static_cast<int>(kind(m));
    if (raw_) return 1;
    size_t host = host_.empty() && b.source ? b.source->host.size() : host_.size();
    size_t source = source_.size();
    if (source == 0 && b.source)
      source = (b.source->input.empty() ? b.source->path : b.source->input).size();
    // {"time":<30>,"host":"","source":"","sourcetype":"","index":"","event":,"fields":{"kind":"",
    // "action":"","resource_type":"","severity":"","alert":""}}
    // The fixed parts come to about 175 bytes; 200 leaves room for JSON escaping.
    return 200 + host + source + sourcetype(m).size() + kind_index_[k].size() +
           slot(m, TextAttr::Action).size + slot(m, TextAttr::ResourceType).size +
           slot(m, TextAttr::AlertRule).size;
  }
  size_t max_request_bytes() const override { return max_bytes_; }

 private:
  const std::string& sourcetype(const EventMeta& m) const {
    if (ocsf_) {
      auto it = ocsf_sourcetype_.find(ocsf_class(m));
      if (it != ocsf_sourcetype_.end()) return it->second;
    }
    return sourcetype_[static_cast<int>(kind(m))];
  }

  // Raw endpoint: the event JSON as the raw line, one request per sourcetype and index (they
  // travel as query parameters).
  SendResult send_raw(const OutBatch& batch) {
    std::vector<size_t> rejected, posted;
    std::string why;
    std::vector<char> taken(batch.events.size(), 0);
    for (size_t first = 0; first < batch.events.size(); ++first) {
      if (taken[first]) continue;
      const EventMeta& head = *batch.events[first].meta;
      const std::string& type = sourcetype(head);
      const std::string& index = kind_index_[static_cast<int>(kind(head))];
      HttpBodyParts body;
      std::vector<size_t> of_kind;
      for (size_t i = first; i < batch.events.size(); ++i) {
        const EventMeta& m = *batch.events[i].meta;
        if (taken[i] || sourcetype(m) != type || kind_index_[static_cast<int>(kind(m))] != index)
          continue;
        taken[i] = 1;
        body.add(batch.events[i].json);
        body.add("\n");
        of_kind.push_back(i);
      }
      std::string url = endpoint_ + "?sourcetype=" + type;
      if (!index.empty()) url += "&index=" + index;
      if (!source_.empty()) url += "&source=" + source_;
      if (!host_.empty()) url += "&host=" + host_;
      HecAnswer a = post(body, url);
      if (a.kind == HecAnswer::Kind::Retry || a.kind == HecAnswer::Kind::Pause) {
        std::vector<std::string> reasons(rejected.size(), why);
        return retry_unposted(batch, posted, std::move(rejected), std::move(reasons), std::move(a));
      }
      if (a.kind == HecAnswer::Kind::Ok) {
        posted.insert(posted.end(), of_kind.begin(), of_kind.end());
      } else {
        rejected.insert(rejected.end(), of_kind.begin(), of_kind.end());
        why = a.why;
      }
    }
    if (!rejected.empty()) return SendResult::rejected_events(std::move(rejected), why);
    return SendResult::delivered();
  }

  // A retriable answer after some requests of the batch went through. Rejected events stay
  // rejected. Without indexer ack the accepted ones are delivered and only the rest is sent
  // again; with it, they are sent again too (their ids are not kept), which may index some
  // events twice: at least once.
  SendResult retry_unposted(const OutBatch& batch, const std::vector<size_t>& posted,
                            std::vector<size_t> rejected, std::vector<std::string> reasons,
                            HecAnswer a) {
    std::vector<char> done(batch.events.size(), 0);
    if (!ack_)
      for (size_t i : posted) done[i] = 1;
    for (size_t i : rejected) done[i] = 1;
    std::vector<size_t> again;
    for (size_t i = 0; i < done.size(); ++i)
      if (!done[i]) again.push_back(i);
    // (`again` is never empty: the part that got the retriable answer is in it.)
    SendResult r = SendResult::retry_events(std::move(again), a.why, a.retry_after);
    r.rejected = std::move(rejected);
    r.reasons = std::move(reasons);
    return r;
  }

  SendResult send_events(const OutBatch& batch) {
    std::vector<size_t> pending(batch.events.size());
    for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
    std::vector<size_t> rejected;
    std::vector<std::string> reasons;  // one per rejected event
    // Isolate bad events: post, and on a bad-event answer drop the one HEC names (or bisect) and
    // post the rest again. Events HEC may already have indexed can be sent twice: at least once.
    std::vector<std::vector<size_t>> work{pending};
    std::vector<size_t> posted;  // accepted (rejected ones are not retried either)
    while (!work.empty()) {
      std::vector<size_t> part = std::move(work.back());
      work.pop_back();
      if (part.empty()) continue;
      // The driver sizes batches to max_request_bytes; bisection below only isolates bad events.
      HecBody body;
      encode(batch, part, body);
      HecAnswer a = post(body.parts);
      switch (a.kind) {
        case HecAnswer::Kind::Ok:
          posted.insert(posted.end(), part.begin(), part.end());
          break;
        case HecAnswer::Kind::Retry:
        case HecAnswer::Kind::Pause:
          return retry_unposted(batch, posted, std::move(rejected), std::move(reasons),
                                std::move(a));
        case HecAnswer::Kind::Rejected:
          rejected.insert(rejected.end(), part.begin(), part.end());
          reasons.insert(reasons.end(), part.size(), a.why);
          break;
        case HecAnswer::Kind::BadEvent:
          if (part.size() == 1) {
            rejected.push_back(part[0]);
            reasons.push_back(a.why);
          } else if (a.invalid_event >= 0 && static_cast<size_t>(a.invalid_event) < part.size()) {
            rejected.push_back(part[static_cast<size_t>(a.invalid_event)]);
            reasons.push_back(a.why);
            part.erase(part.begin() + a.invalid_event);
            work.push_back(std::move(part));
          } else {
            split(part, work);
          }
          break;
      }
    }
    if (!rejected.empty())
      return SendResult::rejected_events(std::move(rejected), std::move(reasons));
    return SendResult::delivered();
  }

 private:
  // Readiness (/readyz), told only on changes.
  void report_problem(const std::string& why) {
    problem_reported_ = true;
    if (health_board_) health_board_->fail("output " + name_, why);
  }
  void report_ok() {
    if (problem_reported_ && health_board_) health_board_->ok("output " + name_);
    problem_reported_ = false;
  }

  // The acknowledgement poll must not hold up a shutdown for the output's full request timeout.
  static HttpClientOptions ack_client_options(const Options& o) {
    HttpClientOptions opts = http_client_options(o);
    opts.timeout = std::min(opts.timeout, std::chrono::milliseconds(5000));
    opts.connect_timeout = std::min(opts.connect_timeout, std::chrono::milliseconds(5000));
    return opts;
  }

  static void split(std::vector<size_t>& part, std::vector<std::vector<size_t>>& work) {
    size_t half = part.size() / 2;
    work.emplace_back(part.begin() + static_cast<long>(half), part.end());
    work.emplace_back(part.begin(), part.begin() + static_cast<long>(half));
  }

  // The envelopes are written into one string with a gap where each event goes; the request
  // reads the envelope pieces and the events in place (HttpBodyParts) instead of a body that
  // copies every event once more. Joining was the HEC sender's largest copy, and HEC ran 12 %
  // behind http on bulk file -> output (e2e_bench, issue 20).
  void encode(const OutBatch& batch, const std::vector<size_t>& which, HecBody& body) {
    std::string& out = body.envelopes;
    out.clear();
    out.reserve(which.size() * 256);
    std::vector<size_t> gap(which.size());
    char tbuf[40];
    for (size_t n = 0; n < which.size(); ++n) {
      const OutEvent& e = batch.events[which[n]];
      const EventMeta& m = *e.meta;
      const EncodedBatch& b = *e.batch;
      int k = static_cast<int>(kind(m));
      JsonWriter w(out);
      w.begin_object();
      w.key("time");
      w.raw(std::string_view(tbuf, format_epoch(m.time, tbuf)));
      w.field("host", host_.empty() && b.source ? std::string_view(b.source->host)
                                                : std::string_view(host_));
      std::string_view source = source_;
      if (source.empty() && b.source)
        source = b.source->input.empty() ? b.source->path : b.source->input;
      w.field("source", source);
      w.field("sourcetype", sourcetype(m));
      if (!kind_index_[k].empty()) w.field("index", kind_index_[k]);
      w.key("event");
      w.raw({});  // the event itself goes here, as its own part
      gap[n] = out.size();
      // Indexed fields must be flat strings.
      w.key("fields");
      w.begin_object();
      w.field("kind", kind_name(kind(m)));
      if (slot(m, TextAttr::Action).size) w.field("action", text(b, m, TextAttr::Action));
      if (slot(m, TextAttr::ResourceType).size)
        w.field("resource_type", text(b, m, TextAttr::ResourceType));
      w.field("severity", severity_name(m.severity));
      if (slot(m, TextAttr::AlertRule).size) w.field("alert", text(b, m, TextAttr::AlertRule));
      w.end_object();
      w.end_object();
    }
    // Only now are views into `out` stable: envelope up to the first gap, then per event the
    // event and the envelope text up to the next gap (its tail and the next one's head).
    body.parts.clear();
    size_t from = 0;
    for (size_t n = 0; n < which.size(); ++n) {
      body.parts.add(std::string_view(out).substr(from, gap[n] - from));
      body.parts.add(batch.events[which[n]].json);
      from = gap[n];
    }
    body.parts.add(std::string_view(out).substr(from));
  }

  HecAnswer post(const HttpBodyParts& body, const std::string& url = {}) {
    std::vector<std::string> headers{
        auth_, raw_ ? "Content-Type: text/plain" : "Content-Type: application/json"};
    if (ack_ || raw_) headers.push_back(channel_);
    const std::string& target = url.empty() ? endpoint_ : url;
    HttpResponse r;
    if (gzip_) {
      headers.push_back("Content-Encoding: gzip");
      r = client_.post(target, gzip_compress(body), headers);
    } else {
      r = client_.post(target, body, headers);  // libcurl reads the parts in place
    }
    HecAnswer a;
    if (r.status == 0) {
      a.kind = HecAnswer::Kind::Retry;
      a.why = "transport error: " + r.error;
      return a;
    }
    int64_t code = -1;
    std::string text;
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (!parser.parse(r.body).get(root)) {
      int64_t c, inv, ack_id;
      std::string_view t;
      if (!root["code"].get_int64().get(c)) code = c;
      if (ack_ && r.status == 200 && !root["ackId"].get_int64().get(ack_id) && ack_id >= 0)
        acks_.push_back(tag_ack_id(static_cast<uint64_t>(ack_id)));
      if (!root["text"].get_string().get(t)) text = std::string(t);
      if (!root["invalid-event-number"].get_int64().get(inv)) a.invalid_event = inv;
    }
    a.why = "HEC " +
            (code >= 0 ? "code " + std::to_string(code) : "HTTP " + std::to_string(r.status)) +
            (text.empty() ? ": " + r.body.substr(0, 200) : ": " + text);
    if (r.status == 200 && (code == 0 || code == -1)) {
      if (paused_.exchange(false))
        spdlog::info("output {}: Splunk HEC accepts events again", name_);
      report_ok();
      a.kind = HecAnswer::Kind::Ok;
      return a;
    }
    if ((code >= 1 && code <= 4) || code == 7 || r.status == 401 || r.status == 403) {
      if (!paused_.exchange(true))
        spdlog::error(
            "output {}: Splunk HEC refuses the {} ({}); output paused, events kept queued, "
            "retrying every {} s",
            name_, code == 7 ? "index" : "token", a.why, pause_.count() / 1000);
      report_problem(std::string("Splunk HEC refuses the ") + (code == 7 ? "index" : "token") +
                     " (" + a.why + ")");
      a.kind = HecAnswer::Kind::Pause;
      a.retry_after = pause_;
      return a;
    }
    // 413: the request is larger than Splunk takes (max_content_length): split it like a bad
    // batch; a single event that is still too large is dead-lettered.
    if (code == 6 || code == 12 || code == 13 || code == 15 || r.status == 413) {
      a.kind = HecAnswer::Kind::BadEvent;
      return a;
    }
    if (code == 8 || code == 9 || r.status == 429 || r.status >= 500 || r.status == 408) {
      a.kind = HecAnswer::Kind::Retry;
      a.retry_after = r.retry_after;
      return a;
    }
    // Any other client error is about the request as a whole.
    a.kind = r.status >= 400 ? HecAnswer::Kind::Rejected : HecAnswer::Kind::Retry;
    return a;
  }

  std::string name_;
  HttpClient client_;
  std::string endpoint_, health_, auth_, index_, source_, host_;
  bool gzip_;
  size_t max_bytes_;
  std::chrono::milliseconds pause_;
  std::string sourcetype_[kKindCount], kind_index_[kKindCount];
  bool ocsf_ = false;
  std::map<uint16_t, std::string> ocsf_sourcetype_;
  std::atomic<bool> paused_{false};
  bool raw_, ack_;
  std::chrono::milliseconds ack_poll_, ack_timeout_;
  size_t ack_max_pending_;
  HttpClient ack_client_;  // the acknowledgement thread's own connection
  HealthBoard* health_board_;
  bool problem_reported_ = false;
  std::string ack_url_, channel_;
  std::vector<uint64_t> acks_;           // ids the current send() was given
  std::optional<uint64_t> last_ack_id_;  // sender thread only
  std::atomic<uint64_t> generation_{0};  // read by the acknowledgement thread
  Metrics::Counter* ack_id_resets_ = nullptr;
};

std::vector<OptionSpec> specs() {
  std::vector<OptionSpec> s = {
      {"url", OptType::String, "", true, "HEC base URL, e.g. https://splunk.example.com:8088"},
      {"token", OptType::String, "", true, "HEC token (or token_file)", {}, {}, true},
      {"index", OptType::String, "", false, "index for every event (default: the token's)"},
      {"indexes", OptType::Map, "", false, "index per kind: {audit: .., connection: .., log: ..}"},
      {"sourcetypes", OptType::Map, "", false,
       "sourcetype per kind (default coder:audit, coder:connection, coder:boundary, coder:log; "
       "with schema: ecs, coder:ecs:<kind>); with schema: ocsf, per OCSF class (default "
       "ocsf:<class>, e.g. ocsf:authentication, ocsf:api_activity)"},
      {"source", OptType::String, "", false, "source field (default: the input's name)"},
      {"host", OptType::String, "", false, "host field (default: source.host)"},
      {"compression", OptType::Enum, "none", false, "request body compression", {"none", "gzip"}},
      {"max_request_bytes", OptType::Size, "1MiB", false,
       "largest request body: the driver closes a batch before its envelopes would pass it "
       "(together with batch.max_bytes)"},
      {"endpoint",
       OptType::Enum,
       "event",
       false,
       "event: HEC envelopes on /services/collector/event; raw: the event JSON as raw lines on "
       "/services/collector/raw",
       {"event", "raw"}},
      {"indexer_ack", OptType::Bool, "false", false,
       "acknowledge a batch only when Splunk reports it indexed (/services/collector/ack, needs "
       "useACK on the token)"},
      {"ack_poll_interval", OptType::Duration, "500ms", false,
       "how often pending acknowledgements are polled"},
      {"ack_timeout", OptType::Duration, "300s", false,
       "a batch not acknowledged by then is sent again"},
      {"ack_max_pending", OptType::Int, "10000", false,
       "batches awaiting acknowledgement at once; sending waits when this many are. Their events "
       "wait on disk under data_dir/ack_spill, not in memory"},
      {"pause_on_auth_error", OptType::Duration, "30s", false,
       "how long to wait before trying again after a token (1-4) or index (7) error"},
  };
  auto common = http_client_specs();
  s.insert(s.end(), common.begin(), common.end());
  return s;
}

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "splunk_hec",
    .summary = "Splunk HTTP Event Collector (/services/collector/event) with HEC envelopes",
    .options = specs(),
    .make_output = [](const PluginContext& ctx, const Options& o) -> std::unique_ptr<Output> {
      return std::make_unique<SplunkHecOutput>(ctx, o);
    },
    .validate = [](const Options& o, const std::string& path, Diagnostics& d,
                   Schema) { validate_http_client(o, path, d); },
    .metrics = {{"auditrelay_splunk_ack_id_resets_total", MetricType::Counter, "output",
                 "Splunk's ackIds started over (an indexer restarted): batches awaiting older ids "
                 "are sent again after `ack_timeout`"}},
});

}  // namespace
}  // namespace auditrelay
