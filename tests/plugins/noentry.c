/* noentry — a valid shared object without coze_plugin_entry_v1 (an ordinary library). */
#include "never.h"

NEVER_CALLED("noentry")

static const coze_plugin_v1 descriptor = {
    .abi_major = COZE_PLUGIN_ABI_MAJOR,
    .abi_minor = COZE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(coze_plugin_v1),
    .name = "noentry",
    .version = "1.0",
    .init = never_init,
    .shutdown = never_shutdown,
};

/* The right descriptor under the wrong (an older-style, unversioned) name. */
EXPORT const coze_plugin_v1 *coze_plugin_entry(void) { return &descriptor; }
