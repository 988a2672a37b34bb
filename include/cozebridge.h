/*
 * cozebridge.h — the C API of libcozebridge.
 *
 * This header grows with the core (conversations, send, stream, keepalive). What is here now is
 * stable: the version of the header a program was compiled against, and of the library it runs
 * with. Conventions for everything that follows: `coze_` prefix, opaque handles, `int` status
 * codes with a thread-local last-error string, and a free function for every allocation.
 */
#ifndef COZEBRIDGE_H
#define COZEBRIDGE_H

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this header. The library's own version is returned by coze_version(). */
#define COZE_VERSION_MAJOR 0
#define COZE_VERSION_MINOR 1
#define COZE_VERSION_PATCH 0
#define COZE_VERSION_STRING "0.1.0"

/** One number that orders versions: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define COZE_VERSION_NUMBER (COZE_VERSION_MAJOR * 10000 + COZE_VERSION_MINOR * 100 + COZE_VERSION_PATCH)

/**
 * The version of the library loaded at run time, as "MAJOR.MINOR.PATCH".
 *
 * The string is static: never free it. Safe from any thread.
 */
const char *coze_version(void);

#ifdef __cplusplus
}
#endif

#endif /* COZEBRIDGE_H */
