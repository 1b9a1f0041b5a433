// validate_options: a config mapping read against an option table.
#include <fstream>
#include <set>
#include <sstream>

#include "core/common/strings.h"
#include "core/config/option_convert.h"
#include "core/config/option_defaults.h"
#include "core/config/options.h"

namespace auditrelay {
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

// One mapping read against one option table: each key given is matched to its spec (a String
// option also as NAME_file) and converted; then each option not given is reported as missing or
// gets its default.
class OptionTableReader {
 public:
  OptionTableReader(const std::vector<OptionSpec>& specs, const std::string& path,
                    Diagnostics& diags, const QueryValidator& qv)
      : specs_(specs), path_(path), diags_(diags), qv_(qv) {}

  Options read(const YAML::Node& node) {
    out_.line_ = node_line(node);
    if (node.IsMap())
      for (const auto& kv : node) read_key(kv.first, kv.second);
    for (const auto& s : specs_) fill_absent(s);
    return std::move(out_);
  }

 private:
  struct Match {
    const OptionSpec* spec = nullptr;
    bool from_file = false;  // NAME_file: the value is a file holding the string
  };

  Match find_spec(const std::string& key) const {
    Match m;
    for (const auto& s : specs_)
      if (s.name == key) m.spec = &s;
    if (!m.spec && key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0) {
      std::string base = key.substr(0, key.size() - 5);
      for (const auto& s : specs_)
        if (s.name == base && s.type == OptType::String) m.spec = &s;
      m.from_file = m.spec != nullptr;
    }
    return m;
  }

  void read_key(const YAML::Node& key_node, const YAML::Node& value) {
    std::string key = key_node.Scalar();
    int kline = node_line(key_node);
    std::string kpath = join_path(path_, key);
    Match m = find_spec(key);
    if (!m.spec) {
      report_unknown(key, kline, kpath);
      return;
    }
    if (!given_.insert(m.spec->name).second) {
      diags_.error(kline, kpath,
                   "'" + m.spec->name + "' is given twice (directly and through _file)");
      return;
    }
    if (m.from_file)
      read_from_file(*m.spec, value, kline, kpath);
    else
      read_value(*m.spec, value, kline, kpath);
  }

  void report_unknown(const std::string& key, int kline, const std::string& kpath) {
    std::vector<std::string> names;
    for (const auto& s : specs_) names.push_back(s.name);
    std::string msg = "unknown key '" + key + "'";
    std::string near = closest_name(key, names);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    diags_.error(kline, kpath, msg);
  }

  void read_from_file(const OptionSpec& spec, const YAML::Node& value, int kline,
                      const std::string& kpath) {
    if (!value.IsScalar()) {
      diags_.error(kline, kpath, "expected a file path");
      return;
    }
    std::string content, err;
    if (!read_secret_file(value.Scalar(), content, err)) {
      diags_.error(kline, kpath, err);
      empty_required_.insert(spec.name);
      return;
    }
    out_.set(spec.name, content, kline);
  }

  void read_value(const OptionSpec& spec, const YAML::Node& value, int kline,
                  const std::string& kpath) {
    if (value.IsNull()) {
      if (spec.required) {
        diags_.error(kline, kpath, "must not be empty");
        empty_required_.insert(spec.name);
      }
      return;
    }
    OptionValue v = convert_option(value, spec, kpath, diags_, qv_);
    if (std::holds_alternative<std::monostate>(v)) return;
    out_.set(spec.name, std::move(v), kline);
    if (spec.type == OptType::Map || spec.type == OptType::MapOfLists)
      for (const auto& entry : value)
        out_.values_[spec.name].key_lines[entry.first.Scalar()] = node_line(entry.first);
  }

  void fill_absent(const OptionSpec& s) {
    if (out_.has(s.name) || empty_required_.contains(s.name)) return;
    if (s.required) {
      diags_.error(out_.line_, join_path(path_, s.name), "required option is missing");
    } else if (!s.default_value.empty()) {
      out_.set(s.name, declared_default(s), 0);
    } else if (s.type == OptType::Object) {
      // Absent objects still get their children's defaults.
      out_.set(
          s.name,
          std::make_shared<Options>(validate_options(YAML::Node(YAML::NodeType::Map), s.children,
                                                     join_path(path_, s.name), diags_, qv_)),
          0);
    }
  }

  const std::vector<OptionSpec>& specs_;
  const std::string& path_;
  Diagnostics& diags_;
  const QueryValidator& qv_;
  Options out_;
  std::set<std::string> given_;
  std::set<std::string> empty_required_;  // reported as empty or unreadable, not also as missing
};

Options validate_options(const YAML::Node& node, const std::vector<OptionSpec>& specs,
                         const std::string& path, Diagnostics& diags, const QueryValidator& qv) {
  return OptionTableReader(specs, path, diags, qv).read(node);
}

}  // namespace auditrelay
