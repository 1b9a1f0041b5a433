#include "plugins/inputs/file/kubernetes_path.h"

#include <string_view>
#include <vector>

namespace auditrelay {
namespace {

std::vector<std::string_view> split_path(std::string_view p) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (j > i) parts.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

}  // namespace

KubernetesPath kubernetes_from_path(const std::string& path) {
  KubernetesPath k;
  auto parts = split_path(path);
  size_t n = parts.size();
  if (n >= 2 && parts[n - 2] == "containers" && parts[n - 1].ends_with(".log")) {
    std::string_view name = parts[n - 1];
    name.remove_suffix(4);
    size_t a = name.find('_');
    size_t b = a == std::string_view::npos ? a : name.find('_', a + 1);
    if (b == std::string_view::npos) return k;
    std::string_view rest = name.substr(b + 1);
    size_t dash = rest.rfind('-');
    k.pod = name.substr(0, a);
    k.namespace_name = name.substr(a + 1, b - a - 1);
    k.container = dash == std::string_view::npos ? rest : rest.substr(0, dash);
  } else if (n >= 4 && parts[n - 4] == "pods" && parts[n - 1].ends_with(".log")) {
    std::string_view dir = parts[n - 3];
    size_t a = dir.find('_');
    size_t b = a == std::string_view::npos ? a : dir.find('_', a + 1);
    if (b == std::string_view::npos) return k;
    k.namespace_name = dir.substr(0, a);
    k.pod = dir.substr(a + 1, b - a - 1);
    k.container = parts[n - 2];
  }
  return k;
}

}  // namespace auditrelay
