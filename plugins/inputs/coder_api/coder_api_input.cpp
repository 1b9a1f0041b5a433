// Input `coder_api`: polls Coder's REST API, the source of truth for audit and connection logs
// (FORMATS.md §10). Rows come newest first, so each poll pages back from the top until it reaches
// what was already delivered, then hands the new rows on oldest first. Audit filters are
// day-granular: a backfill walks one day at a time, so memory holds one day's new rows at most.
// The cursor (watermark time, recent ids, open sessions) moves only over rows every output
// acknowledged, and is saved then, so a crash re-sends at most the batches in flight.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "core/common/backoff.h"
#include "core/config/units.h"
#include "core/event/format.h"
#include "core/metrics/metrics.h"
#include "core/pipeline/ack.h"
#include "core/pipeline/offset_tracker.h"
#include "core/plugin/input.h"
#include "core/registry/registry.h"
#include "core/server/health_board.h"
#include "plugins/common/http_client.h"
#include "plugins/formats/coder_api/coder_api_format.h"
#include "plugins/inputs/coder_api/api_cursor.h"

namespace auditrelay {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int64_t kDay = 86400;

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string day_of(int64_t epoch_seconds) {
  int64_t days = epoch_seconds >= 0 ? epoch_seconds / kDay : (epoch_seconds - kDay + 1) / kDay;
  Timestamp t{days * kDay, 0, 0};
  return format_rfc3339(t).substr(0, 10);
}

Timestamp minus(Timestamp t, milliseconds d) {
  int64_t ns = static_cast<int64_t>(t.nanos) - (d.count() % 1000) * 1000000;
  t.seconds -= d.count() / 1000;
  if (ns < 0) {
    ns += 1000000000;
    t.seconds -= 1;
  }
  t.nanos = static_cast<uint32_t>(ns);
  return t;
}

// One event to hand on, with what its acknowledgement does to the cursor.
struct Emission {
  std::string text;  // the row JSON
  std::string id;
  Timestamp time;
  enum class Effect { Seen, SeenAndOpen, Closed } effect = Effect::Seen;
  uint8_t flags = 0;  // record_flags: kEndEvent for a connection row's disconnect
};

struct Row {
  std::string id, json;
  Timestamp time;
  bool has_ssh = false, disconnected = false;
};

enum class FetchStatus { Ok, Retry, Auth, Stopped, TooLarge };

// Coder caps `count` at count_cap + 1 (2001); a window with more rows is read a day at a time.
constexpr int64_t kWindowRows = 2000;

// The cursors and the poll being delivered. Acknowledgements arrive on output threads, possibly
// after the input thread has returned, so they hold this by shared_ptr.
class CursorKeeper {
 public:
  explicit CursorKeeper(std::string path) : file_(std::move(path)) {}
  std::map<std::string, StreamCursor>& cursors() {
    return cursors_;
  }  // input thread, no poll pending
  void load() { file_.load(cursors_); }
  void set_gauge(const std::string& stream, std::atomic<int64_t>* g) { gauges_[stream] = g; }

  // Starts delivering a poll's emissions; returns the tracker their batches register with.
  std::shared_ptr<OffsetTracker> begin(const std::string& stream, std::vector<Emission> emissions) {
    std::lock_guard lock(mu_);
    stream_ = stream;
    pending_ = std::move(emissions);
    applied_ = 0;
    tracker_ = std::make_shared<OffsetTracker>(0);
    return tracker_;
  }
  const std::vector<Emission>& pending() const {
    return pending_;
  }  // unchanged until the next begin
  bool all_applied() {
    std::lock_guard lock(mu_);
    return applied_ >= pending_.size();
  }
  // One batch acknowledged by every output: the cursor moves over it and is saved at once, so
  // an acknowledged batch is never sent again after a crash.
  void ack(const std::shared_ptr<OffsetTracker>& tracker, uint64_t ticket) {
    std::lock_guard lock(mu_);
    if (tracker != tracker_ || !tracker->ack(ticket)) return;
    size_t upto = static_cast<size_t>(tracker->committed());
    StreamCursor& c = cursors_[stream_];
    for (; applied_ < upto && applied_ < pending_.size(); ++applied_) {
      const Emission& e = pending_[applied_];
      if (e.effect == Emission::Effect::Closed) {
        c.open.erase(e.id);
      } else {
        c.recent.add(e.id);
        if (e.effect == Emission::Effect::SeenAndOpen) c.open[e.id] = e.time;
      }
      if (c.watermark.before(e.time)) c.watermark = e.time;
    }
    if (auto it = gauges_.find(stream_); it != gauges_.end() && it->second)
      it->second->store(c.watermark.seconds);
    file_.save(cursors_);
  }

