/* never.h — init/shutdown for test plugins the host must refuse before calling init. */
#ifndef COZE_TEST_NEVER_H
#define COZE_TEST_NEVER_H

#include <stdio.h>
#include <stdlib.h>

#include "cozebridge_plugin.h"

#define NEVER_CALLED(plugin)                                                                           \
    static int never_init(const coze_host_api *api, const void *token, const char *settings, void **state, \
                          char **error) {                                                              \
        (void)api, (void)token, (void)settings, (void)state, (void)error;                              \
        fprintf(stderr, "%s: init called, but the host must refuse this plugin\n", plugin);            \
        fflush(stderr);                                                                                \
        abort();                                                                                       \
    }                                                                                                  \
    static void never_shutdown(void *state) {                                                          \
        (void)state;                                                                                   \
        fprintf(stderr, "%s: shutdown called, but the host must refuse this plugin\n", plugin);        \
        fflush(stderr);                                                                                \
        abort();                                                                                       \
    }

#define EXPORT __attribute__((visibility("default")))

#endif
