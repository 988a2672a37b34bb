/*
 * driver — a test plugin that runs turns through the host's table (no HTTP plugin needed).
 *
 * Settings:
 *   Results: file            required; one JSON object per line is appended:
 *                              {"event":"init"} at init,
 *                              {"event":"start","index":i,...} before each turn,
 *                              {"event":"turn","index":i,"mode":...,"status":...,"answer":...} after it,
 *                              {"event":"done","turns":n} (or "stopped") at the end.
 *   Turns: [ {Mode, Key, Conversation, Prompt, TimeoutMs} ... ]
 *            Mode "send" (api->send), "stream" (api->stream_start + stream_wait; the deltas are
 *            joined and recorded too), or "exists" (api->conversation_exists).
 *   StartDelayMs: n          wait before the first turn.
 *   OnShutdown: "finish"     (default) start no new turn, let the current one end;
 *               "cancel"     also cancel the current stream (the host must then wait for the turn).
 *
 * Turns run one after the other on a thread of the plugin's; results are logged with api->log.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "cozebridge_plugin.h"
#include "minijson.h"

typedef struct {
    const char *mode, *key, *conversation, *prompt;
    int timeout_ms;
} turn_spec;

typedef struct {
    const coze_host_api *api;
    const void *token;
    mj_value *settings;
    FILE *results;
    turn_spec *turns;
    size_t count;
    long start_delay_ms;
    int cancel_on_shutdown;
    pthread_t thread;
    pthread_mutex_t lock;
    int stopping;
    coze_stream *active;
} driver;

typedef struct {
    mj_buf deltas;
    char *answer;
    char *completion;
    size_t suggestions;
    size_t images;
    int status;
    char *error;
    int ended;
} stream_result;

static char *copy(const char *text) {
    if (!text) return NULL;
    size_t n = strlen(text) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, text, n);
    return c;
}

static char *failure(const char *format, const char *detail) {
    size_t n = strlen(format) + (detail ? strlen(detail) : 0) + 1;
    char *text = malloc(n);
    if (text) snprintf(text, n, format, detail ? detail : "");
    return text;
}

static void say(driver *d, int level, const char *text) {
    if (COZE_HOST_API_HAS(d->api, log)) d->api->log(d->token, level, text);
}

static void record(driver *d, mj_buf *line) {
    mj_puts(line, "\n");
    if (line->failed) return;
    pthread_mutex_lock(&d->lock);
    fwrite(line->data, 1, line->length, d->results);
    fflush(d->results);
    pthread_mutex_unlock(&d->lock);
}

static void on_delta(const char *text, size_t length, void *userdata) {
    stream_result *r = userdata;
    mj_append(&r->deltas, text, length);
}

static void on_correction(const char *text, size_t length, void *userdata) {
    stream_result *r = userdata;
    r->deltas.length = 0;
    mj_append(&r->deltas, text, length);
}

static void on_image(const coze_image *image, void *userdata) {
    (void)image;
    ((stream_result *)userdata)->images++;
}

static void on_done(const coze_answer *answer, void *userdata) {
    stream_result *r = userdata;
    r->status = COZE_OK;
    r->answer = copy(answer->text);
    r->completion = copy(answer->completion);
    r->suggestions = answer->suggestion_count;
    r->ended++;
}

static void on_error(int status, const char *message, void *userdata) {
    stream_result *r = userdata;
    r->status = status;
    r->error = copy(message ? message : "");
    r->ended++;
}

static int is_stopping(driver *d) {
    pthread_mutex_lock(&d->lock);
    int stopping = d->stopping;
    pthread_mutex_unlock(&d->lock);
    return stopping;
}

static void run_turn(driver *d, size_t index) {
    const turn_spec *t = &d->turns[index];
    const coze_host_api *api = d->api;
    coze_prompt prompt = COZE_PROMPT_INIT;
    prompt.access_key = t->key;
    prompt.conversation = t->conversation;
    prompt.text = t->prompt;

    mj_buf line = { 0 };
    mj_printf(&line, "{\"event\":\"start\",\"index\":%zu,\"mode\":", index);
    mj_quote(&line, t->mode);
    mj_puts(&line, ",\"conversation\":");
    mj_quote(&line, t->conversation);
    mj_puts(&line, "}");
    record(d, &line);
    free(line.data);
    line = (mj_buf){ 0 };

    int status;
    mj_printf(&line, "{\"event\":\"turn\",\"index\":%zu,\"mode\":", index);
    mj_quote(&line, t->mode);
    mj_puts(&line, ",\"key\":");
    mj_quote(&line, t->key);
    mj_puts(&line, ",\"conversation\":");
    mj_quote(&line, t->conversation);
    mj_puts(&line, ",\"prompt\":");
    mj_quote(&line, t->prompt);
    if (strcmp(t->mode, "send") == 0) {
        coze_answer *answer = NULL;
        status = api->send(&answer, api->bridge, &prompt, t->timeout_ms);
        mj_printf(&line, ",\"status\":%d,\"answer\":", status);
        mj_quote(&line, status == COZE_OK && answer ? answer->text : NULL);
        mj_puts(&line, ",\"completion\":");
        mj_quote(&line, status == COZE_OK && answer ? answer->completion : NULL);
        mj_puts(&line, ",\"error\":");
        mj_quote(&line, status == COZE_OK ? NULL : api->last_error());
        if (answer) api->answer_free(answer);
    } else if (strcmp(t->mode, "stream") == 0) {
        stream_result result = { 0 };
        coze_stream_callbacks callbacks = COZE_STREAM_CALLBACKS_INIT;
        callbacks.on_delta = on_delta;
        callbacks.on_correction = on_correction;
        callbacks.on_image = on_image;
        callbacks.on_done = on_done;
        callbacks.on_error = on_error;
        coze_stream *stream = NULL;
        int waited = -1;
        status = api->stream_start(&stream, api->bridge, &prompt, &callbacks, &result);
        if (status == COZE_OK) {
            pthread_mutex_lock(&d->lock);
            d->active = stream;
            if (d->stopping && d->cancel_on_shutdown) api->stream_cancel(stream);
            pthread_mutex_unlock(&d->lock);
            waited = api->stream_wait(stream, 0);
            pthread_mutex_lock(&d->lock);
            d->active = NULL;
            pthread_mutex_unlock(&d->lock);
            api->stream_free(stream);
            status = result.status;
        } else {
            result.error = copy(api->last_error());
        }
        mj_printf(&line, ",\"status\":%d,\"wait_status\":%d,\"callbacks_ended\":%d,\"answer\":", status, waited,
                  result.ended);
        mj_quote(&line, result.answer);
        mj_puts(&line, ",\"deltas\":");
        mj_quote(&line, result.deltas.data ? result.deltas.data : "");
        mj_puts(&line, ",\"completion\":");
        mj_quote(&line, result.completion);
        mj_printf(&line, ",\"suggestions\":%zu,\"images\":%zu,\"error\":", result.suggestions, result.images);
        mj_quote(&line, result.error);
        free(result.deltas.data);
        free(result.answer);
        free(result.completion);
        free(result.error);
    } else if (strcmp(t->mode, "exists") == 0) {
        int exists = -1;
        status = api->conversation_exists(&exists, api->bridge, t->key, t->conversation);
        mj_printf(&line, ",\"status\":%d,\"exists\":%d", status, exists);
    } else {
        status = COZE_EINVAL;
        mj_printf(&line, ",\"status\":%d,\"error\":\"unknown Mode\"", status);
    }
    mj_puts(&line, "}");
    record(d, &line);
    free(line.data);

    char text[256];
    snprintf(text, sizeof text, "driver: turn %zu/%zu (%s, %s): %s", index + 1, d->count, t->mode,
             t->conversation ? t->conversation : "-", api->strerror(status));
    say(d, status == COZE_OK ? COZE_LOG_INFO : COZE_LOG_WARNING, text);
}

static void *run(void *argument) {
    driver *d = argument;
    if (d->start_delay_ms > 0) {
        struct timespec delay = { d->start_delay_ms / 1000, (d->start_delay_ms % 1000) * 1000000L };
        while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {
        }
    }
    size_t done = 0;
    for (; done < d->count && !is_stopping(d); done++) run_turn(d, done);
    mj_buf line = { 0 };
    mj_printf(&line, "{\"event\":\"%s\",\"turns\":%zu}", done == d->count ? "done" : "stopped", done);
    record(d, &line);
    free(line.data);
    say(d, COZE_LOG_INFO, done == d->count ? "driver: all turns done" : "driver: stopped early");
    return NULL;
}

static int driver_init(const coze_host_api *api, const void *token, const char *settings_json, void **state_out,
                       char **error_out) {
    const char *why = NULL;
    mj_value *settings = mj_parse(settings_json, &why);
    if (!settings) {
        *error_out = failure("malformed settings: %s", why);
        return COZE_EINVAL;
    }
    const char *results_path = mj_text(settings, "Results", NULL);
    if (!results_path) {
        mj_release(settings);
        *error_out = failure("Settings.Results (a file) is required%s", NULL);
        return COZE_EINVAL;
    }
    driver *d = calloc(1, sizeof *d);
    if (!d) {
        mj_release(settings);
        return COZE_EINTERNAL;
    }
    d->api = api;
    d->token = token;
    d->settings = settings;
    d->start_delay_ms = (long)mj_number(settings, "StartDelayMs", 0);
    d->cancel_on_shutdown = strcmp(mj_text(settings, "OnShutdown", "finish"), "cancel") == 0;
    pthread_mutex_init(&d->lock, NULL);
    const mj_value *turns = mj_get(settings, "Turns");
    if (turns && turns->type == MJ_ARRAY && turns->count > 0) {
        d->turns = calloc(turns->count, sizeof *d->turns);
        d->count = turns->count;
        for (size_t i = 0; d->turns && i < turns->count; i++) {
            const mj_value *t = &turns->items[i];
            d->turns[i].mode = mj_text(t, "Mode", "send");
            d->turns[i].key = mj_text(t, "Key", NULL);
            d->turns[i].conversation = mj_text(t, "Conversation", NULL);
            d->turns[i].prompt = mj_text(t, "Prompt", NULL);
            d->turns[i].timeout_ms = (int)mj_number(t, "TimeoutMs", 0);
        }
    }
    d->results = fopen(results_path, "a");
    if (!d->results || (d->count > 0 && !d->turns)) {
        *error_out = failure("cannot open Settings.Results %s", results_path);
        if (d->results) fclose(d->results);
        free(d->turns);
        mj_release(settings);
        free(d);
        return COZE_EINVAL;
    }
    mj_buf line = { 0 };
    mj_printf(&line, "{\"event\":\"init\",\"turns\":%zu,\"host_version\":", d->count);
    mj_quote(&line, api->host_version);
    mj_printf(&line, ",\"abi\":\"%u.%u\"}", api->abi_major, api->abi_minor);
    record(d, &line);
    free(line.data);
    if (pthread_create(&d->thread, NULL, run, d) != 0) {
        *error_out = failure("cannot start the driver thread%s", NULL);
        fclose(d->results);
        free(d->turns);
        mj_release(settings);
        free(d);
        return COZE_EINTERNAL;
    }
    *state_out = d;
    return COZE_OK;
}

static void driver_shutdown(void *state) {
    driver *d = state;
    if (!d) return;
    pthread_mutex_lock(&d->lock);
    d->stopping = 1;
    if (d->active && d->cancel_on_shutdown) d->api->stream_cancel(d->active);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    mj_buf line = { 0 };
    mj_puts(&line, "{\"event\":\"shutdown\"}");
    record(d, &line);
    free(line.data);
    fclose(d->results);
    free(d->turns);
    mj_release(d->settings);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static const coze_plugin_v1 descriptor = {
    .abi_major = COZE_PLUGIN_ABI_MAJOR,
    .abi_minor = COZE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(coze_plugin_v1),
    .name = "driver",
    .version = "1.0",
    .init = driver_init,
    .shutdown = driver_shutdown,
};

__attribute__((visibility("default"))) const coze_plugin_v1 *coze_plugin_entry_v1(void) { return &descriptor; }
