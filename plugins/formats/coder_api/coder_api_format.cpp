// Format `api`: one row of Coder's REST API (FORMATS.md §10), as the `coder_api` input hands it
// on (or as `jq -c '.audit_logs[]'` writes it to a file). A row becomes the entry Coder's service
// log writes for the same event, keyed like it, so the normalizer maps both the same way:
//   /api/v2/audit row          → an `audit_log` entry (user → actor and UserID, organization →
//   OrganizationID) /api/v2/connectionlog row  → a `connection_log` entry for the connect (or web
//   `open`); the input
//                                hands a row whose session ended over again with the record flag
//                                kEndEvent, which gives the disconnect entry (Time, Code and
//                                DisconnectReason from ssh_info; ID = UUIDv5(namespace: row id,
//                                name: "disconnect")).
#include "plugins/formats/coder_api/coder_api_format.h"

#include <memory>

#include "core/common/uuid.h"
#include "core/event/format.h"
#include "core/registry/registry.h"

namespace auditrelay::formats {
namespace {

std::string_view string_of(simdjson::dom::element el) {
  std::string_view s;
  if (el.get_string().get(s)) return {};
  return s;
}

// The service-log key a REST key stands for, where the two differ by more than case and
// underscores (the normalizer ignores those).
void push(ParsedEntry& out, std::string_view key, simdjson::dom::element value) {
  out.fields.push_back(Field{key, value_from_element(value)});
}

void parse_audit_row(simdjson::dom::object row, ParsedEntry& out) {
  out.message = "audit_log";
  simdjson::dom::element organization;  // a default element must never be read: see has_org
  bool has_org = false, org_id_given = false;
  for (auto kv : row) {
    std::string_view k = kv.key;
    if (k == "user") {
      // The actor; only id, username and email are read, the rest of the User object is opaque.
      simdjson::dom::object user;
      if (kv.value.get_object().get(user)) continue;
      simdjson::dom::element id;
      if (!user["id"].get(id)) push(out, "UserID", id);
      push(out, "actor", kv.value);
    } else if (k == "organization") {
      organization = kv.value;
      has_org = true;
    } else if (k == "organization_id") {
      org_id_given = !string_of(kv.value).empty() &&
                     string_of(kv.value) != "00000000-0000-0000-0000-000000000000";
      push(out, k, kv.value);
    } else {
      // id, time, request_id, ip, user_agent, resource_*, action, diff, status_code and
      // additional_fields match the service-log keys; description, resource_link and
      // is_deleted are kept under `fields`.
      push(out, k, kv.value);
    }
  }
  // organization_id is deprecated in favour of organization.id.
  simdjson::dom::element org_id;
  if (!org_id_given && has_org && organization.is_object() && !organization["id"].get(org_id))
    push(out, "OrganizationID", org_id);
}

bool parse_connection_row(simdjson::dom::object row, bool disconnect, ParseScratch& scratch,
                          ParsedEntry& out) {
  out.message = "connection_log";
  std::string_view id;
  for (auto kv : row) {
    std::string_view k = kv.key;
    if (k == "id") {
      id = string_of(kv.value);
      if (!disconnect) push(out, "ID", kv.value);
    } else if (k == "connect_time") {
      if (!disconnect) push(out, "Time", kv.value);
    } else if (k == "organization") {
      simdjson::dom::element org_id;
      if (kv.value.is_object() && !kv.value["id"].get(org_id)) push(out, "OrganizationID", org_id);
    } else if (k == "web_info") {
      simdjson::dom::object web;
      if (kv.value.get_object().get(web)) continue;
      for (auto w : web) {
        if (w.key == "user") {
          simdjson::dom::element uid;
          if (w.value.is_object() && !w.value["id"].get(uid)) push(out, "UserID", uid);
        } else if (w.key == "status_code") {
          push(out, "Code", w.value);
        } else {
          push(out, w.key, w.value);  // user_agent, slug_or_port
        }
      }
    } else if (k == "ssh_info") {
      simdjson::dom::object ssh;
      if (kv.value.get_object().get(ssh)) continue;
      for (auto s : ssh) {
        if (s.key == "connection_id")
          push(out, "ConnectionID", s.value);
        else if (!disconnect)
          continue;  // the disconnect's details belong to its own event
        else if (s.key == "disconnect_time")
          push(out, "Time", s.value);
        else if (s.key == "disconnect_reason")
          push(out, "DisconnectReason", s.value);
        else if (s.key == "exit_code")
          push(out, "Code", s.value);
      }
    } else {
      // workspace_owner_id, workspace_id, workspace_name, agent_name, ip and type match the
      // service-log keys; workspace_owner_username, type_display_name and the like go to `fields`.
      push(out, k, kv.value);
    }
  }
  out.fields.push_back(
      Field{"ConnectionStatus", Value::string(disconnect ? "disconnected" : "connected")});
  if (disconnect) {
    Uuid row_id;
    if (!parse_uuid(id, row_id)) return false;
    char* buf = scratch.arena.allocate(36);
    format_uuid(uuid_v5(row_id, "disconnect"), buf);
    out.fields.push_back(Field{"ID", Value::string(std::string_view(buf, 36))});
  }
  return true;
}

// One row per line; every non-blank line is handed to the api format.
class RowFramer final : public Framer {
 public:
  explicit RowFramer(const Format* format) : format_(format) {}
  void line(std::string_view line, uint64_t offset, RecordSink& sink,
            const LineMeta& meta) override {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    sink.emit(FramedRecord{line, offset, format_, meta.wrapper_time, meta.stream});
  }
  void flush(RecordSink&) override {}
  uint64_t held_from(uint64_t next) const override { return next; }

 private:
  const Format* format_;
};

class CoderApiFormat final : public Format {
 public:
  std::string_view name() const override { return "api"; }
  std::unique_ptr<Framer> make_framer() const override { return std::make_unique<RowFramer>(this); }

  bool parse(std::string_view text, ParseScratch& scratch, ParsedEntry& out) const override {
    if (text.empty() || text.front() != '{') return false;
    simdjson::dom::element root;
    if (scratch.parse_json_padded(text).get(root)) return false;
    simdjson::dom::object row;
    if (root.get_object().get(row)) return false;
    out.format = "api";
    out.severity = Severity::Info;
    out.logger = "coderd";  // the service log's audit backend logs under coderd
    bool disconnect = (scratch.record_flags & record_flags::kEndEvent) != 0;
    simdjson::dom::element probe;
    if (!row["connect_time"].get(probe)) return parse_connection_row(row, disconnect, scratch, out);
    if (!row["action"].get(probe) || !row["resource_type"].get(probe)) {
      parse_audit_row(row, out);
      return true;
    }
    return false;
  }
};

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Format,
    .name = "api",
    .summary =
        "Rows of Coder's REST API (/api/v2/audit, /api/v2/connectionlog), one JSON object per line",
    .format = &coder_api_format(),
    .entry_formats = {"api"},
});

}  // namespace

const Format& coder_api_format() {
  static const CoderApiFormat format;
  return format;
}
}  // namespace auditrelay::formats
