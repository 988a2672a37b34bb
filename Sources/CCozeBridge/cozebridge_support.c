/*
 * The parts of libcozebridge that are plain C: status names, the thread-local last error, and the
 * free functions. Everything they free was allocated with malloc/strdup by the Swift half, so the
 * two halves agree on one allocator without exposing it.
 */
#include "cozebridge_internal.h"

#include <stdlib.h>
#include <string.h>

static _Thread_local char *last_error_message;
static _Thread_local int last_error_status;
static _Thread_local const void *callback_bridge;
static _Thread_local const void *callback_stream;
static _Thread_local int in_direct_callback;

void czb_set_last_error(int status, const char *message) {
    free(last_error_message);
    last_error_message = (message && *message) ? strdup(message) : NULL;
    last_error_status = status;
}

const char *coze_last_error(void) { return last_error_message ? last_error_message : ""; }

int coze_last_error_code(void) { return last_error_status; }

void czb_set_callback_context(const void *bridge, const void *stream) {
    callback_bridge = bridge;
    callback_stream = stream;
}

const void *czb_callback_bridge(void) { return callback_bridge; }

const void *czb_callback_stream(void) { return callback_stream; }

int czb_set_direct_callback(int direct) {
    int previous = in_direct_callback;
    in_direct_callback = direct;
    return previous;
}

int czb_in_direct_callback(void) { return in_direct_callback; }

const char *coze_strerror(int status) {
    switch (status) {
    case COZE_OK: return "COZE_OK: success";
    case COZE_EINVAL: return "COZE_EINVAL: invalid argument";
    case COZE_ECONFIG: return "COZE_ECONFIG: configuration refused";
    case COZE_ENOKEY: return "COZE_ENOKEY: unknown access key";
    case COZE_ENOTFOUND: return "COZE_ENOTFOUND: no such conversation";
    case COZE_EEXISTS: return "COZE_EEXISTS: conversation exists";
    case COZE_EUNAVAILABLE: return "COZE_EUNAVAILABLE: no bot available";
    case COZE_EPROMPT: return "COZE_EPROMPT: prompt cannot be sent";
    case COZE_EDISCORD: return "COZE_EDISCORD: Discord refused a request";
    case COZE_ENOREPLY: return "COZE_ENOREPLY: Coze did not reply";
    case COZE_EQUOTA: return "COZE_EQUOTA: Coze quota exhausted";
    case COZE_ECOZE: return "COZE_ECOZE: Coze reported an error";
    case COZE_ETIMEOUT: return "COZE_ETIMEOUT: timed out";
    case COZE_EGONE: return "COZE_EGONE: message or channel deleted";
    case COZE_ECANCELLED: return "COZE_ECANCELLED: cancelled";
    case COZE_ESTORE: return "COZE_ESTORE: conversation store failed";
    case COZE_ECLOSED: return "COZE_ECLOSED: bridge is closing";
    case COZE_EREENTRANT: return "COZE_EREENTRANT: not allowed from this callback";
    case COZE_EINTERNAL: return "COZE_EINTERNAL: internal error";
    default: return "unknown status";
    }
}

void coze_free(void *pointer) { free(pointer); }

void czb_image_free_members(coze_image *image) {
    free((void *)image->url);
    free((void *)image->source);
    free((void *)image->filename);
    free((void *)image->content_type);
}

void czb_answer_free_members(coze_answer *answer) {
    free((void *)answer->text);
    for (size_t i = 0; i < answer->image_count; i++) czb_image_free_members((coze_image *)&answer->images[i]);
    free((void *)answer->images);
    for (size_t i = 0; i < answer->suggestion_count; i++) free((void *)answer->suggestions[i]);
    free((void *)answer->suggestions);
    free((void *)answer->completion);
}

void coze_answer_free(coze_answer *answer) {
    if (!answer) return;
    czb_answer_free_members(answer);
    free(answer);
}

void coze_conversation_list_free(coze_conversation_list *list) {
    if (!list) return;
    for (size_t i = 0; i < list->count; i++) {
        const coze_conversation *item = &list->items[i];
        free((void *)item->name);
        free((void *)item->channel_id);
        free((void *)item->guild_id);
        free((void *)item->kind);
        free((void *)item->bot);
    }
    free((void *)list->items);
    free(list);
}

void coze_keepalive_report_free(coze_keepalive_report *report) {
    if (!report) return;
    for (size_t i = 0; i < report->count; i++) {
        const coze_keepalive_result *item = &report->items[i];
        free((void *)item->access_key);
        free((void *)item->bot);
        free((void *)item->conversation);
        free((void *)item->message);
    }
    free((void *)report->items);
    free(report);
}

void coze_bot_status_list_free(coze_bot_status_list *list) {
    if (!list) return;
    for (size_t i = 0; i < list->count; i++) {
        const coze_bot_status *item = &list->items[i];
        free((void *)item->access_key);
        free((void *)item->identity);
        free((void *)item->sender_mode);
        free((void *)item->detail);
    }
    free((void *)list->items);
    free(list);
}
