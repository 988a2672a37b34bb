/* nulldesc — exports the entry symbol, but it returns no descriptor. */
#include "never.h"

EXPORT const coze_plugin_v1 *coze_plugin_entry_v1(void) { return NULL; }
