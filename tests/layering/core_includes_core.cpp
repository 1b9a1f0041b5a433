// Compiled with the core layer's include path only: a core header must be found (the control
// for core_includes_coder.cpp, which must not build).
#include "core/common/strings.h"

int layering_probe() { return 0; }
