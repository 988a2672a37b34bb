/*
 * turnlog — a cozebridge plugin in plain C: appends one line per completed turn to a file.
 *
 * Config.yml:
 *
 *     Plugins:
 *       - Name: turnlog
 *         Settings:
 *           Path: /var/log/cozebridge/turns.log   # required
 *           Format: text                          # "text" (default) or "jsonl"
 *
 * It registers a turn observer (coze_host_api.add_turn_observer), so it sees every turn any plugin
 * runs through the host's table, with its access key, conversation, prompt, and answer or error.
 * Each line is written whole and flushed before the observer returns.
 *
 * Build (see README.md):
 *     cc -std=c11 -Wall -Wextra -Werror -fPIC -shared -I include \
 *        -Wl,--version-script=plugins-example/turnlog/exports.map \
 *        -o libcozebridge-turnlog.so plugins-example/turnlog/turnlog.c
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cozebridge_plugin.h"

#define TURNLOG_VERSION "0.1.0"

enum turnlog_format { TURNLOG_TEXT, TURNLOG_JSONL };

/*
 * The plugin's one state. Static on purpose: the ABI has no way to remove a turn observer, so the
 * host may call ours after shutdown() (for turns that end while it stops). The state must outlive
 * shutdown; with the file closed, the observer simply drops the turn.
 */
static struct turnlog {
    pthread_mutex_t lock;
    int running;            /* between a successful init and shutdown */
    const coze_host_api *api;
    const void *token;
    FILE *file;
    char *path;
    enum turnlog_format format;
    int write_failed;       /* a write error was logged already (logged once, not per turn) */
} turnlog_state = { PTHREAD_MUTEX_INITIALIZER, 0, NULL, NULL, NULL, NULL, TURNLOG_TEXT, 0 };

/* ---------------------------------------------------------------------------------------------
 * Small helpers: a growable string, messages
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t length;
    size_t capacity;
    int failed; /* out of memory: the content is incomplete */
} strbuf;

static void sb_reserve(strbuf *b, size_t extra) {
    if (b->failed) return;
    if (b->length + extra + 1 <= b->capacity) return;
    size_t capacity = b->capacity ? b->capacity : 256;
    while (capacity < b->length + extra + 1) capacity *= 2;
    char *data = realloc(b->data, capacity);
    if (!data) {
        b->failed = 1;
        return;
    }
    b->data = data;
    b->capacity = capacity;
}

static void sb_append(strbuf *b, const char *text, size_t length) {
    sb_reserve(b, length);
    if (b->failed) return;
    memcpy(b->data + b->length, text, length);
    b->length += length;
    b->data[b->length] = '\0';
}

static void sb_puts(strbuf *b, const char *text) { sb_append(b, text, strlen(text)); }

static void sb_printf(strbuf *b, const char *format, ...) {
    char small[128];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        sb_append(b, small, (size_t)n);
        return;
    }
    sb_reserve(b, (size_t)n);
    if (b->failed) return;
    va_start(args, format);
    vsnprintf(b->data + b->length, (size_t)n + 1, format, args);
    va_end(args);
    b->length += (size_t)n;
}

/*
 * `text` as a JSON string literal (quotes included); NULL becomes `null`. UTF-8 passes through,
 * except the characters some line readers also split on (U+0085, U+2028, U+2029), escaped so that
 * one turn stays one line for them too.
 */
static void sb_json_string(strbuf *b, const char *text) {
    if (!text) {
        sb_puts(b, "null");
        return;
    }
    sb_puts(b, "\"");
    const char *run = text;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        const char *escape = NULL;
        char unicode[8];
        switch (*p) {
        case '"': escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(unicode, sizeof unicode, "\\u%04x", *p);
                escape = unicode;
            }
        }
        size_t width = 1;
        if (!escape && p[0] == 0xC2 && p[1] == 0x85) {
            escape = "\\u0085";
            width = 2;
        } else if (!escape && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
            escape = p[2] == 0xA8 ? "\\u2028" : "\\u2029";
            width = 3;
        }
        if (escape) {
            sb_append(b, run, (size_t)((const char *)p - run));
            sb_puts(b, escape);
            p += width - 1;
            run = (const char *)p + 1;
        }
    }
    sb_puts(b, run);
    sb_puts(b, "\"");
}

