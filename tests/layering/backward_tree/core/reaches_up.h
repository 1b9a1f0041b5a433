#pragma once
// A core header that reaches up into the schema layer by a relative path: check-layers.py
// must report it (Layering.CheckScriptCatchesARelativeBackwardInclude).
#include "../coder/event.h"
