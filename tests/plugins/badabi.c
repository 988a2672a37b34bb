/* badabi — a plugin built for plugin ABI 99.0: the host must refuse it without calling init. */
#include "never.h"

NEVER_CALLED("badabi")

static const coze_plugin_v1 descriptor = {
    .abi_major = 99,
    .abi_minor = 0,
    .struct_size = sizeof(coze_plugin_v1),
    .name = "badabi",
    .version = "1.0",
    .init = never_init,
    .shutdown = never_shutdown,
};

EXPORT const coze_plugin_v1 *coze_plugin_entry_v1(void) { return &descriptor; }
