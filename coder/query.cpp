#include "coder/query.h"

#include <algorithm>
#include <map>

#include "core/common/strings.h"
#include "core/config/options.h"

namespace auditrelay::coder {

enum class Query::Field : uint8_t {
  Kind,
  Severity,
  Logger,
  Message,
  Alert,
  ResourceType,
  ResourceId,
  ResourceTarget,
  Action,
  Username,
  Email,
  DateFrom,
  DateTo,
  BuildReason,
  RequestId,
  Organization,
  WorkspaceOwner,
  WorkspaceOwnerEmail,
  Type,
  WorkspaceId,
  WorkspaceName,
  ConnectionId,
  Status,
  ConnectedAfter,
  ConnectedBefore,
  Input,
  EventId,
  Decision,
  HttpMethod,
  HttpHost,
};

namespace {

using F = Query::Field;

const std::map<std::string, F>& key_table() {
  static const std::map<std::string, F> kTable = {
      {"kind", F::Kind},
      {"severity", F::Severity},
      {"logger", F::Logger},
      {"message", F::Message},
      {"alert", F::Alert},
      {"resource_type", F::ResourceType},
      {"resource_id", F::ResourceId},
      {"resource_target", F::ResourceTarget},
      {"action", F::Action},
      {"username", F::Username},
      {"email", F::Email},
      {"user_email", F::Email},
      {"date_from", F::DateFrom},
      {"date_to", F::DateTo},
      {"build_reason", F::BuildReason},
      {"request_id", F::RequestId},
      {"organization", F::Organization},
      {"workspace_owner", F::WorkspaceOwner},
      {"workspace_owner_email", F::WorkspaceOwnerEmail},
      {"type", F::Type},
      {"workspace_id", F::WorkspaceId},
      {"workspace_name", F::WorkspaceName},
      {"connection_id", F::ConnectionId},
      {"status", F::Status},
      {"connected_after", F::ConnectedAfter},
      {"connected_before", F::ConnectedBefore},
      {"started_after", F::ConnectedAfter},
      {"started_before", F::ConnectedBefore},
      {"input", F::Input},
      {"event_id", F::EventId},
      {"decision", F::Decision},
      {"http_method", F::HttpMethod},
      {"http_host", F::HttpHost},
  };
  return kTable;
}

// Splits on spaces outside double quotes, keeping the quotes.
std::vector<std::string> split_terms(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (c == ' ' && !quoted) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string unquote(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
  return s;
}

bool eq(std::string_view field, const std::string& want) {
  return !field.empty() && iequals(field, want);
}

int severity_rank(Severity s) {
  return static_cast<int>(s);
}

}  // namespace

std::vector<std::string> query_keys() {
  std::vector<std::string> out;
  for (const auto& [k, v] : key_table()) out.push_back(k);
  return out;
}

namespace {

// The position of a term's one ':' outside quotes; npos, with error set, when the term is not
// one key:value pair.
size_t key_value_colon(const std::string& raw, std::string& error) {
  if (raw.front() == ':' || raw.back() == ':') {
    error = "Query element \"" + raw + "\" cannot start or end with ':'";
    return std::string::npos;
  }
  size_t colon = std::string::npos;
  int colons = 0;
  bool quoted = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '"')
      quoted = !quoted;
    else if (raw[i] == ':' && !quoted) {
      ++colons;
      if (colon == std::string::npos) colon = i;
    }
  }
  if (colons == 0) {
    error = "Query element \"" + raw + "\" is not a key:value term";
    return std::string::npos;
  }
  if (colons > 1) {
    error = "Query element \"" + raw + "\" can only contain 1 ':' (quote values that contain ':')";
    return std::string::npos;
  }
  return colon;
}

// "severity:warn" is that level, "severity:>=warn" that level or above.
bool compile_severity(Query::Term& t, const std::string& value, std::string& error) {
  std::string v = t.value;
  bool at_least = v.starts_with(">=");
  if (at_least) v = v.substr(2);
  Severity s;
  if (!parse_severity(v, s)) {
    error = "Query param \"severity\" has invalid value: \"" + value +
            "\" is not one of debug, info, warn, error, critical, fatal (optionally with >=)";
    return false;
  }
  t.severity_min = at_least ? severity_rank(s) : -1;
  t.value = std::string(severity_name(s));
  return true;
}

// Checks a term's value where its key allows only some, and parses dates into t.bound. `value`
// is as the user wrote it (error messages, RFC 3339 times); t.value is lower-cased.
bool compile_value(Query::Term& t, const std::string& key, const std::string& value,
                   std::string& error) {
  switch (t.field) {
    case F::Severity:
      return compile_severity(t, value, error);
    case F::Kind:
      if (Kind k; !parse_kind(t.value, k)) {
        error = "Query param \"kind\" has invalid value: \"" + value +
                "\" is not audit, connection, boundary or log";
        return false;
      }
      return true;
    case F::DateFrom:
    case F::DateTo:
      if (!parse_date(t.value, t.bound)) {
        error = "Query param \"" + key + "\" must be a valid date format (2006-01-02): \"" + value +
                "\"";
        return false;
      }
      if (t.field == F::DateTo) t.bound.seconds += 86400;  // inclusive day
      return true;
    case F::ConnectedAfter:
    case F::ConnectedBefore:
      if (!parse_rfc3339(value, t.bound)) {
        error = "Query param \"" + key +
                "\" must be a valid date format (2006-01-02T15:04:05.999999999Z07:00): \"" + value +
                "\"";
        return false;
      }
      return true;
    case F::Status:
      if (t.value != "ongoing" && t.value != "completed" && t.value != "connected" &&
          t.value != "disconnected") {
        error = "Query param \"status\" has invalid value: \"" + value +
                "\" is not one of ongoing, completed, connected, disconnected";
        return false;
      }
      return true;
    default:
      return true;
  }
}

}  // namespace

