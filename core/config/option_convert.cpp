#include "core/config/option_convert.h"

#include "core/common/strings.h"
#include "core/config/units.h"

namespace auditrelay {

int node_line(const YAML::Node& node) {
  return node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
}

std::string join_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

namespace {

// Where the problem in one scalar is reported.
struct At {
  int line;
  const std::string& path;
  Diagnostics& diags;
  void error(std::string message) const { diags.error(line, path, std::move(message)); }
};

OptionValue parse_int_option(const std::string& text, const At& at) {
  int64_t v;
  if (parse_int64(trim(text), v)) return v;
  at.error("expected an integer, got '" + text + "'");
  return {};
}

OptionValue parse_bool_option(const std::string& text, const At& at) {
  std::string t = to_lower(trim(text));
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  at.error("expected true or false, got '" + text + "'");
  return {};
}

OptionValue parse_size_option(const std::string& text, const At& at) {
  if (auto v = parse_size(text)) return static_cast<int64_t>(*v);
  at.error("expected a size such as 64MiB or 1MB, got '" + text + "'");
  return {};
}

OptionValue parse_duration_option(const std::string& text, const At& at) {
  if (auto v = parse_duration(text)) return static_cast<int64_t>(v->count());
  at.error("expected a duration such as 500ms, 5s or 1m, got '" + text + "'");
  return {};
}

OptionValue check_enum_option(const std::string& text, const OptionSpec& spec, const At& at) {
  for (const auto& e : spec.enum_values)
    if (e == text) return text;
  std::string allowed;
  for (const auto& e : spec.enum_values) allowed += (allowed.empty() ? "" : ", ") + e;
  std::string msg = "'" + text + "' is not one of: " + allowed;
  std::string near = closest_name(text, spec.enum_values);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  at.error(msg);
  return {};
}

// A filter query is checked by the validator the caller passes (none: any text is accepted).
bool query_is_valid(const std::string& text, const QueryValidator& qv, const At& at) {
  if (!qv) return true;
  std::string err = qv(text);
  if (err.empty()) return true;
  at.error(err);
  return false;
}

OptionValue convert_scalar_text(const std::string& text, const OptionSpec& spec, const At& at,
                                const QueryValidator& qv) {
  switch (spec.type) {
    case OptType::String:
      return text;
    case OptType::Int:
      return parse_int_option(text, at);
    case OptType::Bool:
      return parse_bool_option(text, at);
    case OptType::Size:
      return parse_size_option(text, at);
    case OptType::Duration:
      return parse_duration_option(text, at);
    case OptType::Enum:
      return check_enum_option(text, spec, at);
    case OptType::Query:
      return query_is_valid(text, qv, at) ? OptionValue(text) : OptionValue();
    case OptType::StringList:
      return std::vector<std::string>{text};
    case OptType::QueryList:
      if (!query_is_valid(text, qv, at)) return {};
      return std::vector<std::string>{text};
    default:
      break;
  }
  at.error(std::string("expected ") + std::string(opt_type_name(spec.type)));
  return {};
}

// StringList and QueryList: one string or a list of them.
OptionValue convert_list(const YAML::Node& node, const OptionSpec& spec, const std::string& path,
                         Diagnostics& diags, const QueryValidator& qv) {
  if (node.IsScalar())
    return convert_scalar_text(node.Scalar(), spec, {node_line(node), path, diags}, qv);
  if (!node.IsSequence()) {
    diags.error(node_line(node), path, "expected a list of strings");
    return {};
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string item_path = path + "[" + std::to_string(i) + "]";
    At at{node_line(node[i]), item_path, diags};
    if (!node[i].IsScalar()) {
      at.error("expected a string");
      ok = false;
      continue;
    }
    if (spec.type == OptType::QueryList && !query_is_valid(node[i].Scalar(), qv, at)) {
      ok = false;
      continue;
    }
    out.push_back(node[i].Scalar());
  }
  if (!ok && spec.type == OptType::QueryList) return {};
  return out;
}

OptionValue convert_map(const YAML::Node& node, const std::string& path, Diagnostics& diags) {
  if (!node.IsMap()) {
    diags.error(node_line(node), path, "expected a mapping of names to values");
    return {};
  }
  std::map<std::string, std::string> out;
  for (const auto& kv : node) {
    if (!kv.second.IsScalar()) {
      diags.error(node_line(kv.second), join_path(path, kv.first.Scalar()),
                  "expected a scalar value");
      continue;
    }
    out[kv.first.Scalar()] = kv.second.Scalar();
  }
  return out;
}

// One MapOfLists entry's values joined by '\n' (how Options stores them); empty when the value
// is neither a string nor a list of strings, or one holds a line break (reported).
std::string joined_list_values(const YAML::Node& value, const std::string& path,
                               Diagnostics& diags) {
  std::vector<std::string> values;
  if (value.IsScalar()) values.push_back(value.Scalar());
  if (value.IsSequence())
    for (const auto& item : value)
      if (item.IsScalar()) values.push_back(item.Scalar());
  if (values.empty() || (value.IsSequence() && values.size() != value.size())) {
    diags.error(node_line(value), path, "expected a value or a list of values");
    return {};
  }
  std::string joined;
  for (const auto& v : values) {
    if (v.find('\n') != std::string::npos) {
      diags.error(node_line(value), path, "a value cannot hold a line break");
      return {};
    }
    joined += (joined.empty() ? "" : "\n") + v;
  }
  return joined;
}

OptionValue convert_map_of_lists(const YAML::Node& node, const std::string& path,
                                 Diagnostics& diags) {
  if (!node.IsMap()) {
    diags.error(node_line(node), path,
                "expected a mapping of names to a value or a list of values");
    return {};
  }
  std::map<std::string, std::string> out;
  for (const auto& kv : node) {
    std::string joined = joined_list_values(kv.second, join_path(path, kv.first.Scalar()), diags);
    if (!joined.empty()) out[kv.first.Scalar()] = joined;
  }
  return out;
}

OptionValue convert_object(const YAML::Node& node, const OptionSpec& spec, const std::string& path,
                           Diagnostics& diags, const QueryValidator& qv) {
  if (!node.IsMap()) {
    diags.error(node_line(node), path, "expected a mapping");
    return {};
  }
  return std::make_shared<Options>(validate_options(node, spec.children, path, diags, qv));
}

OptionValue convert_object_list(const YAML::Node& node, const OptionSpec& spec,
                                const std::string& path, Diagnostics& diags,
                                const QueryValidator& qv) {
  if (!node.IsSequence()) {
    diags.error(node_line(node), path, "expected a list");
    return {};
  }
  std::vector<std::shared_ptr<Options>> out;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string p = path + "[" + std::to_string(i) + "]";
    if (!node[i].IsMap()) {
      diags.error(node_line(node[i]), p, "expected a mapping");
      continue;
    }
    out.push_back(
        std::make_shared<Options>(validate_options(node[i], spec.children, p, diags, qv)));
  }
  return out;
}

// The scalar types: a mapping, list or null is a type error.
OptionValue convert_scalar(const YAML::Node& node, const OptionSpec& spec, const std::string& path,
                           Diagnostics& diags, const QueryValidator& qv) {
  At at{node_line(node), path, diags};
  if (node.IsScalar()) return convert_scalar_text(node.Scalar(), spec, at, qv);
  at.error(std::string("expected a ") + std::string(opt_type_name(spec.type)) + ", got a " +
           (node.IsMap()        ? "mapping"
            : node.IsSequence() ? "list"
                                : "null"));
  return {};
}

}  // namespace

OptionValue convert_option(const YAML::Node& node, const OptionSpec& spec, const std::string& path,
                           Diagnostics& diags, const QueryValidator& qv) {
  switch (spec.type) {
    case OptType::StringList:
    case OptType::QueryList:
      return convert_list(node, spec, path, diags, qv);
    case OptType::Map:
      return convert_map(node, path, diags);
    case OptType::MapOfLists:
      return convert_map_of_lists(node, path, diags);
    case OptType::Object:
      return convert_object(node, spec, path, diags, qv);
    case OptType::ObjectList:
      return convert_object_list(node, spec, path, diags, qv);
    default:
      return convert_scalar(node, spec, path, diags, qv);
  }
}

}  // namespace auditrelay
