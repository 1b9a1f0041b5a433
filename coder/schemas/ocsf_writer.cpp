// OCSF 1.2.0 encoding of a Coder event. The class and activity come from ocsf_class.cpp; this
// file writes the attributes every class has (classification, time, severity, status, metadata)
// and everything of the audit/v1 event that has no OCSF home under `unmapped`, so nothing is
// lost; ocsf_class_attributes.cpp writes the attributes each class requires or recommends. The
// choices and their reasons are the table in docs/audit-schema.md ("OCSF").
#include <algorithm>
#include <charconv>
#include <cstring>

#include "coder/schemas/ocsf_class.h"
#include "coder/schemas/ocsf_class_attributes.h"
#include "coder/schemas/schema_writer.h"
#include "core/common/json_writer.h"

namespace auditrelay::coder {
namespace {

int64_t epoch_millis(const Timestamp& t) {
  return t.seconds * 1000 + static_cast<int64_t>(t.nanos / 1'000'000);
}

struct SeverityId {
  int id;
  std::string_view name;
};

SeverityId severity_id(Severity s) {
  switch (s) {
    case Severity::Debug:
    case Severity::Info:
      return {1, "Informational"};
    case Severity::Warn:
      return {3, "Medium"};
    case Severity::Error:
      return {4, "High"};
    case Severity::Critical:
      return {5, "Critical"};
    case Severity::Fatal:
      return {6, "Fatal"};
  }
  return {0, "Unknown"};
}

// Why a request failed, for status_detail (the event's message is Coder's log message).
std::string_view http_reason(int64_t code) {
  switch (code) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
  }
  return code < 500 ? "Client Error" : "Server Error";
}

class OcsfEventWriter {
 public:
  OcsfEventWriter(const Event& e, const EncodeContext& ctx, std::string& out)
      : e_(e), ctx_(ctx), w_(out), act_(ocsf_activity_of(e)) {
    if (!ctx.stats) ctx_.stats = &unused_stats_;
  }

  void write() {
    w_.begin_object();
    write_classification();
    write_time_and_severity();
    write_status();
    w_.field_if_set("message", e_.message);
    write_metadata();
    write_ocsf_class_attributes(w_, e_, act_);
    write_unmapped();
    w_.end_object();
  }

 private:
  void integer(std::string_view key, int64_t v) {
    w_.key_literal(key);
    w_.integer(v);
  }

  void write_classification() {
    const OcsfClassInfo& info = ocsf_class_info(static_cast<uint16_t>(act_.cls));
    const int class_uid = static_cast<int>(act_.cls);
    integer("class_uid", class_uid);
    w_.literal_field("class_name", info.caption);
    integer("category_uid", info.category_uid);
    w_.literal_field("category_name", info.category);
    integer("activity_id", act_.activity_id);
    w_.literal_field("activity_name", act_.activity_name);
    integer("type_uid", int64_t{class_uid} * 100 + act_.activity_id);
    // "API Activity: Create", without building a std::string.
    char name[96];
    size_t n = 0;
    auto put = [&](std::string_view s) {
      size_t k = std::min(s.size(), sizeof(name) - n);
      std::memcpy(name + n, s.data(), k);
      n += k;
    };
    put(info.caption);
    put(": ");
    put(act_.activity_name);
    w_.literal_field("type_name", std::string_view(name, n));
  }

  void write_time_and_severity() {
    const Timestamp& t = e_.time.valid() ? e_.time : e_.observed;
    integer("time", epoch_millis(t));
    SeverityId sev = severity_id(e_.severity);
    integer("severity_id", sev.id);
    w_.literal_field("severity", sev.name);
  }

