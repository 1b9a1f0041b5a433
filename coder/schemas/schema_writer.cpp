#include "coder/schemas/schema_writer.h"

namespace auditrelay::coder {

void write_event(Schema schema, const Event& e, const EncodeContext& ctx, std::string& out) {
  switch (schema) {
    case Schema::AuditV1:
      write_event_json(e, ctx.redaction, out, ctx.observed_rfc3339, ctx.stats);
      return;
    case Schema::Ocsf: write_event_ocsf(e, ctx, out); return;
    case Schema::Ecs: write_event_ecs(e, ctx, out); return;
  }
}

}  // namespace auditrelay::coder
