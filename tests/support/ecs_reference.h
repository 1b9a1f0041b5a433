#pragma once
// A checker for Elastic Common Schema (ECS) events, for unit tests.
//
// ECS version: 8.17.0, the last released 8.x (the repository's 8.x branch is 8.18.0-dev and its
// schema does not differ from 8.17.0). Every name, type and allowed value below was taken from
// the published ECS 8.17 reference and checked against the data it is generated from:
//   https://www.elastic.co/guide/en/ecs/8.17/ecs-field-reference.html
//   https://www.elastic.co/guide/en/ecs/8.17/ecs-category-field-values-reference.html
//   https://github.com/elastic/ecs/blob/v8.17.0/generated/ecs/ecs_flat.yml
//   (tag v8.17.0, commit e3103a213a4e84cbcd3ef36da7001483ddc60230; also generated/csv/fields.csv)
//
// The field table is a subset of ECS: the fields auditrelay's events may carry. A field that ECS
// defines but the table lacks is reported as unknown; add it here (with its type from the
// reference) rather than putting it under a free prefix. Two names people often assume are ECS are
// not: `log.offset` (a Filebeat field) and `session.id` (ECS has no `session` field set; only
// `process.session_leader.*` and `event.category: session`). Both are deliberately absent.
//
// check_ecs_event() flattens an event (nested objects, dotted keys, or a mix) into dotted names
// and reports, one string per problem:
//   - a field not in the table, unless its dotted name starts with one of free_prefixes;
//   - a value whose JSON type does not fit the field's ECS type (arrays of the type are accepted,
//     as Elasticsearch accepts an array for any field; arrays of objects are flattened);
//   - an event.kind / event.category / event.type / event.outcome value ECS does not allow;
//   - an event.type value expected for none of the event's (allowed) event.category values;
//   - a missing @timestamp.
// JSON null counts as absent, as it does in Elasticsearch.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay::test {

inline constexpr std::string_view kEcsVersion = "8.17.0";

// ECS field types (the "type" column of the reference) used by the table.
enum class EcsType {
  None,  // only as EcsField::object_type: no type for the object's children
  Keyword,
  Wildcard,
  Text,
  MatchOnlyText,
  Date,
  Ip,
  Long,
  Boolean,
  Flattened,
  Object,
};

inline constexpr std::string_view ecs_type_name(EcsType t) {
  switch (t) {
    case EcsType::None:
      return "none";
    case EcsType::Keyword:
      return "keyword";
    case EcsType::Wildcard:
      return "wildcard";
    case EcsType::Text:
      return "text";
    case EcsType::MatchOnlyText:
      return "match_only_text";
    case EcsType::Date:
      return "date";
    case EcsType::Ip:
      return "ip";
    case EcsType::Long:
      return "long";
    case EcsType::Boolean:
      return "boolean";
    case EcsType::Flattened:
      return "flattened";
    case EcsType::Object:
      return "object";
  }
  return "?";
}

struct EcsField {
  std::string_view name;
  EcsType type;
  // For type Object: the ECS "object_type", the type of each value under the object (labels.*).
  EcsType object_type = EcsType::None;
  // ECS "Normalization: array": the field should contain an array of values.
  bool array = false;
};

