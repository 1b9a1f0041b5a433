// normalize(): what every kind shares (the entry's level, logger and message, the record's
// source, the error, the time fallbacks, the derived id). The kinds' own keys are mapped in
// coder/normalize/: keys.cpp sorts the fields, one file per kind fills the event from them.
#include "coder/normalizer.h"

#include <charconv>
#include <cstring>

#include "coder/normalize/mapping.h"
#include "core/common/strings.h"
#include "core/common/uuid.h"

namespace auditrelay::coder {
namespace {

// What the entry and its record say whatever the kind.
void map_entry_and_source(const ParsedEntry& entry, const RecordContext& ctx, Event& e) {
  e.severity = entry.severity;
  // A line in no known format has no level of its own; its wrapper's (journal PRIORITY) is better
  // than a guess.
  if (entry.raw && ctx.wrapper_severity != Record::kNoWrapperSeverity)
    e.severity = static_cast<Severity>(ctx.wrapper_severity);
  e.logger = entry.logger;
  e.message = entry.message;
  e.observed = ctx.observed;
  if (ctx.source) {
    e.source.input = ctx.source->input;
    e.source.type = ctx.source->type;
    e.source.path = ctx.source->path;
    e.source.host = ctx.source->host;
    e.source.k8s_namespace = ctx.source->k8s_namespace;
    e.source.k8s_pod = ctx.source->k8s_pod;
    e.source.k8s_container = ctx.source->k8s_container;
  }
  e.source.format = entry.format;
  e.source.offset = ctx.offset;
  e.source.has_offset = ctx.has_offset;
  e.source.attrs = ctx.source_attrs;
}

// The kind is the message Coder logs the record under.
Kind kind_of(std::string_view message) {
  if (message == "audit_log") return Kind::Audit;
  if (message == "connection_log") return Kind::Connection;
  if (message == "boundary_request") return Kind::Boundary;
  return Kind::Log;
}

// A v1 audit entry nests the record under fields.audit_log: its members, then the entry's other
// fields, in scratch.nested_fields. Any other audit entry's fields are the record's.
const std::vector<Field>& audit_fields(const ParsedEntry& entry, ParseScratch& scratch) {
  std::vector<Field>& nested = scratch.nested_fields;
  nested.clear();
  for (const auto& f : entry.fields) {
    if (iequals(f.key, "audit_log") && f.value.type == Value::Type::Json &&
        f.value.el.is_object()) {
      for (auto kv : object_of(f.value.el))
        nested.push_back(Field{kv.key, value_from_element(kv.value)});
    }
  }
  if (nested.empty()) return entry.fields;
  for (const auto& f : entry.fields)
    if (!iequals(f.key, "audit_log")) nested.push_back(f);
  return nested;
}

void map_kind(const mapping::MappedFields& fields, Event& e) {
  switch (e.kind) {
    case Kind::Audit:
      mapping::map_audit(fields, e);
      break;
    case Kind::Connection:
      mapping::map_connection(fields, e);
      break;
    case Kind::Boundary:
      mapping::map_boundary(fields, e);
      break;
    case Kind::Log:
      mapping::map_log(fields, e);
      break;
  }
}

// Time: the event's own time, else the entry's, else the wrapper's, else when it was read.
void fall_back_time(const ParsedEntry& entry, const RecordContext& ctx, Event& e) {
  if (e.time.valid()) return;
  if (entry.ts.valid())
    e.time = entry.ts;
  else if (ctx.wrapper_time.valid())
    e.time = ctx.wrapper_time;
  else
    e.time = ctx.observed;
}

}  // namespace

void derive_event_id(const RecordContext& ctx, Event& out) {
  char num[24];
  auto r = std::to_chars(num, num + sizeof num, ctx.offset);
  const std::string_view offset(num, static_cast<size_t>(r.ptr - num));
  std::string_view input, identity;
  if (ctx.source) {
    input = ctx.source->input;
    identity = ctx.source->identity.empty() ? ctx.source->path : ctx.source->identity;
  }
  // Never cut: a cut name loses the offset digits, and every line of the file would get one id
  // (an Elasticsearch `create` keeps only the first). Names past the stack buffer (input names
  // of hundreds of bytes) go on the heap.
  const size_t len = (ctx.source ? input.size() + identity.size() + 2 : 0) + offset.size();
  char stack_name[512];
  std::string heap_name;
  char* name = stack_name;
  if (len > sizeof stack_name) {
    heap_name.resize(len);
    name = heap_name.data();
  }
  size_t n = 0;
  auto put = [&](std::string_view s) {
    if (!s.empty()) std::memcpy(name + n, s.data(), s.size());
    n += s.size();
  };
  if (ctx.source) {
    put(input);
    name[n++] = '\0';
    put(identity);
    name[n++] = '\0';
  }
  put(offset);
  Uuid u = uuid_v5(kAuditrelayNamespace, std::string_view(name, n));
  format_uuid(u, out.event_id_buf);
  out.event_id = std::string_view(out.event_id_buf, 36);
}

void normalize(const ParsedEntry& entry, const RecordContext& ctx, ParseScratch& scratch,
               Event& e) {
  e.clear();
  map_entry_and_source(entry, ctx, e);
  e.kind = kind_of(entry.message);
  const std::vector<Field>& fields =
      e.kind == Kind::Audit ? audit_fields(entry, scratch) : entry.fields;

  mapping::MappedFields mapped(scratch);
  mapping::collect_fields(fields, e.kind, mapped, e.fields);
  if (const Value* err = mapped.get(mapping::Key::Error))
    e.error = flatten_error(*err, scratch.arena, scratch.text_a);
  map_kind(mapped, e);

  fall_back_time(entry, ctx, e);
  if (e.event_id.empty()) derive_event_id(ctx, e);
}

}  // namespace auditrelay::coder
