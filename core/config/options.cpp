#include "core/config/options.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/common/strings.h"
#include "core/config/units.h"

namespace auditrelay {

std::string_view opt_type_name(OptType t) {
  switch (t) {
    case OptType::String:
      return "string";
    case OptType::Int:
      return "integer";
    case OptType::Bool:
      return "bool";
    case OptType::Size:
      return "size";
    case OptType::Duration:
      return "duration";
    case OptType::StringList:
      return "list of strings";
    case OptType::Enum:
      return "enum";
    case OptType::Query:
      return "filter query";
    case OptType::QueryList:
      return "filter query, or a list of them (any may hold)";
    case OptType::Map:
      return "map of strings";
    case OptType::MapOfLists:
      return "map of strings or lists of strings";
    case OptType::Object:
      return "object";
    case OptType::ObjectList:
      return "list of objects";
  }
  return "?";
}

bool Options::has(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && !std::holds_alternative<std::monostate>(it->second.value);
}

std::string Options::str(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* s = std::get_if<std::string>(&it->second.value)) return *s;
  return fallback;
}

int64_t Options::integer(const std::string& name, int64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<int64_t>(&it->second.value)) return *v;
  return fallback;
}

bool Options::boolean(const std::string& name, bool fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<bool>(&it->second.value)) return *v;
  return fallback;
}

uint64_t Options::size(const std::string& name, uint64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<int64_t>(&it->second.value)) return static_cast<uint64_t>(*v);
  return fallback;
}

std::chrono::milliseconds Options::duration(const std::string& name,
                                            std::chrono::milliseconds fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<int64_t>(&it->second.value)) return std::chrono::milliseconds(*v);
  return fallback;
}

std::vector<std::string> Options::list(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  if (auto* v = std::get_if<std::vector<std::string>>(&it->second.value)) return *v;
  return {};
}

std::map<std::string, std::string> Options::map(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  if (auto* v = std::get_if<std::map<std::string, std::string>>(&it->second.value)) return *v;
  return {};
}

// Stored as a Map whose values are joined by '\n' (no option value of this type holds one).
std::map<std::string, std::vector<std::string>> Options::map_of_lists(const std::string& name) const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [key, joined] : map(name)) {
    auto& values = out[key];
    size_t start = 0;
    for (size_t nl; (nl = joined.find('\n', start)) != std::string::npos; start = nl + 1)
      values.push_back(joined.substr(start, nl - start));
    values.push_back(joined.substr(start));
  }
  return out;
}

const Options& Options::object(const std::string& name) const {
  static const Options kEmpty;
  auto it = values_.find(name);
  if (it == values_.end()) return kEmpty;
  if (auto* v = std::get_if<std::shared_ptr<Options>>(&it->second.value)) return **v;
  return kEmpty;
}

std::vector<std::shared_ptr<Options>> Options::objects(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  if (auto* v = std::get_if<std::vector<std::shared_ptr<Options>>>(&it->second.value)) return *v;
  return {};
}

int Options::line(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? 0 : it->second.line;
}

int Options::line(const std::string& name, const std::string& key) const {
  auto it = values_.find(name);
  if (it == values_.end()) return 0;
  auto k = it->second.key_lines.find(key);
  return k == it->second.key_lines.end() ? it->second.line : k->second;
}

void Options::set(const std::string& name, OptionValue v, int line) {
  values_[name] = Entry{std::move(v), line};
}

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

int node_line(const YAML::Node& n) {
  return n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

std::string join_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

bool read_secret_file(const std::string& file, std::string& out, std::string& err) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    err = "cannot read file '" + file + "'";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return true;
}

OptionValue convert(const YAML::Node& node, const OptionSpec& spec, const std::string& path,
                    Diagnostics& diags, const QueryValidator& qv);

