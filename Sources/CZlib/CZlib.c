/* The module's functions are inline in CZlib.h; SwiftPM needs one source file per C target. */
#include "CZlib.h"
