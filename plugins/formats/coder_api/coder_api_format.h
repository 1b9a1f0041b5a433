#pragma once
// Format `api`: rows of Coder's REST API, one JSON object per line (coder_api_format.cpp). The
// `coder_api` input hands its rows to it.
#include "core/event/format.h"

namespace auditrelay::formats {

const Format& coder_api_format();

}  // namespace auditrelay::formats
