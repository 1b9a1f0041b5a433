// Compiled with the schema layer's include path: core and coder headers are there, plugins'
// are not (Layering.CoderCannotIncludePlugins).
#include "coder/event/event.h"
#include "plugins/outputs/common/fd_writer.h"

int layering_probe() { return 0; }
