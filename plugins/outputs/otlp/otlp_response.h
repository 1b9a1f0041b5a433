#pragma once
// What an OTLP/HTTP collector's answer says: the partial success of a 2xx, the message of a
// google.rpc.Status error. Both come in the request's encoding (protobuf or JSON).
#include <cstdint>
#include <string>
#include <string_view>

namespace auditrelay {

struct OtlpPartialSuccess {
  int64_t rejected_log_records = 0;
  std::string error_message;
};

// ExportLogsServiceResponse.partial_success; an empty or unreadable body means none.
OtlpPartialSuccess parse_partial_success(std::string_view body, bool json);
// google.rpc.Status.message of an error answer ("" when the body has none).
std::string status_message(std::string_view body, bool json);

}  // namespace auditrelay
