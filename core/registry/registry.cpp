#include "core/registry/registry.h"

#include <algorithm>
#include <cstdio>

namespace auditrelay {

std::string_view plugin_kind_name(PluginKind k) {
  switch (k) {
    case PluginKind::Input:
      return "input";
    case PluginKind::Format:
      return "format";
    case PluginKind::Output:
      return "output";
  }
  return "?";
}

Registry& Registry::instance() {
  static Registry registry;
  return registry;
}

bool Registry::add(PluginDescriptor d) {
  if (find(d.kind, d.name)) {
    std::fprintf(stderr, "auditrelay: %s plugin '%s' registered twice\n",
                 std::string(plugin_kind_name(d.kind)).c_str(), d.name.c_str());
    return false;
  }
  if (d.fallback && fallback_format()) {
    std::fprintf(stderr, "auditrelay: format '%s' declared a second fallback\n", d.name.c_str());
    return false;
  }
  plugins_.push_back(std::make_unique<PluginDescriptor>(std::move(d)));
  return true;
}

const PluginDescriptor* Registry::find(PluginKind kind, std::string_view name) const {
  for (const auto& p : plugins_)
    if (p->kind == kind && p->name == name) return p.get();
  return nullptr;
}

const Format* Registry::format(std::string_view name) const {
  const auto* d = find(PluginKind::Format, name);
  return d ? d->format : nullptr;
}

const Format* Registry::fallback_format() const {
  for (const auto& p : plugins_)
    if (p->kind == PluginKind::Format && p->fallback) return p->format;
  return nullptr;
}

std::vector<std::string> Registry::entry_format_names() const {
  std::vector<std::string> out;
  for (const auto& p : plugins_)
    if (p->kind == PluginKind::Format)
      out.insert(out.end(), p->entry_formats.begin(), p->entry_formats.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<const PluginDescriptor*> Registry::list(PluginKind kind) const {
  std::vector<const PluginDescriptor*> out;
  for (const auto& p : plugins_)
    if (p->kind == kind) out.push_back(p.get());
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

std::vector<std::string> Registry::names(PluginKind kind) const {
  std::vector<std::string> out;
  for (const auto* p : list(kind)) out.push_back(p->name);
  return out;
}

}  // namespace auditrelay
