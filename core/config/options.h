#pragma once
// Typed option tables. A plugin (or a core section) declares its options once; the same table
// validates the config, fills in defaults, prints --help and generates the reference docs.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/config/diagnostics.h"

namespace auditrelay {

enum class OptType {
  String,
  Int,
  Bool,
  Size,
  Duration,
  StringList,
  Enum,
  Query,
  QueryList,  // one filter query or a list of them, any of which may hold
  Map,
  MapOfLists,  // names to a string or a list of strings
  Object,
  ObjectList
};

std::string_view opt_type_name(OptType t);

struct ParsedDefault;  // an OptionSpec's default_value as its typed value (option_defaults.cpp)
std::shared_ptr<ParsedDefault> new_parsed_default();

struct OptionSpec {
  std::string name;
  OptType type = OptType::String;
  std::string default_value;  // as the user would write it; empty = no default
  bool required = false;
  std::string description;
  std::vector<std::string> enum_values;  // for Enum
  std::vector<OptionSpec> children;      // for Object and ObjectList
  bool secret = false;                   // never printed; may come from NAME_file
  // default_value converted to its type on first use and kept, so that loading a config does
  // not parse every declared default again (shared by the spec's copies; never set by hand).
  std::shared_ptr<ParsedDefault> parsed_default = new_parsed_default();
};

// Extra validation of a value beyond its type (e.g. a filter query compiles). Returns an error
// message, or empty when the value is fine.
using QueryValidator = std::function<std::string(const std::string&)>;

class Options;
class OptionTableReader;
using OptionValue = std::variant<std::monostate, std::string, int64_t, bool,
                                 std::vector<std::string>, std::map<std::string, std::string>,
                                 std::shared_ptr<Options>, std::vector<std::shared_ptr<Options>>>;

// The validated, typed values of one options table.
class Options {
 public:
  bool has(const std::string& name) const;
  std::string str(const std::string& name, const std::string& fallback = {}) const;
  int64_t integer(const std::string& name, int64_t fallback = 0) const;
  bool boolean(const std::string& name, bool fallback = false) const;
  uint64_t size(const std::string& name, uint64_t fallback = 0) const;  // bytes
  std::chrono::milliseconds duration(const std::string& name,
                                     std::chrono::milliseconds fallback = {}) const;
  std::vector<std::string> list(const std::string& name) const;
  std::map<std::string, std::string> map(const std::string& name) const;
  std::map<std::string, std::vector<std::string>> map_of_lists(const std::string& name) const;
  const Options& object(const std::string& name) const;  // empty Options when absent
  std::vector<std::shared_ptr<Options>> objects(const std::string& name) const;
  int line(const std::string& name) const;  // where the value was given, 0 = default
  int line(const std::string& name, const std::string& key) const;  // a Map entry's line
  int line() const { return line_; }                                // where this table starts

  void set(const std::string& name, OptionValue v, int line = 0);
  // The same values (nested tables compared by value; where they were written is ignored).
  bool operator==(const Options& other) const;

 private:
  struct Entry {
    OptionValue value;
    int line = 0;
    std::map<std::string, int> key_lines;  // Map options: where each key was written
  };
  std::map<std::string, Entry> values_;
  int line_ = 0;
  friend class OptionTableReader;  // validate_options' reader fills in lines and Map key lines
};

// Validates node (a mapping) against specs; every problem goes to diags.
// `path` is where node sits ("outputs[0]"). Keys ending in _file read string options from files.
Options validate_options(const YAML::Node& node, const std::vector<OptionSpec>& specs,
                         const std::string& path, Diagnostics& diags,
                         const QueryValidator& query_validator = {});

// The closest name within edit distance 2, for "did you mean".
std::string closest_name(const std::string& key, const std::vector<std::string>& candidates);

// Human-readable option list (for --help) and Markdown table (for docs).
std::string describe_options(const std::vector<OptionSpec>& specs, int indent = 2);
std::string markdown_options(const std::vector<OptionSpec>& specs, const std::string& prefix = {});

}  // namespace auditrelay