std::unique_ptr<Query> Query::compile(const std::string& text, std::string& error) {
  auto q = std::make_unique<Query>();
  q->text_ = text;
  std::map<F, std::vector<Term>> groups;
  std::vector<F> order;
  for (const auto& raw : split_terms(text)) {
    size_t colon = key_value_colon(raw, error);
    if (colon == std::string::npos) return nullptr;
    std::string key = to_lower(unquote(raw.substr(0, colon)));
    std::string value = unquote(raw.substr(colon + 1));
    auto it = key_table().find(key);
    if (it == key_table().end()) {
      error = "Query param \"" + key + "\" is not a valid query param";
      std::string near = closest_name(key, query_keys());
      if (!near.empty()) error += " (did you mean \"" + near + "\"?)";
      return nullptr;
    }
    if (value.empty()) continue;  // Coder ignores empty values
    Term t{it->second, to_lower(value)};
    if (!compile_value(t, key, value, error)) return nullptr;
    if (!groups.count(t.field)) order.push_back(t.field);
    groups[t.field].push_back(std::move(t));
  }
  for (F f : order) q->groups_.push_back(std::move(groups[f]));
  return q;
}

namespace {

bool term_matches(const Query::Term& t, const Event& e) {
  switch (t.field) {
    case F::Kind:
      return kind_name(e.kind) == t.value;
    case F::Severity:
      return t.severity_min >= 0 ? severity_rank(e.severity) >= t.severity_min
                                 : severity_name(e.severity) == t.value;
    case F::Logger:
      // Suffix match on whole components: "autobuild" matches "coderd.autobuild".
      if (iequals(e.logger, t.value)) return true;
      return e.logger.size() > t.value.size() && iends_with(e.logger, t.value) &&
             e.logger[e.logger.size() - t.value.size() - 1] == '.';
    case F::Message:
      return eq(e.message, t.value);
    case F::Alert:
      if (t.value == "true" || t.value == "any" || t.value == "*") return !e.alert_rule.empty();
      if (t.value == "false" || t.value == "none") return e.alert_rule.empty();
      return eq(e.alert_rule, t.value);
    case F::ResourceType:
      return eq(e.resource.type, t.value);
    case F::ResourceId:
      return eq(e.resource.id, t.value);
    case F::ResourceTarget:
      return eq(e.resource.target, t.value);
    case F::Action:
      return eq(e.action, t.value);
    case F::Username:
      return eq(e.actor.username, t.value);
    case F::Email:
      return eq(e.actor.email, t.value);
    case F::DateFrom:
      return !e.time.before(t.bound);
    case F::DateTo:
      return e.time.before(t.bound);
    case F::BuildReason:
      return eq(e.build_reason, t.value);
    case F::RequestId:
      return eq(e.request_id, t.value);
    case F::Organization:
      return eq(e.organization_id, t.value);
    case F::WorkspaceOwner:
      return eq(e.workspace.owner_username, t.value);
    case F::WorkspaceOwnerEmail:
      return false;  // not carried by service-log events
    case F::Type:
      return eq(e.connection.type, t.value);
    case F::WorkspaceId:
      return eq(e.workspace.id, t.value);
    case F::WorkspaceName:
      return eq(e.workspace.name, t.value);
    case F::ConnectionId:
      return eq(e.connection.id, t.value);
    case F::Status:
      if (t.value == "ongoing") return e.kind == Kind::Connection && e.action == "connect";
      if (t.value == "completed") return e.kind == Kind::Connection && e.action == "disconnect";
      return eq(e.connection.status, t.value);
    case F::ConnectedAfter:
      return e.kind == Kind::Connection && !e.time.before(t.bound);
    case F::ConnectedBefore:
      return e.kind == Kind::Connection && e.time.before(t.bound);
    case F::Input:
      return eq(e.source.input, t.value);
    case F::EventId:
      return eq(e.event_id, t.value);
    case F::Decision:
      return eq(e.boundary.decision, t.value);
    case F::HttpMethod:
      return eq(e.http.method, t.value);
    case F::HttpHost:
      return eq(e.http.host, t.value);
  }
  return false;
}

}  // namespace

bool AnyQuery::add(const std::string& text, std::string& error) {
  auto q = Query::compile(text, error);
  if (!q) return false;
  queries_.push_back(std::move(q));
  return true;
}

bool AnyQuery::matches(const Event& e) const {
  for (const auto& q : queries_)
    if (q->matches(e)) return true;
  return false;
}

bool Query::matches(const Event& e) const {
  for (const auto& group : groups_) {
    bool any = false;
    for (const auto& t : group) {
      if (term_matches(t, e)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace auditrelay::coder
