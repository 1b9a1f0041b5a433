// An option table as text: the --help listing and the reference docs' Markdown table.
#include "core/config/options.h"

namespace auditrelay {

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

}  // namespace auditrelay