 private:
  ApiCursorFile file_;
  std::map<std::string, StreamCursor> cursors_;
  std::map<std::string, std::atomic<int64_t>*> gauges_;
  std::mutex mu_;
  std::string stream_;
  std::vector<Emission> pending_;
  size_t applied_ = 0;
  std::shared_ptr<OffsetTracker> tracker_;
};

struct InputOptions {
  std::string url, token, query;
  std::vector<std::string> streams;
  milliseconds interval{30000}, overlap{120000}, auth_retry{300000}, max_backoff{300000};
  milliseconds unready_after{60000};  // 0: failures never make /readyz fail
  milliseconds session_max_age{7LL * 86400 * 1000};
  int64_t limit = 100;
  std::string backfill_from;
  size_t dedup_window = 20000;
};

class CoderApiInput final : public Input {
 public:
  CoderApiInput(const PluginContext& ctx, const Options& o)
      : name_(ctx.name),
        health_(ctx.health),
        keeper_(std::make_shared<CursorKeeper>(ctx.data_dir + "/coder_api/" + ctx.name + ".json")) {
    opts_.url = o.str("url");
    while (!opts_.url.empty() && opts_.url.back() == '/') opts_.url.pop_back();
    opts_.token = o.str("token");
    opts_.query = o.str("query");
    opts_.streams = o.list("streams");
    if (opts_.streams.empty()) opts_.streams = {"audit", "connection"};
    opts_.interval = o.duration("interval", opts_.interval);
    opts_.overlap = o.duration("overlap", opts_.overlap);
    opts_.auth_retry = o.duration("auth_retry", opts_.auth_retry);
    opts_.unready_after = o.duration("unready_after", opts_.unready_after);
    opts_.session_max_age = o.duration("session_max_age", opts_.session_max_age);
    opts_.limit = std::clamp<int64_t>(o.integer("limit", 100), 1, 1000);
    opts_.backfill_from = o.str("backfill_from");
    opts_.dedup_window =
        static_cast<size_t>(std::max<int64_t>(o.integer("dedup_window", 20000), 100));
    HttpClientOptions h = http_client_options(o);
    h.max_body = 256u << 20;  // whole pages
    client_ = std::make_unique<HttpClient>(std::move(h));
  }