// Field name, type, object type and array normalization as ECS 8.17.0 publishes them.
inline constexpr EcsField kEcsFields[] = {
    // Base fields (ecs-base.html)
    {"@timestamp", EcsType::Date},
    {"message", EcsType::MatchOnlyText},
    {"labels", EcsType::Object, EcsType::Keyword},
    {"tags", EcsType::Keyword, EcsType::None, true},
    // ECS fields (ecs-ecs.html)
    {"ecs.version", EcsType::Keyword},
    // Event fields (ecs-event.html)
    {"event.kind", EcsType::Keyword},
    {"event.category", EcsType::Keyword, EcsType::None, true},
    {"event.type", EcsType::Keyword, EcsType::None, true},
    {"event.action", EcsType::Keyword},
    {"event.outcome", EcsType::Keyword},
    {"event.dataset", EcsType::Keyword},
    {"event.module", EcsType::Keyword},
    {"event.provider", EcsType::Keyword},
    {"event.id", EcsType::Keyword},
    {"event.created", EcsType::Date},
    {"event.ingested", EcsType::Date},
    {"event.original", EcsType::Keyword},
    {"event.reason", EcsType::Keyword},
    {"event.severity", EcsType::Long},
    {"event.code", EcsType::Keyword},
    {"event.duration", EcsType::Long},  // nanoseconds
    {"event.start", EcsType::Date},
    {"event.end", EcsType::Date},
    // Log fields (ecs-log.html); there is no log.offset in ECS.
    {"log.level", EcsType::Keyword},
    {"log.logger", EcsType::Keyword},
    {"log.file.path", EcsType::Keyword},
    // User fields (ecs-user.html); user.target.* and user.changes.* reuse the user set.
    {"user.id", EcsType::Keyword},
    {"user.name", EcsType::Keyword},
    {"user.email", EcsType::Keyword},
    {"user.target.id", EcsType::Keyword},
    {"user.target.name", EcsType::Keyword},
    {"user.target.email", EcsType::Keyword},
    {"user.changes.name", EcsType::Keyword},
    // Group fields (ecs-group.html)
    {"group.id", EcsType::Keyword},
    {"group.name", EcsType::Keyword},
    // Source fields (ecs-source.html)
    {"source.ip", EcsType::Ip},
    {"source.address", EcsType::Keyword},
    {"source.port", EcsType::Long},
    // Destination fields (ecs-destination.html)
    {"destination.address", EcsType::Keyword},
    {"destination.domain", EcsType::Keyword},
    {"destination.ip", EcsType::Ip},
    {"destination.port", EcsType::Long},
    // User agent fields (ecs-user_agent.html)
    {"user_agent.original", EcsType::Keyword},
    // Host fields (ecs-host.html)
    {"host.name", EcsType::Keyword},
    {"host.hostname", EcsType::Keyword},
    {"host.id", EcsType::Keyword},
    // Orchestrator fields (ecs-orchestrator.html)
    {"orchestrator.type", EcsType::Keyword},
    {"orchestrator.namespace", EcsType::Keyword},
    {"orchestrator.resource.name", EcsType::Keyword},
    {"orchestrator.resource.type", EcsType::Keyword},
    {"orchestrator.cluster.name", EcsType::Keyword},
    // Container fields (ecs-container.html)
    {"container.name", EcsType::Keyword},
    {"container.id", EcsType::Keyword},
    // HTTP fields (ecs-http.html)
    {"http.request.method", EcsType::Keyword},
    {"http.request.id", EcsType::Keyword},
    {"http.response.status_code", EcsType::Long},
    // URL fields (ecs-url.html)
    {"url.original", EcsType::Wildcard},
    {"url.full", EcsType::Wildcard},
    {"url.domain", EcsType::Keyword},
    {"url.path", EcsType::Wildcard},
    {"url.scheme", EcsType::Keyword},
    {"url.port", EcsType::Long},
    // Rule fields (ecs-rule.html)
    {"rule.name", EcsType::Keyword},
    {"rule.id", EcsType::Keyword},
    {"rule.description", EcsType::Keyword},
    {"rule.ruleset", EcsType::Keyword},
    // Error fields (ecs-error.html)
    {"error.message", EcsType::MatchOnlyText},
    {"error.code", EcsType::Keyword},
    {"error.type", EcsType::Keyword},
    // Tracing fields (ecs-tracing.html)
    {"trace.id", EcsType::Keyword},
    {"span.id", EcsType::Keyword},
    // Network fields (ecs-network.html)
    {"network.protocol", EcsType::Keyword},
    {"network.type", EcsType::Keyword},
    {"network.transport", EcsType::Keyword},
    // Process fields (ecs-process.html)
    {"process.exit_code", EcsType::Long},
    // Service fields (ecs-service.html)
    {"service.name", EcsType::Keyword},
    {"service.type", EcsType::Keyword},
    // Observer fields (ecs-observer.html)
    {"observer.product", EcsType::Keyword},
    {"observer.vendor", EcsType::Keyword},
    {"observer.type", EcsType::Keyword},
    // Agent fields (ecs-agent.html)
    {"agent.name", EcsType::Keyword},
    {"agent.type", EcsType::Keyword},
    {"agent.version", EcsType::Keyword},
    // Related fields (ecs-related.html)
    {"related.user", EcsType::Keyword, EcsType::None, true},
    {"related.ip", EcsType::Ip, EcsType::None, true},
    {"related.hosts", EcsType::Keyword, EcsType::None, true},
    // File fields (ecs-file.html)
    {"file.path", EcsType::Keyword},
    {"file.name", EcsType::Keyword},
};

