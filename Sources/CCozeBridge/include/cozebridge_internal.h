/*
 * cozebridge_internal.h — helpers the Swift half of libcozebridge calls into. Not installed and
 * not exported (the version script keeps only coze_*); the public contract is cozebridge.h.
 */
#ifndef COZEBRIDGE_INTERNAL_H
#define COZEBRIDGE_INTERNAL_H

#include "cozebridge.h"

/** Sets the calling thread's last error (`message` is copied; NULL means ""). */
void czb_set_last_error(int status, const char *message);

/** Marks the calling thread as running a callback of `bridge` / `stream` (NULL, NULL: none). */
void czb_set_callback_context(const void *bridge, const void *stream);
const void *czb_callback_bridge(void);
const void *czb_callback_stream(void);

/**
 * Marks the calling thread as running (1) or not (0) a COZE_STREAM_DIRECT callback, where blocking
 * calls are refused; returns the previous mark, to be restored after the callback.
 */
int czb_set_direct_callback(int direct);
int czb_in_direct_callback(void);

/** Frees the members of one struct the Swift half built with malloc/strdup (not the struct itself). */
void czb_answer_free_members(coze_answer *answer);
void czb_image_free_members(coze_image *image);

#endif