  void run(InputHost& host) override {
    host_ = &host;
    keeper_->load();
    for (const auto& s : opts_.streams) {
      StreamCursor& c = keeper_->cursors()[s];
      c.recent.set_capacity(opts_.dedup_window);
      if (!c.watermark.valid()) c.watermark = start_point();
      auto src = std::make_shared<SourceInfo>();
      src->input = name_;
      src->type = "coder_api";
      src->path = endpoint(s);
      src->identity = "coder_api:" + name_ + ":" + s;
      src->host = host.host_name();
      src->positional = false;
      sources_[s] = src;
      Metrics& m = host.metrics();
      std::string label = "input=\"" + name_ + "\",stream=\"" + s + "\"";
      counters_[s] = StreamCounters{&m.counter("auditrelay_coder_api_pages_total", label),
                                    &m.counter("auditrelay_coder_api_events_total", label),
                                    &m.counter("auditrelay_coder_api_malformed_rows_total", label),
                                    &m.counter("auditrelay_coder_api_errors_total", label),
                                    &m.gauge("auditrelay_coder_api_up", label),
                                    &m.gauge("auditrelay_coder_api_watermark_seconds", label)};
      counters_[s].watermark->store(c.watermark.seconds);
      keeper_->set_gauge(s, counters_[s].watermark);
    }
    std::map<std::string, Clock::time_point> next_poll;
    std::map<std::string, Backoff> backoff;  // per stream, from its first failure on
    while (!stopping()) {
      for (const auto& s : opts_.streams) {
        if (stopping()) break;
        if (next_poll.count(s) && Clock::now() < next_poll[s]) continue;
        FetchStatus st = s == "audit" ? poll_audit() : poll_connection();
        milliseconds wait = opts_.interval;
        if (st == FetchStatus::Ok) {
          backoff.erase(s);
          counters_[s].up->store(1);
          if ((auth_status_[s] != 0 || failing_since_.count(s)) && health_)
            health_->ok("input " + name_ + " (" + s + ")");
          auth_status_[s] = 0;
          failing_since_.erase(s);
        } else if (st == FetchStatus::Auth) {
          counters_[s].up->store(0);
          wait = opts_.auth_retry;
        } else if (st == FetchStatus::Retry) {
          counters_[s].up->store(0);
          auto it = backoff.try_emplace(s, milliseconds(1000), opts_.max_backoff).first;
          wait = it->second.next(retry_after_);
          retry_after_ = {};
          report_unready_when_failing_long(s);
        }
        next_poll[s] = Clock::now() + wait;
      }
      sleep_until_due(next_poll);
    }
  }

 private:
  struct StreamCounters {
    Metrics::Counter *pages, *events, *malformed, *errors;
    std::atomic<int64_t>* up;
    std::atomic<int64_t>* watermark;
  };

  bool stopping() const { return host_->stopping().load(); }

  void sleep_until_due(const std::map<std::string, Clock::time_point>& next) {
    auto until = Clock::now() + opts_.interval;
    for (const auto& [s, t] : next) until = std::min(until, t);
    while (!stopping() && Clock::now() < until) std::this_thread::sleep_for(milliseconds(20));
  }

  std::string endpoint(const std::string& stream) const {
    return stream == "audit" ? "/api/v2/audit" : "/api/v2/connectionlog";
  }

  // Where a stream without a saved cursor starts: backfill_from (a date or a duration back),
  // else now (only new events are shipped).
  Timestamp start_point() const {
    Timestamp now = now_timestamp();
    if (opts_.backfill_from.empty()) return now;
    Timestamp t;
    if (parse_date(opts_.backfill_from, t) || parse_rfc3339(opts_.backfill_from, t)) return t;
    if (auto d = parse_duration(opts_.backfill_from)) return minus(now, *d);
    return now;
  }

  std::string with_user_query(const std::string& q) const {
    return opts_.query.empty() ? q : opts_.query + " " + q;
  }

  // Coder unreachable or failing (not a refused token: that fails readiness at once): /readyz
  // fails once the stream has failed for unready_after without a success.
  void report_unready_when_failing_long(const std::string& stream) {
    auto since = failing_since_.try_emplace(stream, Clock::now()).first->second;
    if (!health_ || opts_.unready_after.count() == 0 || Clock::now() - since < opts_.unready_after)
      return;
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - since).count();
    health_->fail("input " + name_ + " (" + stream + ")",
                  "GET " + endpoint(stream) + " failing for " + std::to_string(secs) +
                      " s: " + last_failure_[stream]);
  }

