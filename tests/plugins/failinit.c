/* failinit — a well-formed plugin whose init fails: the host reports the message and forgets it. */
#include <string.h>

#include "never.h"

static int failing_init(const coze_host_api *api, const void *token, const char *settings, void **state,
                        char **error) {
    (void)settings, (void)state;
    api->log(token, COZE_LOG_INFO, "failinit: about to fail on purpose");
    /* The host releases the message with free(): allocate it with malloc. */
    const char *text = "deliberate failure";
    *error = malloc(strlen(text) + 1);
    if (*error) strcpy(*error, text);
    return COZE_EUNAVAILABLE;
}

static void failing_shutdown(void *state) {
    (void)state;
    fprintf(stderr, "failinit: shutdown called after a failed init\n");
    fflush(stderr);
    abort();
}

static const coze_plugin_v1 descriptor = {
    .abi_major = COZE_PLUGIN_ABI_MAJOR,
    .abi_minor = COZE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(coze_plugin_v1),
    .name = "failinit",
    .version = "1.0",
    .init = failing_init,
    .shutdown = failing_shutdown,
};

EXPORT const coze_plugin_v1 *coze_plugin_entry_v1(void) { return &descriptor; }