/* A malloc'ed copy of a formatted message (for init's error_out, which the host free()s). */
static char *message(const char *format, ...) {
    va_list args;
    va_start(args, format);
    int n = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (n < 0) return NULL;
    char *text = malloc((size_t)n + 1);
    if (!text) return NULL;
    va_start(args, format);
    vsnprintf(text, (size_t)n + 1, format, args);
    va_end(args);
    return text;
}

static void host_log(int level, const char *text) {
    const coze_host_api *api = turnlog_state.api;
    if (api && COZE_HOST_API_HAS(api, log)) api->log(turnlog_state.token, level, text);
}

/* ---------------------------------------------------------------------------------------------
 * Settings: the top-level text members of a JSON object
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const char *p;
    const char *error; /* static text; set on the first syntax error */
} json_reader;

static void json_space(json_reader *r) {
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r') r->p++;
}

static int json_fail(json_reader *r, const char *why) {
    if (!r->error) r->error = why;
    return 0;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int json_hex4(json_reader *r, uint32_t *out) {
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) {
        int digit = hex_value(r->p[i]);
        if (digit < 0) return json_fail(r, "a bad \\u escape");
        value = value * 16 + (uint32_t)digit;
    }
    r->p += 4;
    *out = value;
    return 1;
}

static void utf8_append(strbuf *b, uint32_t cp) {
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sb_append(b, out, n);
}

/* Reads a string at r->p (which is '"'); decodes it into `out` when `out` is not NULL. */
static int json_string(json_reader *r, strbuf *out) {
    r->p++; /* the opening quote */
    for (;;) {
        unsigned char c = (unsigned char)*r->p;
        if (c == '\0') return json_fail(r, "an unterminated string");
        if (c == '"') {
            r->p++;
            return 1;
        }
        if (c < 0x20) return json_fail(r, "a control character in a string");
        if (c != '\\') {
            if (out) sb_append(out, r->p, 1);
            r->p++;
            continue;
        }
        r->p++;
        char e = *r->p++;
        const char *plain = NULL;
        switch (e) {
        case '"': plain = "\""; break;
        case '\\': plain = "\\"; break;
        case '/': plain = "/"; break;
        case 'b': plain = "\b"; break;
        case 'f': plain = "\f"; break;
        case 'n': plain = "\n"; break;
        case 'r': plain = "\r"; break;
        case 't': plain = "\t"; break;
        case 'u': {
            uint32_t cp;
            if (!json_hex4(r, &cp)) return 0;
            if (cp >= 0xD800 && cp <= 0xDBFF && r->p[0] == '\\' && r->p[1] == 'u') {
                uint32_t low;
                r->p += 2;
                if (!json_hex4(r, &low)) return 0;
                if (low < 0xDC00 || low > 0xDFFF) return json_fail(r, "a broken surrogate pair");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                return json_fail(r, "a lone surrogate");
            }
            if (out) utf8_append(out, cp);
            continue;
        }
        default: return json_fail(r, "a bad escape in a string");
        }
        if (out) sb_puts(out, plain);
    }
}

/* Skips any value; nesting is bounded so that a hostile file cannot exhaust the stack. */
static int json_skip(json_reader *r, int depth) {
    json_space(r);
    if (depth > 64) return json_fail(r, "nesting too deep");
    char c = *r->p;
    if (c == '"') return json_string(r, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        r->p++;
        json_space(r);
        if (*r->p == close) {
            r->p++;
            return 1;
        }
        for (;;) {
            if (c == '{') {
                json_space(r);
                if (*r->p != '"') return json_fail(r, "an object key that is not a string");
                if (!json_string(r, NULL)) return 0;
                json_space(r);
                if (*r->p++ != ':') return json_fail(r, "a missing ':'");
            }
            if (!json_skip(r, depth + 1)) return 0;
            json_space(r);
            if (*r->p == ',') {
                r->p++;
                continue;
            }
            if (*r->p == close) {
                r->p++;
                return 1;
            }
            return json_fail(r, "a missing ',' or closing bracket");
        }
    }
    /* number, true, false, null: a run of their characters */
    const char *start = r->p;
    while (*r->p && strchr("0123456789+-.eEtruefalsn", *r->p)) r->p++;
    return r->p > start ? 1 : json_fail(r, "an unexpected character");
}