  // Fetches pages (newest first) until a short page or one that reaches below `floor`.
  // With `refuse_large`, a first page whose count says more than kWindowRows gives TooLarge.
  FetchStatus fetch(const std::string& stream, const std::string& q, const Timestamp& floor,
                    std::vector<Row>& rows, bool refuse_large = false) {
    simdjson::dom::parser parser;
    for (int64_t offset = 0, pages = 0; pages < 100000; offset += opts_.limit, ++pages) {
      if (stopping()) return FetchStatus::Stopped;
      HttpResponse r = get_page(stream, q, offset);
      if (FetchStatus st = check_answer(stream, r); st != FetchStatus::Ok) return st;
      simdjson::dom::element root;
      simdjson::dom::array items;
      if (!parse_page(stream, r, parser, root, items)) return FetchStatus::Retry;
      counters_[stream].pages->fetch_add(1, std::memory_order_relaxed);
      int64_t count = 0;
      if (refuse_large && offset == 0 && !root["count"].get_int64().get(count) &&
          count > kWindowRows)
        return FetchStatus::TooLarge;
      bool below_floor = false;
      size_t n = take_rows(stream, items, floor, rows, below_floor);
      if (static_cast<int64_t>(n) < opts_.limit || below_floor) return FetchStatus::Ok;
    }
    return FetchStatus::Ok;
  }

  HttpResponse get_page(const std::string& stream, const std::string& q, int64_t offset) {
    std::string url = opts_.url + endpoint(stream) + "?q=" + percent_encode(q) +
                      "&limit=" + std::to_string(opts_.limit) + "&offset=" + std::to_string(offset);
    return client_->request("GET", url, "",
                            {"Coder-Session-Token: " + opts_.token, "Accept: application/json"});
  }

  // Ok for a success; otherwise the failure is counted and logged, and the answer says what
  // the poller does next (Auth: wait auth_retry, Retry: back off).
  FetchStatus check_answer(const std::string& stream, const HttpResponse& r) {
    if (r.status == 401 || r.status == 403 || (stream == "connection" && r.status == 404)) {
      counters_[stream].errors->fetch_add(1, std::memory_order_relaxed);
      report_refused(stream, r);
      return FetchStatus::Auth;
    }
    if (r.status < 200 || r.status >= 300) {
      counters_[stream].errors->fetch_add(1, std::memory_order_relaxed);
      last_failure_[stream] = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
      spdlog::warn(
          "input {}: GET {} failed ({}); backing off", name_, endpoint(stream),
          r.status == 0 ? r.error : std::to_string(r.status) + " " + r.body.substr(0, 200));
      retry_after_ = r.retry_after;
      return FetchStatus::Retry;
    }
    return FetchStatus::Ok;
  }

  // A refused token (or a missing role or licence) fails readiness at once; one line per
  // problem, not per retry.
  void report_refused(const std::string& stream, const HttpResponse& r) {
    if (auth_status_[stream] == r.status) return;
    auth_status_[stream] = r.status;
    if (health_)
      health_->fail("input " + name_ + " (" + stream + ")",
                    "GET " + endpoint(stream) + " answered " + std::to_string(r.status) +
                        (r.status == 401 ? " (bad token)" : " (missing role or licence)"));
    spdlog::error(
        "input {}: GET {} answered {}: {}; the {} stream is stopped and retried every {} s "
        "({})",
        name_, endpoint(stream), r.status,
        r.status == 401
            ? "the session token is missing or invalid"
            : (stream == "connection" ? "the token lacks the Auditor or Owner role, or Coder "
                                        "has no Premium license"
                                      : "the token lacks the Auditor or Owner role"),
        stream, opts_.auth_retry.count() / 1000, r.body.substr(0, 200));
  }

  // The page's array of rows; false (counted and logged) when the answer is not one.
  bool parse_page(const std::string& stream, const HttpResponse& r, simdjson::dom::parser& parser,
                  simdjson::dom::element& root, simdjson::dom::array& items) {
    const char* array_key = stream == "audit" ? "audit_logs" : "connection_logs";
    if (!r.truncated && !parser.parse(r.body).get(root) && !root[array_key].get_array().get(items))
      return true;
    counters_[stream].errors->fetch_add(1, std::memory_order_relaxed);
    last_failure_[stream] = "malformed answer";
    spdlog::warn("input {}: GET {} gave a malformed answer (first bytes: {}); retrying", name_,
                 endpoint(stream), r.body.substr(0, 200));
    return false;
  }

