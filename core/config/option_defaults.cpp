#include "core/config/option_defaults.h"

#include <mutex>

#include "core/config/option_convert.h"

namespace auditrelay {

struct ParsedDefault {
  std::once_flag once;
  // What `value` was parsed from: a copy of the spec edited afterwards must not use it.
  OptType type = OptType::String;
  std::string text;
  OptionValue value;
};

std::shared_ptr<ParsedDefault> new_parsed_default() {
  return std::make_shared<ParsedDefault>();
}

namespace {

OptionValue parse_default(const OptionSpec& spec) {
  if (spec.type == OptType::String || spec.type == OptType::Query || spec.type == OptType::Enum)
    return spec.default_value;
  YAML::Node def;
  try {
    def = YAML::Load(spec.default_value);
  } catch (const YAML::Exception&) {
    def = YAML::Node(spec.default_value);
  }
  Diagnostics ignore;
  return convert_option(def, spec, spec.name, ignore, {});
}

// Objects are built anew each time: they depend on the children's specs too, and a shared one
// would be one Options instance in every config loaded.
bool keeps_parsed_default(OptType type) {
  return type != OptType::Object && type != OptType::ObjectList;
}

}  // namespace

OptionValue declared_default(const OptionSpec& spec) {
  if (!spec.parsed_default || !keeps_parsed_default(spec.type)) return parse_default(spec);
  ParsedDefault& parsed = *spec.parsed_default;
  std::call_once(parsed.once, [&] {
    parsed.type = spec.type;
    parsed.text = spec.default_value;
    parsed.value = parse_default(spec);
  });
  if (parsed.type != spec.type || parsed.text != spec.default_value) return parse_default(spec);
  return parsed.value;
}

}  // namespace auditrelay