OptionValue convert_scalar_text(const std::string& text, int line, const OptionSpec& spec,
                                const std::string& path, Diagnostics& diags,
                                const QueryValidator& qv) {
  switch (spec.type) {
    case OptType::String:
      return text;
    case OptType::Int: {
      int64_t v;
      if (!parse_int64(trim(text), v)) {
        diags.error(line, path, "expected an integer, got '" + text + "'");
        return {};
      }
      return v;
    }
    case OptType::Bool: {
      std::string t = to_lower(trim(text));
      if (t == "true" || t == "yes" || t == "on") return true;
      if (t == "false" || t == "no" || t == "off") return false;
      diags.error(line, path, "expected true or false, got '" + text + "'");
      return {};
    }
    case OptType::Size: {
      auto v = parse_size(text);
      if (!v) {
        diags.error(line, path, "expected a size such as 64MiB or 1MB, got '" + text + "'");
        return {};
      }
      return static_cast<int64_t>(*v);
    }
    case OptType::Duration: {
      auto v = parse_duration(text);
      if (!v) {
        diags.error(line, path, "expected a duration such as 500ms, 5s or 1m, got '" + text + "'");
        return {};
      }
      return static_cast<int64_t>(v->count());
    }
    case OptType::Enum: {
      for (const auto& e : spec.enum_values)
        if (e == text) return text;
      std::string allowed;
      for (const auto& e : spec.enum_values) allowed += (allowed.empty() ? "" : ", ") + e;
      std::string msg = "'" + text + "' is not one of: " + allowed;
      std::string near = closest_name(text, spec.enum_values);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      diags.error(line, path, msg);
      return {};
    }
    case OptType::Query: {
      if (qv) {
        std::string err = qv(text);
        if (!err.empty()) {
          diags.error(line, path, err);
          return {};
        }
      }
      return text;
    }
    case OptType::StringList:
      return std::vector<std::string>{text};
    case OptType::QueryList: {
      OptionSpec one = spec;
      one.type = OptType::Query;
      OptionValue v = convert_scalar_text(text, line, one, path, diags, qv);
      if (std::holds_alternative<std::monostate>(v)) return {};
      return std::vector<std::string>{text};
    }
    default:
      break;
  }
  diags.error(line, path, std::string("expected ") + std::string(opt_type_name(spec.type)));
  return {};
}

