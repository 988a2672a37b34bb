/*
 * The public headers as a module for Swift code that talks to the core through C only (the host,
 * Swift plugins). Nothing is defined here: the functions live in libcozebridge.so, reached by
 * dlopen/dlsym or through the host's function table, never linked in a second time.
 */
#include "cozebridge_plugin.h"
