// Options: the validated values of one option table, read back by name and type.
#include "core/config/options.h"

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
std::map<std::string, std::vector<std::string>> Options::map_of_lists(
    const std::string& name) const {
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
