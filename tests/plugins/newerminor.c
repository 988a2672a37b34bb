/* newerminor — a plugin that needs ABI 1.99, newer than the host's: refused without calling init. */
#include "never.h"

NEVER_CALLED("newerminor")

static const coze_plugin_v1 descriptor = {
    .abi_major = COZE_PLUGIN_ABI_MAJOR,
    .abi_minor = 99,
    .struct_size = sizeof(coze_plugin_v1),
    .name = "newerminor",
    .version = "1.0",
    .init = never_init,
    .shutdown = never_shutdown,
};

EXPORT const coze_plugin_v1 *coze_plugin_entry_v1(void) { return &descriptor; }
