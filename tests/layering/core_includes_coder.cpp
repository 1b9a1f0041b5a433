// Compiled with the core layer's include path only: the schema layer's headers are not on it,
// so this include must fail the build (Layering.CoreCannotIncludeCoder).
#include "core/common/strings.h"
#include "coder/event/event.h"

int layering_probe() { return 0; }
