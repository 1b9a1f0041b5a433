// Compiled with the plugins' include path: the application (runtime, CLI, top-level config) is
// not on it (Layering.PluginsCannotIncludeTheApplication).
#include "plugins/outputs/common/fd_writer.h"
#include "agent/runtime.h"

int layering_probe() { return 0; }
