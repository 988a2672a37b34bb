#ifndef COZEBRIDGE_CZLIB_H
#define COZEBRIDGE_CZLIB_H

#include <zlib.h>

/* deflateInit/inflateInit are macros in zlib.h; Swift cannot call macros, so these wrap them. */
static inline int czlib_deflate_init(z_stream *stream, int level) {
    return deflateInit(stream, level);
}

static inline int czlib_inflate_init(z_stream *stream) {
    return inflateInit(stream);
}

#endif