enum setting_result { SETTING_ABSENT, SETTING_TEXT, SETTING_NOT_TEXT, SETTING_MALFORMED };

/*
 * Looks up the top-level member `key` of the JSON object `json`. On SETTING_TEXT, `*value` is a
 * malloc'ed copy of its text (JSON null counts as absent, as in Config.yml). On SETTING_MALFORMED,
 * `*why` says what is wrong.
 */
static enum setting_result setting_text(const char *json, const char *key, char **value, const char **why) {
    json_reader r = { json ? json : "{}", NULL };
    enum setting_result result = SETTING_ABSENT;
    *value = NULL;
    json_space(&r);
    if (*r.p != '{') {
        *why = "the settings are not a JSON object";
        return SETTING_MALFORMED;
    }
    r.p++;
    json_space(&r);
    if (*r.p == '}') return SETTING_ABSENT;
    for (;;) {
        json_space(&r);
        if (*r.p != '"') {
            json_fail(&r, "an object key that is not a string");
            break;
        }
        strbuf name = { 0 };
        if (!json_string(&r, &name)) {
            free(name.data);
            break;
        }
        int match = !name.failed && name.data && strcmp(name.data, key) == 0;
        free(name.data);
        json_space(&r);
        if (*r.p++ != ':') {
            json_fail(&r, "a missing ':'");
            break;
        }
        json_space(&r);
        if (match && *r.p == '"') {
            strbuf text = { 0 };
            if (!json_string(&r, &text)) {
                free(text.data);
                break;
            }
            if (text.failed) {
                free(text.data);
                json_fail(&r, "out of memory");
                break;
            }
            free(*value);
            *value = text.data ? text.data : calloc(1, 1);
            result = SETTING_TEXT;
        } else if (match && strncmp(r.p, "null", 4) == 0) {
            r.p += 4;
            free(*value);
            *value = NULL;
            result = SETTING_ABSENT;
        } else {
            if (!json_skip(&r, 1)) break;
            if (match) {
                free(*value);
                *value = NULL;
                result = SETTING_NOT_TEXT;
            }
        }
        json_space(&r);
        if (*r.p == ',') {
            r.p++;
            continue;
        }
        if (*r.p == '}') return result;
        json_fail(&r, "a missing ',' or '}'");
        break;
    }
    free(*value);
    *value = NULL;
    *why = r.error ? r.error : "malformed JSON";
    return SETTING_MALFORMED;
}

/* ---------------------------------------------------------------------------------------------
 * The observer
 * ------------------------------------------------------------------------------------------- */

/* "COZE_ENOKEY" for COZE_ENOKEY: the name part of the host's coze_strerror() text. */
static void status_name(const coze_host_api *api, int status, char *out, size_t size) {
    const char *text = COZE_HOST_API_HAS(api, strerror) ? api->strerror(status) : NULL;
    size_t n = 0;
    if (text && strncmp(text, "COZE_", 5) == 0) {
        while (text[n] && text[n] != ':' && text[n] != ' ' && n + 1 < size) n++;
    }
    if (n > 0) {
        memcpy(out, text, n);
        out[n] = '\0';
    } else if (status == COZE_OK) {
        snprintf(out, size, "COZE_OK");
    } else {
        snprintf(out, size, "status_%d", status);
    }
}

/* Now as an ISO 8601 UTC timestamp with milliseconds. */
static void timestamp(char *out, size_t size) {
    struct timespec now;
    struct tm utc;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &utc);
    char seconds[32];
    strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf(out, size, "%s.%03ldZ", seconds, now.tv_nsec / 1000000L);
}

