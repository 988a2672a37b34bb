/* shortdesc — a descriptor whose struct_size is smaller than coze_plugin_v1: refused. */
#include "never.h"

NEVER_CALLED("shortdesc")

static const coze_plugin_v1 descriptor = {
    .abi_major = COZE_PLUGIN_ABI_MAJOR,
    .abi_minor = COZE_PLUGIN_ABI_MINOR,
    .struct_size = 16,
    .name = "shortdesc",
    .version = "1.0",
    .init = never_init,
    .shutdown = never_shutdown,
};

EXPORT const coze_plugin_v1 *coze_plugin_entry_v1(void) { return &descriptor; }
