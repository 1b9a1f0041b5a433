#pragma once
// Kubernetes metadata from container log paths, as the kubelet lays them out:
//   .../containers/<pod>_<namespace>_<container>-<container id>.log   (symlinks)
//   .../pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log
#include <string>

namespace auditrelay {

struct KubernetesPath {
  std::string namespace_name, pod, container;
  bool found() const { return !pod.empty(); }
};

KubernetesPath kubernetes_from_path(const std::string& path);

}  // namespace auditrelay
