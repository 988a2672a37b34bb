/* dup — a second plugin named "driver": loaded after the driver test plugin, the host refuses it. */
#include "never.h"

NEVER_CALLED("dup")

static const coze_plugin_v1 descriptor = {
    .abi_major = COZE_PLUGIN_ABI_MAJOR,
    .abi_minor = COZE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(coze_plugin_v1),
    .name = "driver",
    .version = "2.0-dup",
    .init = never_init,
    .shutdown = never_shutdown,
};

EXPORT const coze_plugin_v1 *coze_plugin_entry_v1(void) { return &descriptor; }
