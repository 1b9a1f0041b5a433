#pragma once
// "{kind}" style templates over event fields, for names an output derives per event (Kafka
// topics and keys, Elasticsearch indexes and ids). Parts are literal text, a dotted field path,
// or (when dates are allowed) a date from the event's time: %Y, %m, %d, %H.
#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/output.h"

namespace auditrelay {

struct TemplateRules {
  bool dates = false;        // %Y %m %d %H %% from the event's time (UTC)
  bool schema_only = false;  // fields must be audit/v1 fields (fields.*, additional_fields.*,
                             // diff.* and source.kubernetes.* are open)
  // The output's schema. Fields are named by their audit/v1 path in every schema: one an OCSF
  // or ECS event keeps at a fixed place is read from there (workspace.name from
  // unmapped.workspace.name or coder.workspace.name), and one it has no fixed place for
  // (OCSF's actor, which moves with the class) is refused. Other paths are the schema's own.
  Schema schema = Schema::AuditV1;
};

class EventTemplate {
 public:
  using Rules = TemplateRules;

  explicit EventTemplate(const std::string& text, Rules rules = {});

  // What is wrong with text as a template ("" when nothing): every '{' closes and names a field,
  // and, under the rules, every field is known and every '%' is a supported date.
  static std::string problem(const std::string& text, Rules rules = {});

  // Renders into out, writing `missing` for a referenced field that is missing or empty;
  // returns false when one was. Fields the pipeline already extracted need no JSON parse.
  bool render(const OutEvent& e, simdjson::dom::parser& parser, std::string& out,
              std::string_view missing = {}) const;

  bool empty() const { return parts_.empty(); }

 private:
  enum class PartType { Literal, Field, Date };
  struct Part {
    PartType type;
    std::string text;  // literal text, field path, or the date letter (Y, m, d, H)
  };
  std::vector<Part> parts_;
};

}  // namespace auditrelay