  // Audit events: the HTTP status of Coder's request. Connections: the HTTP status of a
  // workspace-app, port-forwarding or tunnel request, or the exit code of an SSH session.
  void write_status() {
    if (e_.kind == Kind::Boundary || e_.kind == Kind::Log) return;
    bool exit_code = e_.kind == Kind::Connection && connection_has_exit_code(e_.connection.type);
    bool failed = e_.has_status && !exit_code && e_.status_code >= 400;
    integer("status_id", failed ? 2 : 1);
    w_.literal_field("status", failed ? "Failure" : "Success");
    if (e_.has_status) {
      char code[24];
      auto r = std::to_chars(code, code + sizeof(code), e_.status_code);
      w_.field("status_code", std::string_view(code, static_cast<size_t>(r.ptr - code)));
    }
    if (!e_.connection.disconnect_reason.empty())
      w_.field("status_detail", e_.connection.disconnect_reason);
    else if (failed)
      w_.literal_field("status_detail", http_reason(e_.status_code));
  }

  void write_metadata() {
    w_.key_literal("metadata");
    w_.begin_object();
    w_.literal_field("version", kOcsfVersion);
    w_.key_literal("product");
    w_.begin_object();
    w_.literal_field("name", "auditrelay");
    w_.literal_field("vendor_name", "auditrelay");
    w_.literal_field("version", AUDITRELAY_VERSION);
    w_.end_object();
    w_.field_if_set("uid", e_.event_id);
    if (e_.time.valid()) {
      char buf[48];
      w_.field("original_time", std::string_view(buf, format_rfc3339(e_.time, buf)));
    }
    if (e_.observed.valid()) integer("logged_time", epoch_millis(e_.observed));
    w_.literal_field("log_name", kind_name(e_.kind));
    w_.field_if_set("log_provider", e_.logger);
    w_.field_if_set("correlation_uid", e_.request_id);
    write_profiles();
    w_.end_object();
  }

  // Several classes have `actor` only through the Host profile; HTTP Activity's action,
  // disposition and firewall rule are the Security Control profile's.
  void write_profiles() {
    bool host = false, security_control = false;
    switch (act_.cls) {
      case OcsfClass::HttpActivity:
        security_control = host = true;
        break;
      case OcsfClass::EntityManagement:
      case OcsfClass::WebResourceAccessActivity:
      case OcsfClass::NetworkActivity:
      case OcsfClass::SshActivity:
        host = true;
        break;
      default:
        return;
    }
    w_.key_literal("profiles");
    w_.begin_array();
    if (host) w_.string("host");
    if (security_control) w_.string("security_control");
    w_.end_array();
  }

  // Every audit/v1 field with no OCSF attribute above, under its audit/v1 name.
  void write_unmapped() {
    w_.key_literal("unmapped");
    w_.begin_object();
    w_.literal_field("kind", kind_name(e_.kind));
    w_.field_if_set("action", e_.action);
    w_.field_if_set("organization_id", e_.organization_id);
    w_.field_if_set("build_reason", e_.build_reason);
    w_.field_if_set("error", e_.error);
    if (e_.kind == Kind::Audit || e_.kind == Kind::Log)
      w_.field_if_set("resource_icon", e_.resource.icon);
    if (act_.cls == OcsfClass::HttpActivity && act_.activity_id == 99)
      w_.field_if_set("http_method", e_.http.method);
    if (e_.kind == Kind::Connection) {
      w_.key_literal("connection");
      w_.begin_object();
      w_.field_if_set("type", e_.connection.type);
      w_.field_if_set("status", e_.connection.status);
      w_.field_if_set("slug_or_port", e_.connection.slug_or_port);
      w_.end_object();
    }
    if (!e_.alert_rule.empty() && act_.cls != OcsfClass::DetectionFinding) {
      w_.key_literal("alert");
      write_alert_object(w_, e_);
    }
    if (has_workspace(e_)) {
      w_.key_literal("workspace");
      write_workspace_object(w_, e_);
    }
    if (has_template(e_)) {
      w_.key_literal("template");
      write_template_object(w_, e_);
    }
    write_source_members(w_, e_, ctx_.redaction, *ctx_.stats);
    w_.end_object();
  }

  const Event& e_;
  EncodeContext ctx_;
  JsonWriter w_;
  OcsfActivity act_;
  EncodeStats unused_stats_;
};

}  // namespace

void write_event_ocsf(const Event& e, const EncodeContext& ctx, std::string& out) {
  OcsfEventWriter(e, ctx, out).write();
}

}  // namespace auditrelay::coder