static void format_line(strbuf *line, const coze_turn_record *turn, enum turnlog_format format) {
    const coze_host_api *api = turnlog_state.api;
    char when[48], name[48];
    timestamp(when, sizeof when);
    status_name(api, turn->status, name, sizeof name);
    /* Fields appended to the record after the first version are read only when present. */
    long long duration = turn->struct_size >= offsetof(coze_turn_record, duration_ms) + sizeof(int64_t)
                             ? (long long)turn->duration_ms
                             : -1;
    int ok = turn->status == COZE_OK;
    if (format == TURNLOG_JSONL) {
        sb_puts(line, "{\"time\":");
        sb_json_string(line, when);
        sb_puts(line, ",\"access_key\":");
        sb_json_string(line, turn->access_key ? turn->access_key : "");
        sb_puts(line, ",\"conversation\":");
        sb_json_string(line, turn->conversation ? turn->conversation : "");
        sb_puts(line, ",\"prompt\":");
        sb_json_string(line, turn->prompt ? turn->prompt : "");
        sb_printf(line, ",\"status\":%d,\"status_name\":", turn->status);
        sb_json_string(line, name);
        sb_puts(line, ",\"answer\":");
        sb_json_string(line, ok ? (turn->answer ? turn->answer : "") : NULL);
        sb_puts(line, ",\"error\":");
        sb_json_string(line, ok ? NULL : (turn->error ? turn->error : ""));
        sb_printf(line, ",\"duration_ms\":%lld}\n", duration);
    } else {
        /* logfmt: key=value, text values quoted as JSON strings (so a line never breaks). */
        sb_printf(line, "time=%s status=%s code=%d duration_ms=%lld key=", when, name, turn->status, duration);
        sb_json_string(line, turn->access_key ? turn->access_key : "");
        sb_puts(line, " conversation=");
        sb_json_string(line, turn->conversation ? turn->conversation : "");
        sb_puts(line, " prompt=");
        sb_json_string(line, turn->prompt ? turn->prompt : "");
        sb_puts(line, ok ? " answer=" : " error=");
        sb_json_string(line, ok ? (turn->answer ? turn->answer : "") : (turn->error ? turn->error : ""));
        sb_puts(line, "\n");
    }
}

static void on_turn(const coze_turn_record *turn, void *userdata) {
    struct turnlog *state = userdata;
    if (!turn || state != &turnlog_state) return;
    strbuf line = { 0 };
    const char *problem = NULL;
    char reason[256] = "";
    char text[768] = "";

    pthread_mutex_lock(&state->lock);
    if (state->running && state->file) {
        format_line(&line, turn, state->format);
        if (line.failed) {
            problem = "out of memory formatting a turn";
        } else if (fwrite(line.data, 1, line.length, state->file) != line.length || fflush(state->file) != 0) {
            problem = "cannot write";
            snprintf(reason, sizeof reason, "%s", strerror(errno));
            clearerr(state->file);
        } else {
            state->write_failed = 0;
        }
        if (problem && state->write_failed) problem = NULL; /* already reported; stay quiet */
        if (problem) {
            state->write_failed = 1;
            snprintf(text, sizeof text, "turnlog: %s %s%s%s (turns are dropped until a write succeeds)", problem,
                     state->path ? state->path : "", reason[0] ? ": " : "", reason);
        }
    }
    pthread_mutex_unlock(&state->lock);
    free(line.data);
    if (problem) host_log(COZE_LOG_ERROR, text);
}

/* ---------------------------------------------------------------------------------------------
 * init / shutdown / entry
 * ------------------------------------------------------------------------------------------- */

