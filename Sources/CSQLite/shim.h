// The system SQLite (Debian: libsqlite3-dev, installed by scripts/bootstrap).
// A shim rather than pointing the module map at /usr/include directly, so the
// header is found through the compiler's normal include paths on every distro.
#ifndef COZEBRIDGE_CSQLITE_SHIM_H
#define COZEBRIDGE_CSQLITE_SHIM_H

#include <sqlite3.h>

#endif
