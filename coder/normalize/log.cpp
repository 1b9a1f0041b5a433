// Any other service log line: the request and workspace it was about, and a build's reason.
#include "coder/normalize/mapping.h"

namespace auditrelay::coder::mapping {

void map_log(const MappedFields& f, Event& e) {
  e.request_id = f.text(Key::RequestId);
  e.workspace.id = f.text(Key::WorkspaceId);
  e.workspace.name = f.text(Key::WorkspaceName);
  e.build_reason = f.text(Key::Reason);
}

}  // namespace auditrelay::coder::mapping