// Allowed values of the four categorization fields (ecs-allowed-values-event-*.html).
// "asset" is beta in ECS 8.17.
inline constexpr std::string_view kEcsEventKinds[] = {
    "alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal",
};

inline constexpr std::string_view kEcsEventTypes[] = {
    "access",   "admin",        "allowed",  "change", "connection", "creation",
    "deletion", "denied",       "end",      "error",  "group",      "indicator",
    "info",     "installation", "protocol", "start",  "user",
};

inline constexpr std::string_view kEcsEventOutcomes[] = {"failure", "success", "unknown"};

// The allowed event.category values, each with the event.type values ECS expects for it
// ("Expected event types for category ..."). The categories of this table are the allowed ones.
struct EcsCategory {
  std::string_view name;
  std::array<std::string_view, 11> expected_types;  // unused slots are empty
};

inline constexpr EcsCategory kEcsEventCategories[] = {
    {"api",
     {"access", "admin", "allowed", "change", "creation", "deletion", "denied", "end", "info",
      "start", "user"}},
    {"authentication", {"start", "end", "info"}},
    {"configuration", {"access", "change", "creation", "deletion", "info"}},
    {"database", {"access", "change", "info", "error"}},
    {"driver", {"change", "end", "info", "start"}},
    {"email", {"info"}},
    {"file", {"access", "change", "creation", "deletion", "info"}},
    {"host", {"access", "change", "end", "info", "start"}},
    {"iam", {"admin", "change", "creation", "deletion", "group", "info", "user"}},
    {"intrusion_detection", {"allowed", "denied", "info"}},
    {"library", {"start"}},
    {"malware", {"info"}},
    {"network", {"access", "allowed", "connection", "denied", "end", "info", "protocol", "start"}},
    {"package", {"access", "change", "deletion", "info", "installation", "start"}},
    {"process", {"access", "change", "end", "info", "start"}},
    {"registry", {"access", "change", "creation", "deletion"}},
    {"session", {"start", "end", "info"}},
    {"threat", {"indicator"}},
    {"vulnerability", {"info"}},
    {"web", {"access", "error", "info"}},
};

inline const EcsField* find_ecs_field(std::string_view name) {
  for (const EcsField& f : kEcsFields)
    if (f.name == name) return &f;
  return nullptr;
}

inline const EcsCategory* find_ecs_category(std::string_view name) {
  for (const EcsCategory& c : kEcsEventCategories)
    if (c.name == name) return &c;
  return nullptr;
}

template <std::size_t N>
inline bool ecs_value_in(const std::string_view (&values)[N], std::string_view v) {
  return std::find(std::begin(values), std::end(values), v) != std::end(values);
}

inline bool ecs_type_expected_for(const EcsCategory& c, std::string_view type) {
  if (type.empty()) return false;
  return std::find(c.expected_types.begin(), c.expected_types.end(), type) !=
         c.expected_types.end();
}

