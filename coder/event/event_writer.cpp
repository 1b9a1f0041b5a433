#include "coder/event/event_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "core/common/json_writer.h"

namespace auditrelay {
namespace {

constexpr std::string_view kRedacted = "[REDACTED]";

// How one event is being written: its redaction, and what the caller wants counted.
struct WriteState {
  const Redaction& redaction;
  EncodeStats& stats;
};

constexpr int kUnbounded = -1;

void write_element(JsonWriter& w, simdjson::dom::element el, WriteState& s, int depth = 1);

// An object or array at depth kMaxValueDepth (a value's own top is depth 1) is written as a JSON
// string holding its compact, redacted text, so an event never nests deeper than receivers
// accept (simdjson stops at 1024 levels, so the text itself is bounded).
void write_deep_as_string(JsonWriter& w, simdjson::dom::element el, WriteState& s) {
  ++s.stats.deep_values;
  std::string text;
  JsonWriter inner(text);
  write_element(inner, el, s, kUnbounded);
  w.string(text);
}

bool too_deep(int depth) {
  return depth != kUnbounded && depth >= kMaxValueDepth;
}
int deeper(int depth) {
  return depth == kUnbounded ? kUnbounded : depth + 1;
}

void write_element(JsonWriter& w, simdjson::dom::element el, WriteState& s, int depth) {
  using simdjson::dom::element_type;
  const Redaction& r = s.redaction;
  switch (el.type()) {
    case element_type::OBJECT:
      if (too_deep(depth)) {
        write_deep_as_string(w, el, s);
        break;
      }
      w.begin_object();
      for (auto kv : object_of(el)) {
        w.key(kv.key);
        if (r.matches(kv.key) && !kv.value.is_null())
          w.string(kRedacted);
        else
          write_element(w, kv.value, s, deeper(depth));
      }
      w.end_object();
      break;
    case element_type::ARRAY:
      if (too_deep(depth)) {
        write_deep_as_string(w, el, s);
        break;
      }
      w.begin_array();
      for (auto child : array_of(el)) write_element(w, child, s, deeper(depth));
      w.end_array();
      break;
    case element_type::STRING:
      w.string(el.get_string().value_unsafe());
      break;
    case element_type::INT64:
      w.integer(el.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      w.uinteger(el.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE:
      w.number(el.get_double().value_unsafe());
      break;
    case element_type::BOOL:
      w.boolean(el.get_bool().value_unsafe());
      break;
    case element_type::NULL_VALUE:
      w.null();
      break;
  }
}

bool is_true(simdjson::dom::element el) {
  bool b = false;
  if (!el.get_bool().get(b)) return b;
  std::string_view s;
  if (!el.get_string().get(s)) return iequals(s, "true");
  return false;
}

// Coder's Diff: {"field":{"Old":..,"New":..,"Secret":bool}} → {"field":{"old":..,"new":..}} or
// {"field":{"secret":true}}. Inner keys are read case-insensitively.
void write_diff(JsonWriter& w, simdjson::dom::element diff, WriteState& s) {
  const Redaction& r = s.redaction;
  w.begin_object();
  simdjson::dom::object obj;
  if (diff.get_object().get(obj)) {
    w.end_object();
    return;
  }
  for (auto kv : obj) {
    w.key(kv.key);
    simdjson::dom::object inner;
    if (kv.value.get_object().get(inner)) {
      // Not Coder's shape: keep the value, redacted where needed.
      if (r.matches(kv.key))
        w.string(kRedacted);
      else
        write_element(w, kv.value, s, 2);
      continue;
    }
    bool secret = false;
    simdjson::dom::element old_v, new_v;
    bool has_old = false, has_new = false;
    for (auto f : inner) {
      if (iequals(f.key, "secret")) secret = is_true(f.value);
      // A null side is omitted, as the schema omits every unknown value and as Coder's REST API
      // writes diffs, so the service log and the API give the same event.
      else if (iequals(f.key, "old")) {
        old_v = f.value;
        has_old = !f.value.is_null();
      } else if (iequals(f.key, "new")) {
        new_v = f.value;
        has_new = !f.value.is_null();
      }
    }
    w.begin_object();
    if (secret) {
      w.key_literal("secret");
      w.boolean(true);
    } else {
      bool redact = r.matches(kv.key);
      if (has_old) {
        w.key_literal("old");
        if (redact)
          w.string(kRedacted);
        else
          write_element(w, old_v, s, 3);
      }
      if (has_new) {
        w.key_literal("new");
        if (redact)
          w.string(kRedacted);
        else
          write_element(w, new_v, s, 3);
      }
    }
    w.end_object();
  }
  w.end_object();
}

void write_value(JsonWriter& w, const Value& v, WriteState& s) {
  switch (v.type) {
    case Value::Type::String:
      w.string(v.text);
      break;
    case Value::Type::Number:
      w.raw(v.text);
      break;
    case Value::Type::Int:
      w.integer(v.i);
      break;
    case Value::Type::UInt:
      w.uinteger(v.u);
      break;
    case Value::Type::Double:
      w.number(v.d);
      break;
    case Value::Type::Bool:
      w.boolean(v.i != 0);
      break;
    case Value::Type::Json:
      write_element(w, v.el, s);
      break;
    default:
      w.null();
      break;
  }
}

// Coder's diff and additional_fields, redacted.
void write_coder_objects(JsonWriter& w, const Event& e, WriteState& s) {
  if (has_diff(e)) {
    w.key_literal("diff");
    write_diff(w, e.diff.el, s);
  }
  if (has_additional_fields(e)) {
    w.key_literal("additional_fields");
    write_element(w, e.additional_fields.el, s);
  }
}

// The unmapped source fields, redacted, and the source object: audit/v1's last members, and the
// last of what the other schemas keep of the source (write_source_members).
void write_fields_and_source(JsonWriter& w, const Event& e, WriteState& s);

}  // namespace

void write_diff_object(JsonWriter& w, const Value& diff, const Redaction& r, EncodeStats& stats) {
  WriteState state{r, stats};
  write_diff(w, diff.el, state);
}

void write_open_object(JsonWriter& w, const Value& object, const Redaction& r, EncodeStats& stats) {
  WriteState state{r, stats};
  write_element(w, object.el, state);
}

namespace {

// A number or boolean field (run_scalar) as one more member of the run. Through
// the writer each cost a key escape and two appends (callgrind: ~170 instructions a field).
bool run_scalar(const Value& v) {
  using enum Value::Type;
  return v.type == Int || v.type == UInt || v.type == Bool ||
         (v.type == Number && v.text.size() <= 64);
}

// A field a run can write (the rest go through the writer): a string, a scalar or redacted.
bool in_run(const Field& f, const Redaction& r) {
  return f.value.type == Value::Type::String || run_scalar(f.value) || r.matches(f.key);
}

void scalar_member(JsonMembers& m, const Field& f);

// A field for which in_run() holds.
void field_member(JsonMembers& m, const Field& f, const Redaction& r) {
  if (r.matches(f.key))
    m.string_field(f.key, kRedacted);
  else if (f.value.type == Value::Type::String)
    m.string_field(f.key, f.value.text);
  else
    scalar_member(m, f);
}

void scalar_member(JsonMembers& m, const Field& f) {
  const Value& v = f.value;
  char buf[24];
  switch (v.type) {
    case Value::Type::Int:
      m.raw_member(f.key, std::string_view(buf, std::to_chars(buf, buf + sizeof buf, v.i).ptr));
      break;
    case Value::Type::UInt:
      m.raw_member(f.key, std::string_view(buf, std::to_chars(buf, buf + sizeof buf, v.u).ptr));
      break;
    case Value::Type::Bool:
      m.raw_member(f.key, v.i != 0 ? "true" : "false");
      break;
    default:  // Number (run_scalar)
      m.raw_member(f.key, v.text);
      break;
  }
}

}  // namespace

void write_fields_object(JsonWriter& w, const std::vector<const Field*>& fields, const Redaction& r,
                         EncodeStats& stats) {
  WriteState state{r, stats};
  w.begin_object();
  {
    JsonMembers m(w);
    for (const Field* f : fields) {
      if (in_run(*f, r)) {
        field_member(m, *f, r);
      } else {
        m.flush();
        w.key(f->key);
        write_value(w, f->value, state);
      }
    }
  }
  w.end_object();
}

namespace {

using EventSource = decltype(Event::source);

void write_source_uncached(JsonWriter& w, const EventSource& src) {
  w.begin_object();
  w.field_if_set("input", src.input);
  w.field_if_set("type", src.type);
  w.field_if_set("format", src.format);
  w.field_if_set("path", src.path);
  if (src.has_offset) {
    w.key_literal("offset");
    w.uinteger(src.offset);
  }
  w.field_if_set("host", src.host);
  if (!src.k8s_namespace.empty() || !src.k8s_pod.empty() || !src.k8s_container.empty()) {
    w.key_literal("kubernetes");
    w.begin_object();
    w.field_if_set("namespace", src.k8s_namespace);
    w.field_if_set("pod", src.k8s_pod);
    w.field_if_set("container", src.k8s_container);
    w.end_object();
  }
  w.members(src.attrs);
  w.end_object();
}

// The source object is the same for every event of a file but for its offset: it is rendered
// once (by write_source_uncached, so the bytes are the same) as the text before the offset's
// digits and the text after them, and reused while the source's strings have the same content
// (compared by content, never by address: a freed batch's memory may hold another source).
// Before: 1,350 instructions per event, 8 % of normalize_bench (callgrind); after: ~150.
class SourceObjectCache {
 public:
  // "source":{...} as one member of the run; false (nothing written) when it does not fit.
  // One append for the whole tail of the event instead of four (~200 instructions an event,
  // normalize_bench callgrind).
  bool put(JsonMembers& m, const EventSource& src) {
    if (!matches(src)) fill(src);
    constexpr std::string_view kKey = R"("source":)";
    const size_t most = kKey.size() + head_.size() + 20 + tail_.size();
    if (most >= JsonMembers::kRoom) return false;
    char* const start = m.begin_member(most);
    char* p = start;
    auto put = [&](std::string_view s) {
      std::memcpy(p, s.data(), s.size());
      p += s.size();
    };
    put(kKey);
    put(head_);
    if (src.has_offset) {
      p = std::to_chars(p, p + 20, src.offset).ptr;
      put(tail_);
    }
    m.commit(static_cast<size_t>(p - start));
    return true;
  }

  void write(JsonWriter& w, const EventSource& src) {
    if (!matches(src)) fill(src);
    w.raw(head_);
    if (!src.has_offset) return;
    std::string& out = w.buffer();
    char digits[24];
    auto r = std::to_chars(digits, digits + sizeof digits, src.offset);
    out.append(digits, static_cast<size_t>(r.ptr - digits));
    out.append(tail_);
  }

 private:
  static constexpr size_t kParts = 9;
  static std::array<std::string_view, kParts> parts(const EventSource& src) {
    return {src.input,         src.type,    src.format,        src.path, src.host,
            src.k8s_namespace, src.k8s_pod, src.k8s_container, src.attrs};
  }

  bool matches(const EventSource& src) const {
    if (!valid_ || src.has_offset != has_offset_) return false;
    auto p = parts(src);
    size_t at = 0;
    for (size_t i = 0; i < kParts; ++i) {
      if (p[i].size() != sizes_[i] || !same_bytes(p[i].data(), key_.data() + at, p[i].size()))
        return false;
      at += p[i].size();
    }
    return true;
  }

  // memcmp(a, b, n) == 0 without a call for the short strings a source has (names, a host, a
  // path): 600,000 memcmp calls were 11.3M instructions of normalize_bench (callgrind).
  static bool same_bytes(const char* a, const char* b, size_t n) {
    auto load8 = [](const char* q) {
      uint64_t v;
      std::memcpy(&v, q, 8);
      return v;
    };
    if (n < 8) {
      if (n < 4) return n == 0 || std::memcmp(a, b, n) == 0;
      uint32_t a0, a1, b0, b1;
      std::memcpy(&a0, a, 4);
      std::memcpy(&a1, a + n - 4, 4);
      std::memcpy(&b0, b, 4);
      std::memcpy(&b1, b + n - 4, 4);
      return a0 == b0 && a1 == b1;
    }
    for (size_t i = 0; i + 8 <= n; i += 8)
      if (load8(a + i) != load8(b + i)) return false;
    return load8(a + n - 8) == load8(b + n - 8);
  }

  void fill(const EventSource& src) {
    key_.clear();
    auto p = parts(src);
    for (size_t i = 0; i < kParts; ++i) {
      sizes_[i] = p[i].size();
      key_.append(p[i]);
    }
    has_offset_ = src.has_offset;
    EventSource s = src;
    s.offset = 0;
    head_.clear();
    {
      JsonWriter w(head_);
      write_source_uncached(w, s);
    }
    tail_.clear();
    if (has_offset_) {
      // Offsets 0 and 1 render alike but for one digit: the text around it is the same for
      // any offset.
      std::string one;
      s.offset = 1;
      {
        JsonWriter w(one);
        write_source_uncached(w, s);
      }
      size_t at = 0;
      while (at < head_.size() && head_[at] == one[at]) ++at;
      tail_.assign(head_, at + 1);
      head_.resize(at);
    }
    valid_ = true;
  }

  bool valid_ = false, has_offset_ = false;
  std::array<size_t, kParts> sizes_{};
  std::string key_, head_, tail_;
};

SourceObjectCache& source_cache() {
  // One per thread: workers, the tap and `normalize` each encode on their own.
  thread_local SourceObjectCache cache;
  return cache;
}

}  // namespace

void write_source_object(JsonWriter& w, const Event& e) {
  source_cache().write(w, e.source);
}

namespace {

// The source object after the fields, in one run when it fits.
void write_source_member(JsonWriter& w, const Event& e) {
  {
    JsonMembers m(w);
    if (source_cache().put(m, e.source)) return;
  }
  w.key_literal("source");
  write_source_object(w, e);
}

void write_fields_and_source(JsonWriter& w, const Event& e, WriteState& s) {
  const Redaction& r = s.redaction;
  // Fields of strings and scalars (nearly every event) and the source in one run: one append
  // for the end of the event instead of six string operations (normalize_bench callgrind:
  // write_event_json 319.0M -> 312.8M Ir).
  if (std::all_of(e.fields.begin(), e.fields.end(),
                  [&](const Field* f) { return in_run(*f, r); })) {
    JsonMembers m(w);
    if (!e.fields.empty()) {
      m.begin_object("fields");
      for (const Field* f : e.fields) field_member(m, *f, r);
      m.end_object();
    }
    if (source_cache().put(m, e.source)) return;
  } else if (!e.fields.empty()) {
    w.key_literal("fields");
    write_fields_object(w, e.fields, r, s.stats);
  }
  write_source_member(w, e);
}

}  // namespace

void write_source_members(JsonWriter& w, const Event& e, const Redaction& r, EncodeStats& stats) {
  WriteState state{r, stats};
  write_coder_objects(w, e, state);
  write_fields_and_source(w, e, state);
}

bool has_resource(const Event& e) {
  const auto& res = e.resource;
  return !res.type.empty() || !res.id.empty() || !res.target.empty() || !res.icon.empty();
}

namespace {

void resource_members(JsonMembers& m, const Event& e) {
  const auto& res = e.resource;
  m.field_if_set("type", res.type);
  m.field_if_set("id", res.id);
  m.field_if_set("target", res.target);
  m.field_if_set("icon", res.icon);
}

void workspace_members(JsonMembers& m, const Event& e) {
  const auto& ws = e.workspace;
  m.field_if_set("id", ws.id);
  m.field_if_set("name", ws.name);
  m.field_if_set("owner_id", ws.owner_id);
  m.field_if_set("owner_username", ws.owner_username);
  m.field_if_set("agent_name", ws.agent_name);
}

void template_members(JsonMembers& m, const Event& e) {
  m.field_if_set("id", e.template_.id);
  m.field_if_set("version_id", e.template_.version_id);
}

void alert_members(JsonMembers& m, const Event& e) {
  m.field("rule", e.alert_rule);
  m.field_if_set("summary", e.alert_summary);
}

// An object of the writer's, its members put together by `members`.
void write_object(JsonWriter& w, const Event& e, void (*members)(JsonMembers&, const Event&)) {
  w.begin_object();
  {
    JsonMembers m(w);
    members(m, e);
  }
  w.end_object();
}

}  // namespace

void write_resource_object(JsonWriter& w, const Event& e) {
  write_object(w, e, resource_members);
}

bool has_workspace(const Event& e) {
  const auto& ws = e.workspace;
  return !ws.id.empty() || !ws.name.empty() || !ws.owner_id.empty() || !ws.owner_username.empty() ||
         !ws.agent_name.empty();
}

void write_workspace_object(JsonWriter& w, const Event& e) {
  write_object(w, e, workspace_members);
}

bool has_template(const Event& e) {
  return !e.template_.id.empty() || !e.template_.version_id.empty();
}

void write_template_object(JsonWriter& w, const Event& e) {
  write_object(w, e, template_members);
}

void write_alert_object(JsonWriter& w, const Event& e) {
  write_object(w, e, alert_members);
}

bool has_diff(const Event& e) {
  return e.diff.type == Value::Type::Json && e.diff.el.is_object() && non_empty_object(e.diff.el);
}

bool has_additional_fields(const Event& e) {
  return e.additional_fields.type == Value::Type::Json && e.additional_fields.el.is_object() &&
         non_empty_object(e.additional_fields.el);
}

namespace {

// The section writers of write_event_json, in the order of the schema's members. Each writes
// its key and value, or nothing when the event has none of it.

// The members every event may have as plain values: its identity, times, level and outcome.
// The ones up to severity are the schema's own names, formatted times and (nearly always) a
// plain id: written straight into the run with no per-member checks, where one append per
// member with its plainness check cost ~1,000 instructions per event (callgrind).
bool write_head_plain(JsonMembers& m, const Event& e, std::string_view observed_rfc3339) {
  const bool id_plain = e.event_id.data() == e.event_id_buf || json_plain(e.event_id);
  if (!id_plain || e.event_id.size() > 64 || observed_rfc3339.size() > 64) return false;
  char* const buf = m.begin_member(320);
  size_t n = 0;
  auto put = [&](std::string_view s) {
    std::memcpy(buf + n, s.data(), s.size());
    n += s.size();
  };
  put(R"("schema":"audit/v1")");
  if (!e.event_id.empty()) {
    put(R"(,"event_id":")");
    put(e.event_id);
    put("\"");
  }
  put(R"(,"kind":")");
  put(kind_name(e.kind));
  if (e.time.valid()) {
    put(R"(","time":")");
    n += format_rfc3339_memo(e.time, buf + n);
  }
  if (!observed_rfc3339.empty()) {
    put(R"(","observed_time":")");
    put(observed_rfc3339);
  } else if (e.observed.valid()) {
    put(R"(","observed_time":")");
    n += format_rfc3339(e.observed, buf + n);
  }
  put(R"(","severity":")");
  put(severity_name(e.severity));
  put("\"");
  m.commit(n);
  return true;
}

void write_head(JsonMembers& m, const Event& e, std::string_view observed_rfc3339) {
  if (!write_head_plain(m, e, observed_rfc3339)) {
    char tbuf[48];
    m.literal_field("schema", "audit/v1");
    m.field_if_set("event_id", e.event_id);
    m.literal_field("kind", kind_name(e.kind));
    if (e.time.valid())
      m.literal_field("time", std::string_view(tbuf, format_rfc3339(e.time, tbuf)));
    if (!observed_rfc3339.empty())
      m.literal_field("observed_time", observed_rfc3339);
    else if (e.observed.valid())
      m.literal_field("observed_time", std::string_view(tbuf, format_rfc3339(e.observed, tbuf)));
    m.literal_field("severity", severity_name(e.severity));
  }
  m.field_if_set("logger", e.logger);
  m.field_if_set("message", e.message);
  m.field_if_set("action", e.action);
  if (e.has_status) m.integer_field("status_code", e.status_code);
  m.field_if_set("organization_id", e.organization_id);
  m.field_if_set("request_id", e.request_id);
}

void write_actor(JsonMembers& m, const Event& e) {
  const auto& a = e.actor;
  if (a.id.empty() && a.username.empty() && a.email.empty() && a.ip.empty() && a.user_agent.empty())
    return;
  m.begin_object("actor");
  m.field_if_set("id", a.id);
  m.field_if_set("username", a.username);
  m.field_if_set("email", a.email);
  m.field_if_set("ip", a.ip);
  m.field_if_set("user_agent", a.user_agent);
  m.end_object();
}

// "key":{...} when the event has any of it.
void write_section(JsonMembers& m, const Event& e, std::string_view key, bool has,
                   void (*members)(JsonMembers&, const Event&)) {
  if (!has) return;
  m.begin_object(key);
  members(m, e);
  m.end_object();
}

void write_connection(JsonMembers& m, const Event& e) {
  const auto& c = e.connection;
  if (c.id.empty() && c.type.empty() && c.status.empty() && c.slug_or_port.empty() &&
      c.disconnect_reason.empty())
    return;
  m.begin_object("connection");
  m.field_if_set("id", c.id);
  m.field_if_set("type", c.type);
  m.field_if_set("status", c.status);
  m.field_if_set("slug_or_port", c.slug_or_port);
  m.field_if_set("disconnect_reason", c.disconnect_reason);
  m.end_object();
}

void write_http(JsonMembers& m, const Event& e) {
  const auto& h = e.http;
  if (h.method.empty() && h.url.empty() && h.host.empty()) return;
  m.begin_object("http");
  m.field_if_set("method", h.method);
  m.field_if_set("url", h.url);
  m.field_if_set("host", h.host);
  m.end_object();
}

void write_boundary(JsonMembers& m, const Event& e) {
  if (e.boundary.decision.empty() && e.boundary.matched_rule.empty()) return;
  m.begin_object("boundary");
  m.field_if_set("decision", e.boundary.decision);
  m.field_if_set("matched_rule", e.boundary.matched_rule);
  m.end_object();
}

// The members before Coder's diff, gathered in one run (one append for most events).
void write_plain_sections(JsonWriter& w, const Event& e, std::string_view observed_rfc3339) {
  JsonMembers m(w);
  write_head(m, e, observed_rfc3339);
  write_actor(m, e);
  write_section(m, e, "resource", has_resource(e), resource_members);
  write_section(m, e, "workspace", has_workspace(e), workspace_members);
  write_connection(m, e);
  write_section(m, e, "template", has_template(e), template_members);
  write_http(m, e);
  write_boundary(m, e);
  m.field_if_set("build_reason", e.build_reason);
}

// error and alert, between Coder's objects and the source's fields.
void write_error_and_alert(JsonWriter& w, const Event& e) {
  JsonMembers m(w);
  m.field_if_set("error", e.error);
  write_section(m, e, "alert", !e.alert_rule.empty(), alert_members);
}

}  // namespace

void write_event_json(const Event& e, const Redaction& r, std::string& out,
                      std::string_view observed_rfc3339, EncodeStats* stats) {
  EncodeStats unused;
  WriteState state{r, stats ? *stats : unused};
  JsonWriter w(out);
  w.begin_object();
  write_plain_sections(w, e, observed_rfc3339);
  write_coder_objects(w, e, state);
  write_error_and_alert(w, e);
  write_fields_and_source(w, e, state);
  w.end_object();
}

}  // namespace auditrelay
