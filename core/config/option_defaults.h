#pragma once
// A declared default (OptionSpec::default_value, written as a user would write it) as the typed
// value an absent option gets.
#include "core/config/options.h"

namespace auditrelay {

// Parsed on the spec's first use and kept in it, so loading a config again does not parse every
// default again. A default that does not parse leaves the option unset (monostate).
OptionValue declared_default(const OptionSpec& spec);

}  // namespace auditrelay