  // Appends the page's rows from `floor` on (below_floor: the page reached below it); returns
  // how many rows the page held.
  size_t take_rows(const std::string& stream, simdjson::dom::array items, const Timestamp& floor,
                   std::vector<Row>& rows, bool& below_floor) {
    const char* time_key = stream == "audit" ? "time" : "connect_time";
    size_t n = 0;
    for (auto item : items) {
      ++n;
      Row row;
      std::string_view id, t;
      if (item[time_key].get_string().get(t) || !parse_rfc3339(t, row.time) ||
          item["id"].get_string().get(id) || id.empty()) {
        counters_[stream].malformed->fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("input {}: skipping a malformed {} row (no id or {}): {}", name_, stream,
                     time_key, simdjson::minify(item).substr(0, 200));
        continue;
      }
      if (row.time.before(floor)) {
        below_floor = true;
        continue;
      }
      row.id = id;
      rows.push_back(complete_row(std::move(row), item));
    }
    return n;
  }

  // The row's JSON and, for a connection, whether it has a session and whether that ended.
  static Row complete_row(Row row, simdjson::dom::element item) {
    row.json = simdjson::minify(item);
    simdjson::dom::object ssh;
    if (!item["ssh_info"].get_object().get(ssh)) {
      row.has_ssh = true;
      simdjson::dom::element dt;
      row.disconnected = !ssh["disconnect_time"].get(dt) && !dt.is_null();
    }
    return row;
  }

  // Audit: from the watermark's day to today in day windows; empty stretches of history are
  // crossed in growing windows (up to 256 days) as long as one holds at most kWindowRows rows.
  FetchStatus poll_audit() {
    StreamCursor& c = keeper_->cursors()["audit"];
    int64_t today = now_timestamp().seconds / kDay;
    int64_t width = 1;
    for (int64_t day = minus(c.watermark, opts_.overlap).seconds / kDay; day <= today;) {
      Timestamp floor = minus(c.watermark, opts_.overlap);
      int64_t last = std::min(day + width - 1, today);
      std::string from = day_of(day * kDay), to = day_of(last * kDay);
      std::string q = "date_from:" + from + (last < today ? " date_to:" + to : "");
      std::vector<Row> rows;
      FetchStatus st = fetch("audit", with_user_query(q), floor, rows, width > 1);
      if (st == FetchStatus::TooLarge) {
        width = 1;
        continue;
      }
      if (st != FetchStatus::Ok) return st;
      std::vector<Emission> out;
      std::unordered_set<std::string> in_this_poll;
      std::stable_sort(rows.begin(), rows.end(),
                       [](const Row& a, const Row& b) { return a.time.before(b.time); });
      for (auto& r : rows) {
        if (c.recent.contains(r.id) || !in_this_poll.insert(r.id).second) continue;
        out.push_back(Emission{std::move(r.json), r.id, r.time, Emission::Effect::Seen});
      }
      if (!emit("audit", out)) return FetchStatus::Stopped;
      if (last < today && !out.empty())
        spdlog::info("input {}: audit backfill: {}{} shipped {} event(s)", name_, from,
                     last > day ? " to " + to : "", out.size());
      width = rows.empty() ? std::min<int64_t>(width * 2, 256) : 1;
      day = last + 1;
    }
    return FetchStatus::Ok;
  }