// RFC 3339 date-time (section 5.6): full-date "T" full-time, with "T" and "Z" in either case, an
// optional fraction, a leap second allowed (:60), day checked against the month and leap years.
inline bool is_rfc3339(std::string_view s) {
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  auto at = [&](std::size_t pos, char c) { return pos < s.size() && s[pos] == c; };
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, year) || !at(4, '-') || !digits(5, 2, month) || !at(7, '-') ||
      !digits(8, 2, day))
    return false;
  if (!(at(10, 'T') || at(10, 't'))) return false;
  if (!digits(11, 2, hour) || !at(13, ':') || !digits(14, 2, minute) || !at(16, ':') ||
      !digits(17, 2, second))
    return false;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int mdays = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day < 1 || day > mdays) return false;
  std::size_t pos = 19;
  if (at(pos, '.')) {
    std::size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  if (at(pos, 'Z') || at(pos, 'z')) return pos + 1 == s.size();
  if (!(at(pos, '+') || at(pos, '-'))) return false;
  int oh, om;
  if (!digits(pos + 1, 2, oh) || !at(pos + 3, ':') || !digits(pos + 4, 2, om)) return false;
  return oh <= 23 && om <= 59 && pos + 6 == s.size();
}

// An IPv4 (dotted quad) or IPv6 address, as inet_pton parses them.
inline bool is_ip_address(std::string_view s) {
  const std::string str(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, str.c_str(), buf) == 1 || inet_pton(AF_INET6, str.c_str(), buf) == 1;
}

namespace ecs_detail {

struct Checker {
  std::initializer_list<std::string_view> free_prefixes;
  std::vector<std::string> errors;
  bool has_timestamp = false;
  // String values of the categorization fields, in order of appearance.
  std::vector<std::string> kinds, categories, types, outcomes;

  void report(std::string msg) {
    if (std::find(errors.begin(), errors.end(), msg) == errors.end())
      errors.push_back(std::move(msg));
  }

  bool is_free(std::string_view name) const {
    for (std::string_view p : free_prefixes)
      if (name.substr(0, p.size()) == p) return true;
    return false;
  }

  static std::string show(const nlohmann::json& v) {
    std::string d = v.dump();
    if (d.size() > 60) d = d.substr(0, 57) + "...";
    return d;
  }

  void type_error(std::string_view name, EcsType want, const nlohmann::json& v,
                  std::string_view why = {}) {
    std::string msg = std::string(name) + ": expected " + std::string(ecs_type_name(want)) +
                      ", got " + v.type_name() + " " + show(v);
    if (!why.empty()) msg += " (" + std::string(why) + ")";
    report(std::move(msg));
  }

  // One scalar (not an array, not null) against an ECS leaf type.
  void check_scalar(std::string_view name, EcsType type, const nlohmann::json& v) {
    switch (type) {
      case EcsType::Keyword:
      case EcsType::Wildcard:
      case EcsType::Text:
      case EcsType::MatchOnlyText:
        if (!v.is_string()) return type_error(name, type, v);
        break;
      case EcsType::Date:
        if (!v.is_string()) return type_error(name, type, v);
        if (!is_rfc3339(v.get_ref<const std::string&>()))
          return type_error(name, type, v, "not an RFC 3339 date-time");
        break;
      case EcsType::Ip:
        if (!v.is_string()) return type_error(name, type, v);
        if (!is_ip_address(v.get_ref<const std::string&>()))
          return type_error(name, type, v, "not an IPv4 or IPv6 address");
        break;
      case EcsType::Long:
        if (!v.is_number_integer()) return type_error(name, type, v);
        if (v.is_number_unsigned() &&
            v.get<std::uint64_t>() >
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          return type_error(name, type, v, "out of range for a signed 64-bit long");
        break;
      case EcsType::Boolean:
        if (!v.is_boolean()) return type_error(name, type, v);
        break;
      case EcsType::Flattened:
      case EcsType::Object:
        if (!v.is_object()) return type_error(name, type, v);
        break;
      case EcsType::None:
        break;
    }
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (name == "event.kind")
        kinds.push_back(s);
      else if (name == "event.category")
        categories.push_back(s);
      else if (name == "event.type")
        types.push_back(s);
      else if (name == "event.outcome")
        outcomes.push_back(s);
    }
  }

