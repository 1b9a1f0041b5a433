#pragma once
// The attributes that differ by OCSF class (Authentication's user and service, API Activity's
// api and resources, HTTP Activity's request, response and firewall rule, ...). write_event_ocsf
// (ocsf_writer.cpp) writes them between the attributes every class has and `unmapped`.
#include "coder/event/event.h"
#include "coder/schemas/ocsf_class.h"

namespace auditrelay {
class JsonWriter;
}

namespace auditrelay::coder {

void write_ocsf_class_attributes(JsonWriter& w, const Event& e, const OcsfActivity& act);

}  // namespace auditrelay::coder