  // Connection log: everything connected since the watermark, plus sessions still open.
  FetchStatus poll_connection() {
    StreamCursor& c = keeper_->cursors()["connection"];
    Timestamp floor = minus(c.watermark, opts_.overlap);
    std::vector<Row> rows;
    FetchStatus st =
        fetch("connection", with_user_query("connected_after:\"" + format_rfc3339(floor) + "\""),
              floor, rows);
    if (st != FetchStatus::Ok) return st;
    // Sessions open longer than session_max_age are forgotten (Coder may never record their
    // disconnect), so the re-read below stays bounded.
    Timestamp too_old = minus(now_timestamp(), opts_.session_max_age);
    for (auto it = c.open.begin(); it != c.open.end();) {
      if (it->second.before(too_old)) {
        spdlog::info(
            "input {}: connection {} has been open since {}; no longer watching for its disconnect",
            name_, it->first, format_rfc3339(it->second));
        it = c.open.erase(it);
      } else {
        ++it;
      }
    }
    // Sessions that were open before the window: re-read the completed ones since the oldest.
    Timestamp oldest_open = floor;
    for (const auto& [id, t] : c.open) oldest_open = t.before(oldest_open) ? t : oldest_open;
    if (oldest_open.before(floor)) {
      Timestamp from = minus(oldest_open, milliseconds(1000));
      st = fetch(
          "connection",
          with_user_query("status:completed connected_after:\"" + format_rfc3339(from) + "\""),
          from, rows);
      if (st != FetchStatus::Ok) return st;
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.time.before(b.time); });
    std::vector<Emission> out;
    std::unordered_set<std::string> done;
    for (auto& r : rows) {
      if (!done.insert(r.id).second) continue;
      bool seen = c.recent.contains(r.id) || c.open.count(r.id);
      if (!seen) {
        out.push_back(Emission{r.json, r.id, r.time,
                               r.has_ssh ? Emission::Effect::SeenAndOpen : Emission::Effect::Seen});
      }
      if (r.disconnected && (!seen || c.open.count(r.id))) {
        out.push_back(Emission{std::move(r.json), r.id, r.time, Emission::Effect::Closed,
                               record_flags::kEndEvent});
      }
    }
    return emit("connection", out) ? FetchStatus::Ok : FetchStatus::Stopped;
  }

  // Hands the emissions on in batches and waits until every one is acknowledged (the next
  // poll reads the cursor they move). false when the agent stopped first.
  bool emit(const std::string& stream, std::vector<Emission>& out) {
    if (out.empty()) return true;
    std::shared_ptr<OffsetTracker> tracker = keeper_->begin(stream, std::move(out));
    const std::vector<Emission>& pending = keeper_->pending();
    size_t i = 0;
    while (i < pending.size()) {
      size_t end = std::min(pending.size(), i + static_cast<size_t>(opts_.limit));
      size_t bytes = 0;
      for (size_t k = i; k < end; ++k) bytes += pending[k].text.size() + 16;
      if (!host_->acquire(bytes)) return false;
      auto batch = std::make_unique<RecordBatch>();
      batch->reserve(bytes);
      batch->source = sources_[stream];
      batch->observed = now_timestamp();
      batch->budget = bytes;
      for (size_t k = i; k < end; ++k)
        batch->add(pending[k].text, 0, format_, {}, Stream::None, pending[k].flags);
      uint64_t ticket = tracker->add(end);
      batch->ack = std::make_shared<AckToken>(
          [keeper = keeper_, tracker, ticket] { keeper->ack(tracker, ticket); });
      counters_[stream].events->fetch_add(end - i, std::memory_order_relaxed);
      spdlog::debug("input {} ({}): {} new row(s) sent on", name_, stream, end - i);
      host_->submit(std::move(batch));
      i = end;
    }
    while (!stopping()) {
      if (keeper_->all_applied()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }

  std::string name_;
  HealthBoard* health_;
  std::map<std::string, Clock::time_point> failing_since_;  // per stream, poller thread only
  std::map<std::string, std::string> last_failure_;
  InputOptions opts_;
  std::shared_ptr<CursorKeeper> keeper_;
  std::unique_ptr<HttpClient> client_;
  const Format* format_ = &formats::coder_api_format();
  InputHost* host_ = nullptr;
  std::map<std::string, std::shared_ptr<SourceInfo>> sources_;
  std::map<std::string, StreamCounters> counters_;
  std::map<std::string, long> auth_status_;  // the 401/403 last logged, 0 when fine
  milliseconds retry_after_{0};
};

void validate(const Options& o, const std::string& path, Diagnostics& d,
              Schema /*schema: no templates*/) {
  validate_http_client(o, path, d);
  for (const auto& s : o.list("streams"))
    if (s != "audit" && s != "connection")
      d.error(o.line("streams"), path + ".streams",
              "unknown stream \"" + s + "\" (audit, connection)");
  std::string b = o.str("backfill_from");
  Timestamp t;
  if (!b.empty() && !parse_date(b, t) && !parse_rfc3339(b, t) && !parse_duration(b))
    d.error(o.line("backfill_from"), path + ".backfill_from",
            "\"" + b + "\" is neither a date (2025-01-01), an RFC 3339 time nor a duration (30d)");
}

std::vector<OptionSpec> specs() {
  std::vector<OptionSpec> s = {
      {"url", OptType::String, "", true, "Coder's URL, e.g. https://coder.example.com"},
      {"token",
       OptType::String,
       "",
       true,
       "session token of a user with the Auditor or Owner role (or token_file)",
       {},
       {},
       true},
      {"streams", OptType::StringList, "[audit, connection]", false,
       "which logs to poll: audit (/api/v2/audit), connection (/api/v2/connectionlog, Premium)"},
      {"interval", OptType::Duration, "30s", false, "time between polls"},
      {"limit", OptType::Int, "100", false, "rows per page (1-1000)"},
      {"query", OptType::String, "", false,
       "extra filter in Coder's search syntax, passed in q (e.g. \"resource_type:workspace\")"},
      {"backfill_from", OptType::String, "", false,
       "on the first start, ship history from this date (2025-01-01) or this long ago (30d); "
       "default: only new events"},
      {"overlap", OptType::Duration, "2m", false,
       "each poll re-reads this far behind the newest delivered event (late rows), de-duplicated "
       "by id"},
      {"dedup_window", OptType::Int, "20000", false,
       "how many recent ids are remembered for de-duplication"},
      {"auth_retry", OptType::Duration, "5m", false,
       "after a 401/403 (bad token, missing role or licence), how long until the next try"},
      {"session_max_age", OptType::Duration, "7d", false,
       "connection sessions open longer than this are no longer re-read for their disconnect"},
      {"unready_after", OptType::Duration, "60s", false,
       "/readyz fails when a stream's polls have failed (Coder unreachable, 5xx) for this long; "
       "0: never (a refused token fails it at once)"},
  };
  for (auto& h : http_client_specs())
    if (h.name != "auth") s.push_back(h);
  return s;
}

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Input,
    .name = "coder_api",
    .summary = "Polls Coder's REST API for audit and connection logs (the source of truth), with a "
               "persistent cursor",
    .options = specs(),
    .make_input = [](const PluginContext& ctx, const Options& o) -> std::unique_ptr<Input> {
      return std::make_unique<CoderApiInput>(ctx, o);
    },
    .validate = validate,
    .metrics =
        {
            {"auditrelay_coder_api_pages_total", MetricType::Counter, "input, stream",
             "pages read from Coder's API"},
            {"auditrelay_coder_api_events_total", MetricType::Counter, "input, stream",
             "rows made into events (de-duplicated)"},
            {"auditrelay_coder_api_errors_total", MetricType::Counter, "input, stream",
             "failed polls: Coder unreachable, an error status, a refused token, a malformed "
             "answer"},
            {"auditrelay_coder_api_malformed_rows_total", MetricType::Counter, "input, stream",
             "rows without an id or a time, skipped"},
            {"auditrelay_coder_api_up", MetricType::Gauge, "input, stream",
             "1 when the stream's last poll succeeded"},
            {"auditrelay_coder_api_watermark_seconds", MetricType::Gauge, "input, stream",
             "time (Unix seconds) up to which the stream's events are acknowledged by every "
             "output"},
        },
});

}  // namespace
}  // namespace auditrelay