  // A value (scalar or array, possibly nested arrays) of a leaf type.
  void check_leaf(std::string_view name, EcsType type, const nlohmann::json& v) {
    if (v.is_null()) return;
    if (v.is_array()) {
      for (const auto& e : v) check_leaf(name, type, e);
      return;
    }
    if (name == "@timestamp") has_timestamp = true;
    check_scalar(name, type, v);
  }

  void walk(const nlohmann::json& v, const std::string& path) {
    if (!path.empty() && is_free(path)) return;
    if (v.is_null()) return;
    const EcsField* f = path.empty() ? nullptr : find_ecs_field(path);
    if (f && f->type == EcsType::Flattened) return check_leaf(path, EcsType::Flattened, v);
    if (f && f->type == EcsType::Object) {
      if (v.is_array()) {
        for (const auto& e : v) walk(e, path);
        return;
      }
      if (!v.is_object()) return type_error(path, EcsType::Object, v);
      for (const auto& [key, child] : v.items()) {
        const std::string child_path = path + "." + key;
        if (is_free(child_path)) continue;
        if (f->object_type == EcsType::None)
          walk(child, child_path);
        else
          check_leaf(child_path, f->object_type, child);
      }
      return;
    }
    if (f) return check_leaf(path, f->type, v);
    // Not a field of the table: an object or array of objects to flatten, or an unknown field.
    if (v.is_object()) {
      for (const auto& [key, child] : v.items()) walk(child, path.empty() ? key : path + "." + key);
      return;
    }
    if (v.is_array()) {
      bool any_scalar = false;
      for (const auto& e : v) {
        if (e.is_object() || e.is_array())
          walk(e, path);
        else if (!e.is_null())
          any_scalar = true;
      }
      if (!any_scalar) return;
    }
    report(path + ": unknown field (not in the ECS " + std::string(kEcsVersion) + " table)");
  }

  void check_categorization() {
    for (const auto& k : kinds)
      if (!ecs_value_in(kEcsEventKinds, k))
        report("event.kind: \"" + k + "\" is not an allowed value");
    std::vector<const EcsCategory*> cats;
    for (const auto& c : categories) {
      if (const EcsCategory* cat = find_ecs_category(c))
        cats.push_back(cat);
      else
        report("event.category: \"" + c + "\" is not an allowed value");
    }
    for (const auto& t : types) {
      if (!ecs_value_in(kEcsEventTypes, t)) {
        report("event.type: \"" + t + "\" is not an allowed value");
        continue;
      }
      // Checked only against allowed categories; a disallowed one is reported above.
      if (cats.empty()) continue;
      bool expected = std::any_of(cats.begin(), cats.end(), [&](const EcsCategory* c) {
        return ecs_type_expected_for(*c, t);
      });
      if (!expected) {
        std::string list;
        for (const EcsCategory* c : cats) list += (list.empty() ? "" : ", ") + std::string(c->name);
        report("event.type: \"" + t + "\" is not expected for event.category [" + list + "]");
      }
    }
    for (const auto& o : outcomes)
      if (!ecs_value_in(kEcsEventOutcomes, o))
        report("event.outcome: \"" + o + "\" is not an allowed value");
  }
};

}  // namespace ecs_detail

// Problems found in `event` against ECS 8.17.0, one message per problem (empty: conforms).
// Dotted names starting with any of `free_prefixes` are not checked at all.
inline std::vector<std::string> check_ecs_event(
    const nlohmann::json& event,
    std::initializer_list<std::string_view> free_prefixes = {"coder.", "labels."}) {
  ecs_detail::Checker c{free_prefixes, {}, false, {}, {}, {}, {}};
  if (!event.is_object())
    return {std::string("event: expected a JSON object, got ") + event.type_name()};
  c.walk(event, "");
  c.check_categorization();
  if (!c.has_timestamp) c.report("@timestamp: missing");
  return std::move(c.errors);
}

}  // namespace auditrelay::test