OptionValue convert(const YAML::Node& node, const OptionSpec& spec, const std::string& path,
                    Diagnostics& diags, const QueryValidator& qv) {
  int line = node_line(node);
  switch (spec.type) {
    case OptType::StringList:
    case OptType::QueryList: {
      if (node.IsScalar()) return convert_scalar_text(node.Scalar(), line, spec, path, diags, qv);
      if (!node.IsSequence()) {
        diags.error(line, path, "expected a list of strings");
        return {};
      }
      std::vector<std::string> out;
      bool ok = true;
      for (size_t i = 0; i < node.size(); ++i) {
        std::string item_path = path + "[" + std::to_string(i) + "]";
        if (!node[i].IsScalar()) {
          diags.error(node_line(node[i]), item_path, "expected a string");
          ok = false;
          continue;
        }
        if (spec.type == OptType::QueryList &&
            std::holds_alternative<std::monostate>(convert_scalar_text(
                node[i].Scalar(), node_line(node[i]), spec, item_path, diags, qv))) {
          ok = false;
          continue;
        }
        out.push_back(node[i].Scalar());
      }
      if (!ok && spec.type == OptType::QueryList) return {};
      return out;
    }
    case OptType::Map: {
      if (!node.IsMap()) {
        diags.error(line, path, "expected a mapping of names to values");
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
    case OptType::MapOfLists: {
      if (!node.IsMap()) {
        diags.error(line, path, "expected a mapping of names to a value or a list of values");
        return {};
      }
      std::map<std::string, std::string> out;
      for (const auto& kv : node) {
        std::string kpath = join_path(path, kv.first.Scalar());
        std::vector<std::string> values;
        if (kv.second.IsScalar()) values.push_back(kv.second.Scalar());
        if (kv.second.IsSequence())
          for (const auto& item : kv.second)
            if (item.IsScalar()) values.push_back(item.Scalar());
        if (values.empty() || (kv.second.IsSequence() && values.size() != kv.second.size())) {
          diags.error(node_line(kv.second), kpath, "expected a value or a list of values");
          continue;
        }
        std::string joined;
        for (const auto& v : values) {
          if (v.find('\n') != std::string::npos) {
            diags.error(node_line(kv.second), kpath, "a value cannot hold a line break");
            joined.clear();
            break;
          }
          joined += (joined.empty() ? "" : "\n") + v;
        }
        if (!joined.empty()) out[kv.first.Scalar()] = joined;
      }
      return out;
    }
    case OptType::Object: {
      if (!node.IsMap()) {
        diags.error(line, path, "expected a mapping");
        return {};
      }
      return std::make_shared<Options>(validate_options(node, spec.children, path, diags, qv));
    }
    case OptType::ObjectList: {
      if (!node.IsSequence()) {
        diags.error(line, path, "expected a list");
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
    default:
      if (!node.IsScalar()) {
        diags.error(line, path,
                    std::string("expected a ") + std::string(opt_type_name(spec.type)) +
                        ", got a " +
                        (node.IsMap()        ? "mapping"
                         : node.IsSequence() ? "list"
                                             : "null"));
        return {};
      }
      return convert_scalar_text(node.Scalar(), line, spec, path, diags, qv);
  }
}

}  // namespace

std::string closest_name(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 3;
  for (const auto& c : candidates) {
    size_t d = edit_distance(to_lower(key), to_lower(c));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

Options validate_options(const YAML::Node& node, const std::vector<OptionSpec>& specs,
                         const std::string& path, Diagnostics& diags, const QueryValidator& qv) {
  Options out;
  out.line_ = node_line(node);
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);

  std::map<std::string, bool> seen;
  std::set<std::string> empty_required;  // reported as empty or unreadable, not also as missing
  if (node.IsMap()) {
    for (const auto& kv : node) {
      std::string key = kv.first.Scalar();
      int kline = node_line(kv.first);
      const OptionSpec* spec = nullptr;
      bool from_file = false;
      for (const auto& s : specs)
        if (s.name == key) spec = &s;
      if (!spec && key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0) {
        std::string base = key.substr(0, key.size() - 5);
        for (const auto& s : specs)
          if (s.name == base && s.type == OptType::String) spec = &s;
        from_file = spec != nullptr;
      }
      std::string kpath = join_path(path, key);
      if (!spec) {
        std::string msg = "unknown key '" + key + "'";
        std::string near = closest_name(key, names);
        if (!near.empty()) msg += " (did you mean '" + near + "'?)";
        diags.error(kline, kpath, msg);
        continue;
      }
      if (seen[spec->name]) {
        diags.error(kline, kpath,
                    "'" + spec->name + "' is given twice (directly and through _file)");
        continue;
      }
      seen[spec->name] = true;
      if (from_file) {
        if (!kv.second.IsScalar()) {
          diags.error(kline, kpath, "expected a file path");
          continue;
        }
        std::string content, err;
        if (!read_secret_file(kv.second.Scalar(), content, err)) {
          diags.error(kline, kpath, err);
          empty_required.insert(spec->name);
          continue;
        }
        out.set(spec->name, content, kline);
        continue;
      }
      if (kv.second.IsNull()) {
        if (spec->required) {
          diags.error(kline, kpath, "must not be empty");
          empty_required.insert(spec->name);
        }
        continue;
      }
      OptionValue v = convert(kv.second, *spec, kpath, diags, qv);
      if (std::holds_alternative<std::monostate>(v)) continue;
      out.set(spec->name, std::move(v), kline);
      if (spec->type == OptType::Map || spec->type == OptType::MapOfLists)
        for (const auto& entry : kv.second)
          out.values_[spec->name].key_lines[entry.first.Scalar()] = node_line(entry.first);
    }
  }
  for (const auto& s : specs) {
    if (out.has(s.name) || empty_required.contains(s.name)) continue;
    if (s.required) {
      diags.error(out.line_, join_path(path, s.name), "required option is missing");
      continue;
    }
    if (!s.default_value.empty()) {
      Diagnostics ignore;
      YAML::Node def;
      try {
        def = YAML::Load(s.default_value);
      } catch (const YAML::Exception&) {
        def = YAML::Node(s.default_value);
      }
      OptionValue v =
          (s.type == OptType::String || s.type == OptType::Query || s.type == OptType::Enum)
              ? OptionValue(s.default_value)
              : convert(def, s, join_path(path, s.name), ignore, {});
      out.set(s.name, std::move(v), 0);
    } else if (s.type == OptType::Object) {
      // Absent objects still get their children's defaults.
      out.set(s.name,
              std::make_shared<Options>(validate_options(
                  YAML::Node(YAML::NodeType::Map), s.children, join_path(path, s.name), diags, qv)),
              0);
    }
  }
  return out;
}

std::string describe_options(const std::vector<OptionSpec>& specs, int indent) {
  std::string out;
  std::string pad(static_cast<size_t>(indent), ' ');
  for (const auto& s : specs) {
    out += pad + s.name + " (" + std::string(opt_type_name(s.type));
    if (s.type == OptType::Enum) {
      out += ": ";
      for (size_t i = 0; i < s.enum_values.size(); ++i) out += (i ? "|" : "") + s.enum_values[i];
    }
    out += s.required ? ", required" : "";
    if (!s.default_value.empty()) out += ", default " + s.default_value;
    out += ")\n" + pad + "    " + s.description + "\n";
    if (!s.children.empty()) out += describe_options(s.children, indent + 4);
  }
  return out;
}

std::string markdown_options(const std::vector<OptionSpec>& specs, const std::string& prefix) {
  std::string out;
  if (prefix.empty()) out += "| option | type | default | description |\n|---|---|---|---|\n";
  for (const auto& s : specs) {
    std::string name = prefix.empty() ? s.name : prefix + "." + s.name;
    std::string type(opt_type_name(s.type));
    if (s.type == OptType::Enum) {
      type = "";
      for (size_t i = 0; i < s.enum_values.size(); ++i)
        type += (i ? " \\| " : "") + ("`" + s.enum_values[i] + "`");
    }
    std::string def =
        s.required ? "required" : (s.default_value.empty() ? "" : "`" + s.default_value + "`");
    out += "| `" + name + "` | " + type + " | " + def + " | " + s.description + " |\n";
    if (!s.children.empty())
      out += markdown_options(s.children, s.type == OptType::ObjectList ? name + "[]" : name);
  }
  return out;
}

bool Options::operator==(const Options& other) const {
  if (values_.size() != other.values_.size()) return false;
  auto same = [](const OptionValue& a, const OptionValue& b) {
    if (a.index() != b.index()) return false;
    if (auto* x = std::get_if<std::shared_ptr<Options>>(&a)) {
      auto* y = std::get_if<std::shared_ptr<Options>>(&b);
      return (!*x && !*y) || (*x && *y && **x == **y);
    }
    if (auto* x = std::get_if<std::vector<std::shared_ptr<Options>>>(&a)) {
      const auto& y = std::get<std::vector<std::shared_ptr<Options>>>(b);
      if (x->size() != y.size()) return false;
      for (size_t i = 0; i < x->size(); ++i)
        if (!(*x)[i] || !y[i] || !(*(*x)[i] == *y[i])) return false;
      return true;
    }
    return a == b;
  };
  for (const auto& [name, entry] : values_) {
    auto it = other.values_.find(name);
    if (it == other.values_.end() || !same(entry.value, it->second.value)) return false;
  }
  return true;
}

}  // namespace auditrelay