static int turnlog_init(const coze_host_api *api, const void *plugin_token, const char *settings_json,
                        void **state_out, char **error_out) {
    if (!api || api->abi_major != COZE_PLUGIN_ABI_MAJOR) {
        *error_out = message("turnlog needs plugin ABI %d (the host offers %u)", COZE_PLUGIN_ABI_MAJOR,
                             api ? api->abi_major : 0u);
        return COZE_EINVAL;
    }
    if (!COZE_HOST_API_HAS(api, add_turn_observer)) {
        *error_out = message("this host has no add_turn_observer (its table is %zu bytes); turnlog needs a newer host",
                             api->struct_size);
        return COZE_EINVAL;
    }

    char *path = NULL, *format_text = NULL;
    const char *why = NULL;
    enum setting_result found = setting_text(settings_json, "Path", &path, &why);
    if (found == SETTING_TEXT && path[0] == '\0') {
        free(path);
        path = NULL;
        found = SETTING_ABSENT;
    }
    switch (found) {
    case SETTING_TEXT:
        break;
    case SETTING_ABSENT:
        *error_out = message("Settings.Path is required: the file turnlog appends to "
                             "(e.g. `Settings: {Path: /var/log/cozebridge/turns.log}`)");
        return COZE_EINVAL;
    case SETTING_NOT_TEXT:
        *error_out = message("Settings.Path must be a text (a file path)");
        return COZE_EINVAL;
    case SETTING_MALFORMED:
        *error_out = message("cannot read the settings: %s", why);
        return COZE_EINVAL;
    }

    enum turnlog_format format = TURNLOG_TEXT;
    found = setting_text(settings_json, "Format", &format_text, &why);
    if (found == SETTING_TEXT && strcmp(format_text, "jsonl") == 0) {
        format = TURNLOG_JSONL;
    } else if (found == SETTING_MALFORMED) {
        *error_out = message("cannot read the settings: %s", why);
        free(path);
        return COZE_EINVAL;
    } else if (found == SETTING_NOT_TEXT || (found == SETTING_TEXT && strcmp(format_text, "text") != 0)) {
        *error_out = message("Settings.Format must be \"text\" or \"jsonl\"%s%s%s", format_text ? ", not \"" : "",
                             format_text ? format_text : "", format_text ? "\"" : "");
        free(format_text);
        free(path);
        return COZE_EINVAL;
    }
    free(format_text);

    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    FILE *file = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!file) {
        int error = errno;
        if (fd >= 0) close(fd);
        *error_out = message("cannot open Settings.Path %s for appending: %s", path, strerror(error));
        free(path);
        return COZE_EINVAL;
    }

    pthread_mutex_lock(&turnlog_state.lock);
    if (turnlog_state.running) {
        pthread_mutex_unlock(&turnlog_state.lock);
        fclose(file);
        free(path);
        *error_out = message("turnlog is already running in this process");
        return COZE_EEXISTS;
    }
    free(turnlog_state.path);
    turnlog_state.api = api;
    turnlog_state.token = plugin_token;
    turnlog_state.file = file;
    turnlog_state.path = path;
    turnlog_state.format = format;
    turnlog_state.write_failed = 0;
    turnlog_state.running = 1;
    pthread_mutex_unlock(&turnlog_state.lock);

    int status = api->add_turn_observer(plugin_token, on_turn, &turnlog_state);
    if (status != COZE_OK) {
        pthread_mutex_lock(&turnlog_state.lock);
        turnlog_state.running = 0;
        fclose(turnlog_state.file);
        turnlog_state.file = NULL;
        pthread_mutex_unlock(&turnlog_state.lock);
        *error_out = message("add_turn_observer failed with status %d", status);
        return status;
    }

    char text[512];
    snprintf(text, sizeof text, "turnlog: appending completed turns to %s (%s)", path,
             format == TURNLOG_JSONL ? "jsonl" : "text");
    host_log(COZE_LOG_INFO, text);
    *state_out = &turnlog_state;
    return COZE_OK;
}

static void turnlog_shutdown(void *state) {
    struct turnlog *s = state;
    if (s != &turnlog_state) return;
    pthread_mutex_lock(&s->lock);
    s->running = 0;
    if (s->file) {
        fclose(s->file);
        s->file = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    /* s->path stays: on_turn may still name it in a message; it is freed by a next init. */
}

static const coze_plugin_v1 turnlog_descriptor = {
    .abi_major = COZE_PLUGIN_ABI_MAJOR,
    .abi_minor = COZE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(coze_plugin_v1),
    .name = "turnlog",
    .version = TURNLOG_VERSION,
    .build_fingerprint = NULL,
    .init = turnlog_init,
    .shutdown = turnlog_shutdown,
    .reserved = { NULL, NULL, NULL, NULL },
};

__attribute__((visibility("default"))) const coze_plugin_v1 *coze_plugin_entry_v1(void) {
    return &turnlog_descriptor;
}
