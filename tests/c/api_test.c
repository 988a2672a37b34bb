/*
 * api_test — exercises every function of cozebridge.h against the Discord emulator.
 *
 *     api_test CONFIG.yml
 *
 * CONFIG.yml has one bot with access key "k" pointed at the emulator (tests/c/run-api-test writes
 * it, with `generate_timeout: 3000` and `Keepalive_sendChannel: keepalive`). The emulator's Coze
 * bot should answer fast (start_delay_ms 50, edit_interval_ms 50, 4 chunks, rate limits off).
 *
 * Environment (all optional):
 *   API_TEST_TIMEOUT_MS  how long any single wait may take (default 60000, enough under valgrind)
 *   API_TEST_BLOCK_MS    how long the blocking callback sleeps (default 2000)
 *   API_TEST_GUILD_ID    the emulator's guild id; when set, conversations must report it
 *   API_TEST_EXIT_SLEEP_MS  sleep this long before exiting (diagnostic for valgrind leak reports)
 *
 * Prints one line per check; the first failed check prints file:line and exits with status 1.
 * Checks only run on the main thread: callbacks just record what happened, under a mutex.
 */
#define _GNU_SOURCE /* pthread_getname_np */

#include "cozebridge.h"

#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------------------------- */

static int checks_passed;
/* The coze_last_error() / coze_last_error_code() right after the latest CHECK_RC's call. */
static char last_err[4096];
static int last_code;

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

static void pass(const char *file, int line, const char *format, ...) PRINTF_LIKE(3, 4);
static _Noreturn void fail(const char *file, int line, const char *expression, const char *format, ...)
    PRINTF_LIKE(4, 5);
static void check_rc(const char *file, int line, const char *call, int rc, int expected, int check_last_error,
                     const char *format, ...) PRINTF_LIKE(7, 8);

/* Prints `format` with newlines, tabs and carriage returns escaped: one check, one line. */
static void vprint_one_line(const char *format, va_list args) {
    char text[8192];
    vsnprintf(text, sizeof text, format, args);
    for (const char *p = text; *p; p++) {
        if (*p == '\n') fputs("\\n", stdout);
        else if (*p == '\r') fputs("\\r", stdout);
        else if (*p == '\t') fputs("\\t", stdout);
        else putchar(*p);
    }
}

static void pass(const char *file, int line, const char *format, ...) {
    va_list args;
    va_start(args, format);
    printf("ok %3d  %s:%d  ", ++checks_passed, file, line);
    vprint_one_line(format, args);
    printf("\n");
    fflush(stdout);
    va_end(args);
}

static _Noreturn void fail(const char *file, int line, const char *expression, const char *format, ...) {
    va_list args;
    va_start(args, format);
    fflush(stdout);
    printf("FAIL    %s:%d  %s  (", file, line, expression);
    vprint_one_line(format, args);
    printf(")\n");
    va_end(args);
    printf("        last CHECK_RC error: [%d] %s\n", last_code, last_err);
    printf("%d checks passed before this failure\n", checks_passed);
    fflush(stdout);
    exit(1);
}

/* CHECK(condition, "what is checked", ...) */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) pass(__FILE__, __LINE__, __VA_ARGS__);                                           \
        else fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                         \
    } while (0)

/*
 * CHECK_RC(call, expected, "what"): the status of `call` is `expected`, and coze_last_error() /
 * coze_last_error_code() agree: "" and COZE_OK after a success, a sentence and the same code after
 * a failure. The error is kept in last_err / last_code for later checks.
 */
#define CHECK_RC(call, expected, ...)                                                              \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        snprintf(last_err, sizeof last_err, "%s", coze_last_error());                             \
        last_code = coze_last_error_code();                                                        \
        check_rc(__FILE__, __LINE__, #call, rc_, (expected), 1, __VA_ARGS__);                      \
    } while (0)

/* As CHECK_RC, for statuses that are outcomes rather than failures of the call (coze_stream_wait). */
#define CHECK_STATUS(call, expected, ...)                                                          \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        snprintf(last_err, sizeof last_err, "%s", coze_last_error());                             \
        last_code = coze_last_error_code();                                                        \
        check_rc(__FILE__, __LINE__, #call, rc_, (expected), 0, __VA_ARGS__);                      \
    } while (0)

static void check_rc(const char *file, int line, const char *call, int rc, int expected,
                     int check_last_error, const char *format, ...) {
    char what[512];
    va_list args;
    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    if (rc != expected)
        fail(file, line, call, "%s: returned %d (%s), expected %d (%s); coze_last_error: \"%s\"", what, rc,
             coze_strerror(rc), expected, coze_strerror(expected), last_err);
    if (check_last_error) {
        if (rc == COZE_OK && (last_err[0] != '\0' || last_code != COZE_OK))
            fail(file, line, call, "%s: succeeded but coze_last_error is [%d] \"%s\", expected [0] \"\"", what,
                 last_code, last_err);
        if (rc != COZE_OK && (last_err[0] == '\0' || last_code != rc))
            fail(file, line, call, "%s: failed with %d but coze_last_error is [%d] \"%s\"", what, rc, last_code,
                 last_err);
    }
    if (rc == COZE_OK) pass(file, line, "%s -> COZE_OK", what);
    else pass(file, line, "%s -> %s (\"%.160s\")", what, coze_strerror(rc), last_err);
}

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

static int timeout_ms = 60000;
static int block_ms = 2000;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int matches(const char *text, const char *pattern) {
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "bad regex %s\n", pattern);
        exit(2);
    }
    int found = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return found;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t capacity = 4096, length = 0;
    char *text = malloc(capacity);
    size_t n;
    while (text && (n = fread(text + length, 1, capacity - length - 1, f)) > 0) {
        length += n;
        if (capacity - length < 2) {
            char *bigger = realloc(text, capacity *= 2);
            if (!bigger) { free(text); text = NULL; }
            else text = bigger;
        }
    }
    fclose(f);
    if (text) text[length] = '\0';
    return text;
}

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t length = strlen(text);
    int ok = fwrite(text, 1, length, f) == length;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static const char *starts_with_after_space(const char *s) {
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') s++;
    return s;
}

static int all_digits(const char *s) {
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * A stream's recorder: the callbacks write here under `mutex`; main reads after coze_stream_wait.
 * ------------------------------------------------------------------------------------------- */

typedef struct recorder {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    coze_bridge *bridge;
    coze_stream *stream; /* set by main right after coze_stream_start */
    int have_stream;

    /* d delta, c correction, i image, s suggestions, D done, E error, F userdata_free */
    char events[512];
    size_t event_count;
    atomic_int active;     /* callbacks of this stream running now */
    int overlapping;       /* a callback started while another of this stream ran */
    int on_event_loop;     /* callbacks run on a SwiftNIO event-loop thread ("NIO-ELT-…", "NIO-SGLTN-…") */
    int after_free;        /* callbacks after userdata_free */
    int bad_delta;         /* a delta with length 0 or not NUL-terminated at `length` */

    char *deltas; /* every delta, concatenated */
    size_t deltas_length;
    char *shown; /* what a UI shows: deltas appended, corrections replacing */
    size_t shown_length;

    size_t suggestion_count;
    int suggestions_ok; /* every suggestion a non-empty string */

    size_t image_callbacks;
    char image_url[1024], image_source[32], image_filename[256], image_content_type[64];
    int image_width, image_height;

    int done;
    char *done_text;
    size_t done_text_length, done_suggestion_count, done_image_count;
    char done_completion[32];

    int error_status;
    char error_message[2048];

    int frees;
    double t_start, t_first_delta, t_first_delta_returned, t_done, t_end;

    /* What the first on_delta does. */
    int cancel_in_first_delta;
    int cancel_rc;
    int reenter_in_first_delta;
    int reentrant_wait_rc, reentrant_wait_code, reentrant_destroy_rc, reentrant_destroy_code;
    int reentrant_exists_rc, reentrant_exists_value;
    int block_ms_in_first_delta;
    int blocking_calls_in_first_delta; /* try coze_send and coze_conversation_create there */
    int blocking_send_rc, blocking_send_code, blocking_create_rc;
    char blocking_send_message[512];
    int in_first_delta; /* 1 while the first on_delta runs, 2 after it returned */

    /* How the stream is started. */
    int direct;          /* callbacks.flags = COZE_STREAM_DIRECT */
    int old_struct_size; /* struct_size of a caller compiled before `flags` existed */
} recorder;

static recorder *recorder_new(coze_bridge *bridge) {
    recorder *r = calloc(1, sizeof *r);
    if (!r) abort();
    pthread_mutex_init(&r->mutex, NULL);
    pthread_cond_init(&r->changed, NULL);
    r->bridge = bridge;
    r->error_status = -1;
    r->cancel_rc = -1;
    r->reentrant_wait_rc = r->reentrant_destroy_rc = r->reentrant_exists_rc = -1;
    r->blocking_send_rc = r->blocking_create_rc = -1;
    return r;
}

static void recorder_free(recorder *r) {
    if (!r) return;
    pthread_mutex_destroy(&r->mutex);
    pthread_cond_destroy(&r->changed);
    free(r->deltas);
    free(r->shown);
    free(r->done_text);
    free(r);
}

static void append(char **buffer, size_t *length, const char *text, size_t n) {
    char *bigger = realloc(*buffer, *length + n + 1);
    if (!bigger) abort();
    memcpy(bigger + *length, text, n);
    *length += n;
    bigger[*length] = '\0';
    *buffer = bigger;
}

/* Called at the start of every callback: records the event, detects overlaps and late calls. */
static void enter(recorder *r, char event) {
    if (atomic_fetch_add(&r->active, 1) != 0) {
        pthread_mutex_lock(&r->mutex);
        r->overlapping++;
        pthread_mutex_unlock(&r->mutex);
    }
    char thread_name[32] = "";
    pthread_getname_np(pthread_self(), thread_name, sizeof thread_name);
    pthread_mutex_lock(&r->mutex);
    if (strncmp(thread_name, "NIO-", 4) == 0) r->on_event_loop++; /* NIO-ELT-…, NIO-SGLTN-… */
    if (r->frees > 0) r->after_free++;
    if (r->event_count + 1 < sizeof r->events) r->events[r->event_count++] = event;
    pthread_mutex_unlock(&r->mutex);
}

static void leave(recorder *r) {
    atomic_fetch_sub(&r->active, 1);
    pthread_mutex_lock(&r->mutex);
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mutex);
}

static coze_stream *wait_for_handle(recorder *r) {
    pthread_mutex_lock(&r->mutex);
    while (!r->have_stream) pthread_cond_wait(&r->changed, &r->mutex);
    coze_stream *stream = r->stream;
    pthread_mutex_unlock(&r->mutex);
    return stream;
}

static void cb_delta(const char *text, size_t length, void *userdata) {
    recorder *r = userdata;
    enter(r, 'd');
    pthread_mutex_lock(&r->mutex);
    int first = r->t_first_delta == 0;
    if (first) {
        r->t_first_delta = now_s();
        r->in_first_delta = 1;
    }
    if (length == 0 || text[length] != '\0' || strlen(text) != length) r->bad_delta++;
    append(&r->deltas, &r->deltas_length, text, length);
    append(&r->shown, &r->shown_length, text, length);
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mutex);

    if (first && r->cancel_in_first_delta) {
        coze_stream *stream = wait_for_handle(r);
        int rc = coze_stream_cancel(stream);
        int again = coze_stream_cancel(stream); /* cancelling twice is harmless */
        pthread_mutex_lock(&r->mutex);
        r->cancel_rc = rc == COZE_OK && again == COZE_OK ? COZE_OK : (rc != COZE_OK ? rc : again);
        pthread_mutex_unlock(&r->mutex);
    }
    if (first && r->reenter_in_first_delta) {
        coze_stream *stream = wait_for_handle(r);
        int wait_rc = coze_stream_wait(stream, 1000);
        int wait_code = coze_last_error_code();
        int destroy_rc = coze_bridge_destroy(r->bridge);
        int destroy_code = coze_last_error_code();
        int exists = -1;
        int exists_rc = coze_conversation_exists(&exists, r->bridge, "k", "reentrant"); /* allowed */
        pthread_mutex_lock(&r->mutex);
        r->reentrant_wait_rc = wait_rc;
        r->reentrant_wait_code = wait_code;
        r->reentrant_destroy_rc = destroy_rc;
        r->reentrant_destroy_code = destroy_code;
        r->reentrant_exists_rc = exists_rc;
        r->reentrant_exists_value = exists;
        pthread_mutex_unlock(&r->mutex);
    }
    if (first && r->blocking_calls_in_first_delta) {
        coze_prompt prompt = COZE_PROMPT_INIT;
        prompt.access_key = "k";
        prompt.conversation = "direct-blocking";
        prompt.text = "this must not be sent";
        coze_answer *answer = NULL;
        int send_rc = coze_send(&answer, r->bridge, &prompt, timeout_ms);
        int send_code = coze_last_error_code();
        char message[512];
        snprintf(message, sizeof message, "%s", coze_last_error());
        int create_rc = coze_conversation_create(r->bridge, "k", "direct-blocking");
        coze_answer_free(answer);
        pthread_mutex_lock(&r->mutex);
        r->blocking_send_rc = send_rc;
        r->blocking_send_code = send_code;
        snprintf(r->blocking_send_message, sizeof r->blocking_send_message, "%s", message);
        r->blocking_create_rc = create_rc;
        pthread_mutex_unlock(&r->mutex);
    }
    if (first && r->block_ms_in_first_delta > 0) sleep_ms(r->block_ms_in_first_delta);
    if (first) {
        pthread_mutex_lock(&r->mutex);
        r->t_first_delta_returned = now_s();
        r->in_first_delta = 2;
        pthread_mutex_unlock(&r->mutex);
    }
    leave(r);
}

static void cb_correction(const char *full_text, size_t length, void *userdata) {
    recorder *r = userdata;
    enter(r, 'c');
    pthread_mutex_lock(&r->mutex);
    if (full_text[length] != '\0' || strlen(full_text) != length) r->bad_delta++;
    r->shown_length = 0;
    append(&r->shown, &r->shown_length, full_text, length);
    pthread_mutex_unlock(&r->mutex);
    leave(r);
}

static void cb_image(const coze_image *image, void *userdata) {
    recorder *r = userdata;
    enter(r, 'i');
    pthread_mutex_lock(&r->mutex);
    r->image_callbacks++;
    snprintf(r->image_url, sizeof r->image_url, "%s", image->url ? image->url : "(null)");
    snprintf(r->image_source, sizeof r->image_source, "%s", image->source ? image->source : "(null)");
    snprintf(r->image_filename, sizeof r->image_filename, "%s", image->filename ? image->filename : "(null)");
    snprintf(r->image_content_type, sizeof r->image_content_type, "%s",
             image->content_type ? image->content_type : "(null)");
    r->image_width = image->width;
    r->image_height = image->height;
    pthread_mutex_unlock(&r->mutex);
    leave(r);
}

static void cb_suggestions(const char *const *suggestions, size_t count, void *userdata) {
    recorder *r = userdata;
    enter(r, 's');
    pthread_mutex_lock(&r->mutex);
    r->suggestion_count = count;
    r->suggestions_ok = 1;
    for (size_t i = 0; i < count; i++)
        if (!suggestions || !suggestions[i] || !suggestions[i][0]) r->suggestions_ok = 0;
    pthread_mutex_unlock(&r->mutex);
    leave(r);
}

static void cb_done(const coze_answer *answer, void *userdata) {
    recorder *r = userdata;
    enter(r, 'D');
    pthread_mutex_lock(&r->mutex);
    r->done = 1;
    r->t_done = now_s();
    free(r->done_text);
    r->done_text = strdup(answer->text ? answer->text : "(null)");
    r->done_text_length = answer->text_length;
    r->done_suggestion_count = answer->suggestion_count;
    r->done_image_count = answer->image_count;
    snprintf(r->done_completion, sizeof r->done_completion, "%s", answer->completion ? answer->completion : "(null)");
    pthread_mutex_unlock(&r->mutex);
    leave(r);
}

static void cb_error(int status, const char *message, void *userdata) {
    recorder *r = userdata;
    enter(r, 'E');
    pthread_mutex_lock(&r->mutex);
    r->error_status = status;
    r->t_done = now_s();
    snprintf(r->error_message, sizeof r->error_message, "%s", message ? message : "(null)");
    pthread_mutex_unlock(&r->mutex);
    leave(r);
}

static void cb_userdata_free(void *userdata) {
    recorder *r = userdata;
    enter(r, 'F');
    pthread_mutex_lock(&r->mutex);
    r->frees++;
    r->t_end = now_s();
    pthread_mutex_unlock(&r->mutex);
    leave(r);
}

static const coze_stream_callbacks every_callback = {
    sizeof(coze_stream_callbacks), cb_delta, cb_correction, cb_image, cb_suggestions,
    cb_done,                       cb_error, cb_userdata_free, 0,
};

/* Starts a stream recorded by `r`; on success publishes the handle to the callbacks. */
static int start(recorder *r, coze_bridge *bridge, const char *key, const char *conversation, const char *text) {
    coze_prompt prompt = COZE_PROMPT_INIT;
    prompt.access_key = key;
    prompt.conversation = conversation;
    prompt.text = text;
    coze_stream_callbacks callbacks = every_callback; /* copied by the library: a stack copy is fine */
    if (r->direct) callbacks.flags = COZE_STREAM_DIRECT;
    if (r->old_struct_size) {
        /* What lies past an older caller's struct is not its: the library must not read it. */
        callbacks.struct_size = offsetof(coze_stream_callbacks, flags);
        callbacks.flags = COZE_STREAM_DIRECT;
    }
    coze_stream *stream = NULL;
    r->t_start = now_s();
    int rc = coze_stream_start(&stream, bridge, &prompt, &callbacks, r);
    snprintf(last_err, sizeof last_err, "%s", coze_last_error());
    last_code = coze_last_error_code();
    if (rc == COZE_OK) {
        pthread_mutex_lock(&r->mutex);
        r->stream = stream;
        r->have_stream = 1;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->mutex);
    }
    return rc;
}

/* A snapshot of the event string (callbacks may still be writing it). */
static const char *events_of(recorder *r) {
    static char copy[sizeof r->events];
    pthread_mutex_lock(&r->mutex);
    memcpy(copy, r->events, sizeof copy);
    copy[r->event_count] = '\0';
    pthread_mutex_unlock(&r->mutex);
    return copy;
}

static int frees_of(recorder *r) {
    pthread_mutex_lock(&r->mutex);
    int n = r->frees;
    pthread_mutex_unlock(&r->mutex);
    return n;
}

/* Waits (on our side, without the library) until the first on_delta has started. */
static int wait_first_delta(recorder *r, int ms) {
    double deadline = now_s() + ms / 1000.0;
    pthread_mutex_lock(&r->mutex);
    while (r->in_first_delta == 0 && r->frees == 0 && now_s() < deadline) {
        pthread_mutex_unlock(&r->mutex);
        sleep_ms(5);
        pthread_mutex_lock(&r->mutex);
    }
    int started = r->in_first_delta != 0;
    pthread_mutex_unlock(&r->mutex);
    return started;
}

/* The checks every finished stream must pass: order ends with one of done/error, then one free. */
static void check_finished(recorder *r, const char *name) {
    sleep_ms(200); /* "then nothing more": give a stray late callback the chance to show */
    const char *events = events_of(r);
    CHECK(frees_of(r) == 1, "%s: userdata_free called exactly once (events \"%s\")", name, events);
    CHECK(matches(events, "^[dcis]*[DE]F$"), "%s: events \"%s\" end with one done/error, then userdata_free", name,
          events);
    CHECK(r->after_free == 0, "%s: no callback after userdata_free", name);
    CHECK(r->overlapping == 0, "%s: callbacks of the stream never overlapped", name);
    if (!r->direct) CHECK(r->on_event_loop == 0, "%s: no callback ran on a NIO event-loop thread", name);
    CHECK(r->bad_delta == 0, "%s: every delta/correction non-empty and NUL-terminated at its length", name);
}

/* ---------------------------------------------------------------------------------------------
 * The tests
 * ------------------------------------------------------------------------------------------- */

static const char *guild_id_env;

static void test_versions_and_errors(void) {
    printf("== versions, status names, free functions\n");
    CHECK(strcmp(coze_version(), COZE_VERSION_STRING) == 0, "coze_version() \"%s\" == COZE_VERSION_STRING \"%s\"",
          coze_version(), COZE_VERSION_STRING);
    CHECK(coze_version_number() == COZE_VERSION_NUMBER, "coze_version_number() %d == COZE_VERSION_NUMBER %d",
          coze_version_number(), COZE_VERSION_NUMBER);
    CHECK(COZE_VERSION_NUMBER == COZE_VERSION_MAJOR * 10000 + COZE_VERSION_MINOR * 100 + COZE_VERSION_PATCH,
          "COZE_VERSION_NUMBER is MAJOR*10000+MINOR*100+PATCH");

    static const struct {
        int code;
        const char *name;
    } codes[] = {
        {COZE_OK, "COZE_OK"},
        {COZE_EINVAL, "COZE_EINVAL"},
        {COZE_ECONFIG, "COZE_ECONFIG"},
        {COZE_ENOKEY, "COZE_ENOKEY"},
        {COZE_ENOTFOUND, "COZE_ENOTFOUND"},
        {COZE_EEXISTS, "COZE_EEXISTS"},
        {COZE_EUNAVAILABLE, "COZE_EUNAVAILABLE"},
        {COZE_EPROMPT, "COZE_EPROMPT"},
        {COZE_EDISCORD, "COZE_EDISCORD"},
        {COZE_ENOREPLY, "COZE_ENOREPLY"},
        {COZE_EQUOTA, "COZE_EQUOTA"},
        {COZE_ECOZE, "COZE_ECOZE"},
        {COZE_ETIMEOUT, "COZE_ETIMEOUT"},
        {COZE_EGONE, "COZE_EGONE"},
        {COZE_ECANCELLED, "COZE_ECANCELLED"},
        {COZE_ESTORE, "COZE_ESTORE"},
        {COZE_ECLOSED, "COZE_ECLOSED"},
        {COZE_EREENTRANT, "COZE_EREENTRANT"},
        {COZE_EINTERNAL, "COZE_EINTERNAL"},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = coze_strerror(codes[i].code);
        size_t n = strlen(codes[i].name);
        CHECK(s && strncmp(s, codes[i].name, n) == 0 && s[n] == ':' && strlen(s) > n + 2,
              "coze_strerror(%d) = \"%s\" names %s", codes[i].code, s ? s : "(null)", codes[i].name);
    }
    CHECK(strcmp(coze_strerror(COZE_ENOKEY), "COZE_ENOKEY: unknown access key") == 0,
          "coze_strerror(COZE_ENOKEY) is the header's example");
    const int unknown[] = {-1, 19, 1000, -2147483647 - 1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        CHECK(strcmp(coze_strerror(unknown[i]), "unknown status") == 0, "coze_strerror(%d) = \"unknown status\"",
              unknown[i]);

    coze_free(NULL);
    coze_answer_free(NULL);
    coze_stream_free(NULL);
    coze_conversation_list_free(NULL);
    coze_keepalive_report_free(NULL);
    coze_bot_status_list_free(NULL);
    CHECK(1, "coze_free / coze_answer_free / coze_stream_free / coze_conversation_list_free / "
             "coze_keepalive_report_free / coze_bot_status_list_free (NULL) are harmless");
    CHECK_RC(coze_bridge_destroy(NULL), COZE_OK, "coze_bridge_destroy(NULL)");
}

static const char bad_yaml[] = "Bots:\n"
                               "  - Key: \"k\"\n"
                               "    Discord_Bot_Token: \"token\"\n"
                               "    CozeBot_id: \"1180123456789012345\"\n"
                               "    Server_id: \"my-server\"\n"
                               "Disable_ENV_Read: true\n";

static void test_create_errors(const char *dir) {
    printf("== creating: invalid arguments and refused configurations\n");
    static int sentinel_object;
    coze_bridge *const sentinel = (coze_bridge *)(void *)&sentinel_object;
    coze_bridge *bridge = sentinel;

    CHECK_RC(coze_bridge_create_from_yaml(NULL, "Bots: []\n", NULL), COZE_EINVAL, "create_from_yaml(out NULL)");
    CHECK_RC(coze_bridge_create_from_yaml(&bridge, NULL, NULL), COZE_EINVAL, "create_from_yaml(yaml NULL)");
    CHECK(bridge == sentinel, "a failed create leaves *out untouched");
    CHECK_RC(coze_bridge_create_from_file(&bridge, NULL, NULL), COZE_EINVAL, "create_from_file(path NULL)");
    CHECK_RC(coze_bridge_create_from_file(NULL, "Config.yml", NULL), COZE_EINVAL, "create_from_file(out NULL)");
    coze_bridge_options small = COZE_BRIDGE_OPTIONS_INIT;
    small.struct_size = 1;
    CHECK_RC(coze_bridge_create_from_yaml(&bridge, bad_yaml, &small), COZE_EINVAL,
             "create_from_yaml with options.struct_size 1");
    CHECK(bridge == sentinel, "*out still untouched");

    CHECK_RC(coze_bridge_create_from_yaml(&bridge, bad_yaml, NULL), COZE_ECONFIG,
             "create_from_yaml with Server_id \"my-server\" on line 5");
    CHECK(strstr(last_err, ":5:") != NULL, "the message names line 5: \"%s\"", last_err);
    CHECK(strstr(last_err, "Server_id") != NULL, "the message names the key Server_id");
    CHECK(bridge == sentinel, "*out still untouched");

    CHECK_RC(coze_bridge_create_from_yaml(&bridge, "Bots:\n  - Key: \"k\n", NULL), COZE_ECONFIG,
             "create_from_yaml with an unterminated quoted scalar");
    CHECK(matches(last_err, ":[0-9]+:[0-9]+:"), "the message has line:column: \"%s\"", last_err);

    char path[4096];
    snprintf(path, sizeof path, "%s/bad-config.yml", dir);
    CHECK(write_file(path, bad_yaml) == 0, "wrote %s", path);
    CHECK_RC(coze_bridge_create_from_file(&bridge, path, NULL), COZE_ECONFIG, "create_from_file(bad-config.yml)");
    CHECK(strstr(last_err, "bad-config.yml:5:") != NULL, "the message names file and line: \"%s\"", last_err);
    remove(path);

    snprintf(path, sizeof path, "%s/no-such-dir/Config.yml", dir);
    int rc = coze_bridge_create_from_file(&bridge, path, NULL);
    snprintf(last_err, sizeof last_err, "%s", coze_last_error());
    CHECK(rc != COZE_OK && last_err[0] != '\0' && bridge == sentinel,
          "create_from_file(missing file) fails with %s: \"%s\"", coze_strerror(rc), last_err);
}

static void test_config_json(coze_bridge *bridge) {
    char *json = NULL;
    CHECK_RC(coze_bridge_config_json(&json, bridge, NULL), COZE_OK, "config_json(NULL)");
    CHECK(json && *starts_with_after_space(json) == '{', "config_json(NULL) is a JSON object");
    CHECK(json && strstr(json, "\"Bots\"") && strstr(json, "\"Discord_API\"") && strstr(json, "\"generate_timeout\""),
          "it has the top-level keys Bots, Discord_API, generate_timeout");
    coze_free(json);

    json = NULL;
    CHECK_RC(coze_bridge_config_json(&json, bridge, "Bots"), COZE_OK, "config_json(\"Bots\")");
    CHECK(json && *starts_with_after_space(json) == '[', "config_json(\"Bots\") is a JSON array: %.60s", json);
    CHECK(json && strstr(json, "\"Key\"") && strstr(json, "\"CozeBot_id\""), "its entries have Key and CozeBot_id");
    coze_free(json);

    char *untouched = (char *)"untouched";
    json = untouched;
    CHECK_RC(coze_bridge_config_json(&json, bridge, "No_Such_Section"), COZE_ENOTFOUND,
             "config_json(\"No_Such_Section\")");
    CHECK(json == untouched, "*out untouched on failure");
    CHECK_RC(coze_bridge_config_json(NULL, bridge, NULL), COZE_EINVAL, "config_json(out NULL)");
    CHECK_RC(coze_bridge_config_json(&json, NULL, NULL), COZE_EINVAL, "config_json(bridge NULL)");
}

static void test_create_from_yaml(const char *config_path, const char *dir) {
    printf("== create from YAML text (own store, empty legacy import directory)\n");
    char *yaml = read_file(config_path);
    CHECK(yaml != NULL, "read %s", config_path);
    char store[4096], legacy[4096];
    snprintf(store, sizeof store, "%s/from-yaml.sqlite", dir);
    snprintf(legacy, sizeof legacy, "%s/legacy-empty", dir);
    mkdir(legacy, 0700);

    /* With a Plugins section, for coze_bridge_plugin_list_json. */
    const char *plugins = "\nPlugins:\n  - Name: http\n    Settings:\n      Port: 18093\n  - turnlog\n"
                          "  - Name: off\n    Path: /opt/off.so\n    Enabled: false\n";
    char *with_plugins = malloc(strlen(yaml) + strlen(plugins) + 1);
    if (!with_plugins) abort();
    strcpy(with_plugins, yaml);
    strcat(with_plugins, plugins);
    free(yaml);

    coze_bridge_options options = COZE_BRIDGE_OPTIONS_INIT;
    options.store_path = store;
    options.legacy_import_directory = legacy;
    options.ready_timeout_ms = timeout_ms;
    coze_bridge *bridge = NULL;
    CHECK_RC(coze_bridge_create_from_yaml(&bridge, with_plugins, &options), COZE_OK,
             "create_from_yaml(Config.yml's text + Plugins)");
    free(with_plugins);
    CHECK(bridge != NULL, "got a bridge");
    CHECK_RC(coze_bridge_wait_ready(bridge, timeout_ms), COZE_OK, "wait_ready");
    test_config_json(bridge);

    char *json = NULL;
    CHECK_RC(coze_bridge_plugin_list_json(&json, bridge), COZE_OK, "plugin_list_json");
    /* Key order inside an object is not specified; entries keep the file's order. */
    const char *http = json ? strstr(json, "\"name\":\"http\"") : NULL;
    const char *turnlog = json ? strstr(json, "\"name\":\"turnlog\"") : NULL;
    const char *off = json ? strstr(json, "\"name\":\"off\"") : NULL;
    CHECK(json && json[0] == '[' && http && turnlog && off && http < turnlog && turnlog < off,
          "the three plugins in file order: %s", json ? json : "(null)");
    CHECK(strstr(json, "\"settings\":{\"Port\":18093}") && strstr(json, "\"path\":\"/opt/off.so\"") &&
              strstr(json, "\"enabled\":false") && strstr(json, "\"path\":null") && strstr(json, "\"settings\":{}"),
          "settings, paths and enabled flags as written, with defaults filled in");
    coze_free(json);
    CHECK_RC(coze_bridge_plugin_list_json(NULL, bridge), COZE_EINVAL, "plugin_list_json(out NULL)");
    CHECK_RC(coze_bridge_plugin_list_json(&json, NULL), COZE_EINVAL, "plugin_list_json(bridge NULL)");

    struct stat st;
    CHECK(stat(store, &st) == 0, "options.store_path was used: %s exists", store);
    CHECK_RC(coze_bridge_destroy(bridge), COZE_OK, "destroy the YAML bridge");
}

static void test_invalid_arguments(coze_bridge *bridge) {
    printf("== NULL and malformed arguments -> COZE_EINVAL\n");
    CHECK_RC(coze_bridge_wait_ready(NULL, 10), COZE_EINVAL, "wait_ready(NULL)");

    coze_answer *answer = NULL;
    coze_prompt prompt = COZE_PROMPT_INIT;
    prompt.access_key = "k";
    prompt.conversation = "einval";
    prompt.text = "hello";
    CHECK_RC(coze_send(NULL, bridge, &prompt, timeout_ms), COZE_EINVAL, "coze_send(out NULL)");
    CHECK_RC(coze_send(&answer, NULL, &prompt, timeout_ms), COZE_EINVAL, "coze_send(bridge NULL)");
    CHECK_RC(coze_send(&answer, bridge, NULL, timeout_ms), COZE_EINVAL, "coze_send(prompt NULL)");
    coze_prompt bad = prompt;
    bad.text = NULL;
    CHECK_RC(coze_send(&answer, bridge, &bad, timeout_ms), COZE_EINVAL, "coze_send(prompt.text NULL, no images)");
    bad = prompt;
    bad.struct_size = 0;
    CHECK_RC(coze_send(&answer, bridge, &bad, timeout_ms), COZE_EINVAL, "coze_send(prompt.struct_size 0)");
    CHECK(answer == NULL, "*out untouched by failed sends");

    recorder *r = recorder_new(bridge);
    coze_stream *stream = NULL;
    coze_stream_callbacks callbacks = every_callback;
    CHECK_RC(coze_stream_start(NULL, bridge, &prompt, &callbacks, r), COZE_EINVAL, "stream_start(out NULL)");
    CHECK_RC(coze_stream_start(&stream, NULL, &prompt, &callbacks, r), COZE_EINVAL, "stream_start(bridge NULL)");
    CHECK_RC(coze_stream_start(&stream, bridge, NULL, &callbacks, r), COZE_EINVAL, "stream_start(prompt NULL)");
    CHECK_RC(coze_stream_start(&stream, bridge, &prompt, NULL, r), COZE_EINVAL, "stream_start(callbacks NULL)");
    callbacks.struct_size = 0;
    CHECK_RC(coze_stream_start(&stream, bridge, &prompt, &callbacks, r), COZE_EINVAL,
             "stream_start(callbacks.struct_size 0)");
    sleep_ms(100);
    CHECK(stream == NULL && frees_of(r) == 0 && r->event_count == 0,
          "failed starts: *out untouched, no callback ran, not even userdata_free");
    recorder_free(r);
    CHECK_RC(coze_stream_cancel(NULL), COZE_EINVAL, "stream_cancel(NULL)");
    CHECK_RC(coze_stream_wait(NULL, 10), COZE_EINVAL, "stream_wait(NULL)");

    int exists = 42;
    coze_conversation_list *list = NULL;
    CHECK_RC(coze_conversation_create(NULL, "k", "x"), COZE_EINVAL, "conversation_create(bridge NULL)");
    CHECK_RC(coze_conversation_create(bridge, "k", NULL), COZE_EINVAL, "conversation_create(name NULL)");
    CHECK_RC(coze_conversation_rename(bridge, "k", NULL, "x"), COZE_EINVAL, "conversation_rename(from NULL)");
    CHECK_RC(coze_conversation_rename(bridge, "k", "x", NULL), COZE_EINVAL, "conversation_rename(to NULL)");
    CHECK_RC(coze_conversation_delete(bridge, "k", NULL), COZE_EINVAL, "conversation_delete(name NULL)");
    CHECK_RC(coze_conversation_exists(NULL, bridge, "k", "x"), COZE_EINVAL, "conversation_exists(out NULL)");
    CHECK_RC(coze_conversation_exists(&exists, bridge, "k", NULL), COZE_EINVAL, "conversation_exists(name NULL)");
    CHECK(exists == 42, "*out untouched");
    CHECK_RC(coze_conversation_list_get(NULL, bridge, "k"), COZE_EINVAL, "conversation_list_get(out NULL)");
    CHECK_RC(coze_conversation_list_get(&list, NULL, "k"), COZE_EINVAL, "conversation_list_get(bridge NULL)");
    CHECK(list == NULL, "*out untouched");

    coze_keepalive_report *report = NULL;
    CHECK_RC(coze_keepalive(NULL, bridge, "k"), COZE_EINVAL, "keepalive(out NULL)");
    CHECK_RC(coze_keepalive(&report, NULL, "k"), COZE_EINVAL, "keepalive(bridge NULL)");
    coze_bot_status_list *status = NULL;
    CHECK_RC(coze_bot_status_get(NULL, bridge), COZE_EINVAL, "bot_status_get(out NULL)");
    CHECK_RC(coze_bot_status_get(&status, NULL), COZE_EINVAL, "bot_status_get(bridge NULL)");
    CHECK(report == NULL && status == NULL, "*out untouched");

    /* After a failure, a success clears the thread's last error. */
    CHECK(coze_last_error_code() == COZE_EINVAL && coze_last_error()[0] != '\0', "last error is set after a failure");
    CHECK_RC(coze_conversation_exists(&exists, bridge, "k", "never-created"), COZE_OK,
             "conversation_exists(\"never-created\") (clears the last error)");
    CHECK(strcmp(coze_last_error(), "") == 0 && coze_last_error_code() == COZE_OK,
          "coze_last_error() == \"\" and coze_last_error_code() == 0 after a success");
    CHECK(exists == 0, "\"never-created\" does not exist");
}

static void test_send(coze_bridge *bridge) {
    printf("== coze_send\n");
    const char *text = "Hello from the C API test, tell me about sea otters.";
    coze_prompt prompt = COZE_PROMPT_INIT;
    prompt.access_key = "k";
    prompt.conversation = "send";
    prompt.text = text;
    coze_answer *answer = NULL;
    CHECK_RC(coze_send(&answer, bridge, &prompt, timeout_ms), COZE_OK, "coze_send (default scenario)");
    CHECK(answer != NULL, "got an answer");
    CHECK(answer->text && answer->text[0] != '\0', "answer text non-empty: \"%.80s…\"", answer->text);
    CHECK(strlen(answer->text) == answer->text_length, "text_length %zu == strlen(text)", answer->text_length);
    CHECK(answer->completion && strcmp(answer->completion, "suggestions") == 0, "completion \"%s\" == \"suggestions\"",
          answer->completion ? answer->completion : "(null)");
    CHECK(answer->suggestion_count == 3, "suggestion_count %zu == 3", answer->suggestion_count);
    int suggestions_ok = answer->suggestions != NULL;
    for (size_t i = 0; suggestions_ok && i < answer->suggestion_count; i++)
        suggestions_ok = answer->suggestions[i] && answer->suggestions[i][0];
    CHECK(suggestions_ok, "suggestions non-empty strings (\"%s\", …)",
          answer->suggestion_count ? answer->suggestions[0] : "");
    CHECK(answer->image_count == 0, "no images");
    coze_answer_free(answer);

    /* The same conversation remembers the previous prompt: the emulator quotes it. */
    prompt.text = "what did I say before?";
    answer = NULL;
    CHECK_RC(coze_send(&answer, bridge, &prompt, timeout_ms), COZE_OK, "coze_send \"what did I say before?\"");
    CHECK(answer && strstr(answer->text, "You said before:") && strstr(answer->text, "sea otters"),
          "the same conversation's channel got both prompts: \"%.120s\"", answer ? answer->text : "");
    coze_answer_free(answer);

    /* An image. */
    prompt.conversation = "send-image";
    prompt.text = "Draw a lighthouse [scenario:image-embed]";
    answer = NULL;
    CHECK_RC(coze_send(&answer, bridge, &prompt, timeout_ms), COZE_OK, "coze_send (image-embed scenario)");
    CHECK(answer && answer->image_count == 1, "image_count %zu == 1", answer ? answer->image_count : 0);
    if (answer && answer->image_count == 1) {
        const coze_image *image = &answer->images[0];
        CHECK(image->url && strncmp(image->url, "http", 4) == 0 && strstr(image->url, ".png"), "image url \"%s\"",
              image->url ? image->url : "(null)");
        CHECK(image->source && strcmp(image->source, "embed") == 0, "image source \"%s\" == \"embed\"",
              image->source ? image->source : "(null)");
        CHECK(image->width == 8 && image->height == 8, "image size %dx%d == 8x8", image->width, image->height);
    }
    coze_answer_free(answer);

    /* A prompt over 2000 characters goes as a .txt attachment; the emulator says it read the file. */
    char *long_text = malloc(2601);
    if (!long_text) abort();
    for (int i = 0; i < 2600; i++) long_text[i] = "long prompt "[i % 12];
    long_text[2600] = '\0';
    prompt.conversation = "send-long";
    prompt.text = long_text;
    answer = NULL;
    CHECK_RC(coze_send(&answer, bridge, &prompt, timeout_ms), COZE_OK, "coze_send with a 2600-character prompt");
    CHECK(answer && strstr(answer->text, "I read your file") && strstr(answer->text, ".txt (2600 characters)"),
          "it went as a .txt attachment: \"%.80s\"", answer ? answer->text : "");
    coze_answer_free(answer);
    free(long_text);

    /* Images of a prompt: a data URI is uploaded; a malformed one is COZE_EPROMPT. */
    static const char *const png[] = {"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42"
                                      "mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="};
    prompt.conversation = "send-upload";
    prompt.text = "What is in this picture?";
    prompt.images = png;
    prompt.image_count = 1;
    answer = NULL;
    CHECK_RC(coze_send(&answer, bridge, &prompt, timeout_ms), COZE_OK, "coze_send with a data-URI image");
    CHECK(answer && strstr(answer->text, "I see an image named") && strstr(answer->text, "(70 bytes)"),
          "the 70-byte PNG was uploaded: \"%.80s\"", answer ? answer->text : "");
    coze_answer_free(answer);
    static const char *const broken[] = {"data:image/png;base64,@@@ not base64 @@@"};
    prompt.images = broken;
    answer = NULL;
    CHECK_RC(coze_send(&answer, bridge, &prompt, timeout_ms), COZE_EPROMPT, "coze_send with a malformed data URI");
    CHECK(answer == NULL, "*out untouched");
    prompt.images = NULL;
    prompt.image_count = 0;

    /* Unknown access key. */
    prompt.access_key = "no-such-key-7f3a";
    prompt.conversation = "send";
    prompt.text = "hello?";
    answer = NULL;
    CHECK_RC(coze_send(&answer, bridge, &prompt, timeout_ms), COZE_ENOKEY, "coze_send with key \"no-such-key-7f3a\"");
    CHECK(strstr(last_err, "no-such-key-7f3a") != NULL, "the message names the key: \"%s\"", last_err);
    CHECK(answer == NULL, "*out untouched");

    /* A caller's timeout shorter than the answer. */
    prompt.access_key = "k";
    prompt.conversation = "send-slow";
    prompt.text = "Take your time [scenario:slow]";
    CHECK_RC(coze_send(&answer, bridge, &prompt, 300), COZE_ETIMEOUT, "coze_send (slow scenario) with timeout 300 ms");
    CHECK(answer == NULL, "*out untouched");
}

static void test_stream_plain(coze_bridge *bridge) {
    printf("== stream: every callback, default scenario\n");
    recorder *r = recorder_new(bridge);
    CHECK_RC(start(r, bridge, "k", "stream", "Stream me a story about a small red kite."), COZE_OK, "stream_start");
    CHECK(r->stream != NULL, "got a stream handle");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_OK, "stream_wait");
    CHECK(frees_of(r) == 1, "userdata_free already ran when stream_wait returned");
    check_finished(r, "plain");
    const char *events = events_of(r);
    CHECK(matches(events, "^d+sDF$"), "order: deltas…, suggestions, done, userdata_free: \"%s\"", events);
    CHECK(r->event_count >= 3 + 2, "several deltas (%zu events)", r->event_count);
    CHECK(r->done && r->deltas && strcmp(r->deltas, r->done_text) == 0,
          "deltas concatenated (%zu bytes) == on_done text (%zu bytes)", r->deltas_length,
          r->done_text ? strlen(r->done_text) : 0);
    CHECK(r->done_text_length == strlen(r->done_text), "answer.text_length == strlen(answer.text)");
    CHECK(r->suggestion_count == 3 && r->suggestions_ok, "on_suggestions got 3 non-empty suggestions");
    CHECK(r->done_suggestion_count == 3, "the on_done answer has 3 suggestions");
    CHECK(strcmp(r->done_completion, "suggestions") == 0, "completion \"%s\"", r->done_completion);
    CHECK(r->image_callbacks == 0 && r->done_image_count == 0, "no images");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_OK, "stream_wait again after the end");
    CHECK_RC(coze_stream_cancel(r->stream), COZE_OK, "stream_cancel after the end is harmless");
    char before[sizeof r->events];
    snprintf(before, sizeof before, "%s", events);
    coze_stream_free(r->stream);
    sleep_ms(100);
    CHECK(frees_of(r) == 1 && strcmp(events_of(r), before) == 0, "stream_free after the end runs no callback");
    recorder_free(r);
}

static void test_stream_rewrite_and_image(coze_bridge *bridge) {
    printf("== stream: corrections (rewrite scenario) and images (image-attachment scenario)\n");
    recorder *r = recorder_new(bridge);
    CHECK_RC(start(r, bridge, "k", "stream-rewrite", "List three steps:\n1) wake\n2) tea\n3) code [scenario:rewrite]"),
             COZE_OK, "stream_start (rewrite)");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_OK, "stream_wait");
    check_finished(r, "rewrite");
    const char *events = events_of(r);
    CHECK(matches(events, "^d[dc]*c[dc]*sDF$"), "order with a correction: \"%s\"", events);
    CHECK(r->shown && r->done_text && strcmp(r->shown, r->done_text) == 0,
          "deltas with the correction applied == on_done text");
    coze_stream_free(r->stream);
    recorder_free(r);

    r = recorder_new(bridge);
    CHECK_RC(start(r, bridge, "k", "stream-image", "Paint a fox [scenario:image-attachment]"), COZE_OK,
             "stream_start (image-attachment)");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_OK, "stream_wait");
    check_finished(r, "image");
    events = events_of(r);
    CHECK(matches(events, "^d[di]*i[di]*sDF$") && r->image_callbacks == 1, "one on_image before suggestions: \"%s\"",
          events);
    CHECK(strcmp(r->image_source, "attachment") == 0, "image source \"%s\" == \"attachment\"", r->image_source);
    CHECK(strncmp(r->image_url, "http", 4) == 0, "image url \"%s\"", r->image_url);
    CHECK(matches(r->image_filename, "^coze-[0-9a-f]{16}\\.png$"), "image filename \"%s\"", r->image_filename);
    CHECK(strcmp(r->image_content_type, "image/png") == 0, "content type \"%s\"", r->image_content_type);
    CHECK(r->done_image_count == 1, "the on_done answer has the image");
    CHECK(strcmp(r->deltas, r->done_text) == 0, "deltas concatenated == on_done text");
    coze_stream_free(r->stream);
    recorder_free(r);

    /* A turn error arrives through on_error. */
    r = recorder_new(bridge);
    CHECK_RC(start(r, bridge, "no-such-key-7f3a", "stream", "hello?"), COZE_OK,
             "stream_start with an unknown key starts (the error comes through on_error)");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_ENOKEY, "stream_wait returns the on_error status");
    check_finished(r, "unknown key");
    CHECK(strcmp(events_of(r), "EF") == 0, "events \"%s\" == \"EF\"", events_of(r));
    CHECK(r->error_status == COZE_ENOKEY && strstr(r->error_message, "no-such-key-7f3a"),
          "on_error(COZE_ENOKEY, \"%s\")", r->error_message);
    coze_stream_free(r->stream);
    recorder_free(r);
}

static void test_stream_cancel(coze_bridge *bridge) {
    printf("== stream: cancel from inside the first on_delta\n");
    recorder *r = recorder_new(bridge);
    r->cancel_in_first_delta = 1;
    CHECK_RC(start(r, bridge, "k", "stream-cancel", "Tell me a long tale about three ravens and a mill."), COZE_OK,
             "stream_start");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_ECANCELLED, "stream_wait");
    check_finished(r, "cancel");
    CHECK(r->cancel_rc == COZE_OK, "stream_cancel (twice) from the callback returned COZE_OK");
    CHECK(strcmp(events_of(r), "dEF") == 0, "events \"%s\" == \"dEF\": no delta after the cancel, then on_error, "
                                            "then userdata_free", events_of(r));
    CHECK(r->error_status == COZE_ECANCELLED, "on_error status %d == COZE_ECANCELLED", r->error_status);
    CHECK(!r->done, "no on_done");
    CHECK_RC(coze_stream_cancel(r->stream), COZE_OK, "cancelling again is harmless");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_ECANCELLED, "stream_wait again");
    coze_stream_free(r->stream);
    recorder_free(r);

    /* "The turn itself still completes on Discord ... so the conversation's next turn follows it." */
    coze_prompt prompt = COZE_PROMPT_INIT;
    prompt.access_key = "k";
    prompt.conversation = "stream-cancel";
    prompt.text = "what did I say before?";
    coze_answer *answer = NULL;
    CHECK_RC(coze_send(&answer, bridge, &prompt, timeout_ms), COZE_OK, "the next turn of the cancelled conversation");
    CHECK(answer && strstr(answer->text, "three ravens"), "it follows the cancelled turn: \"%.100s\"",
          answer ? answer->text : "");
    coze_answer_free(answer);
}

static void test_stream_reentrancy(coze_bridge *bridge) {
    printf("== stream: coze_stream_wait and coze_bridge_destroy from inside a callback\n");
    CHECK_RC(coze_conversation_create(bridge, "k", "reentrant"), COZE_OK, "conversation_create(\"reentrant\")");
    recorder *r = recorder_new(bridge);
    r->reenter_in_first_delta = 1;
    CHECK_RC(start(r, bridge, "k", "reentrant", "Say something nice about reentrancy."), COZE_OK, "stream_start");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_OK, "stream_wait (the stream still completes)");
    check_finished(r, "reentrancy");
    CHECK(r->reentrant_wait_rc == COZE_EREENTRANT && r->reentrant_wait_code == COZE_EREENTRANT,
          "coze_stream_wait(own stream) in its callback -> %s (last error code %d)",
          coze_strerror(r->reentrant_wait_rc), r->reentrant_wait_code);
    CHECK(r->reentrant_destroy_rc == COZE_EREENTRANT && r->reentrant_destroy_code == COZE_EREENTRANT,
          "coze_bridge_destroy(own bridge) in a callback -> %s (last error code %d)",
          coze_strerror(r->reentrant_destroy_rc), r->reentrant_destroy_code);
    CHECK(r->reentrant_exists_rc == COZE_OK && r->reentrant_exists_value == 1,
          "other functions work from a callback: conversation_exists -> %s, %d", coze_strerror(r->reentrant_exists_rc),
          r->reentrant_exists_value);
    CHECK(matches(events_of(r), "^d+sDF$"), "the stream went on normally: \"%s\"", events_of(r));
    coze_stream_free(r->stream);
    recorder_free(r);

    /* The bridge is still alive: destroy inside the callback did nothing. */
    coze_bot_status_list *status = NULL;
    CHECK_RC(coze_bot_status_get(&status, bridge), COZE_OK, "the bridge still works");
    coze_bot_status_list_free(status);
}

static void test_blocking_callback(coze_bridge *bridge) {
    printf("== stream: a blocking callback delays only its own stream (%d ms sleep)\n", block_ms);
    CHECK_RC(coze_conversation_create(bridge, "k", "block-a"), COZE_OK, "conversation_create(\"block-a\")");
    CHECK_RC(coze_conversation_create(bridge, "k", "block-b"), COZE_OK, "conversation_create(\"block-b\")");
    recorder *a = recorder_new(bridge), *b = recorder_new(bridge);
    a->block_ms_in_first_delta = block_ms;
    double t0 = now_s();
    CHECK_RC(start(a, bridge, "k", "block-a", "Stream A: describe a slow river."), COZE_OK, "stream_start A (blocks)");
    CHECK(wait_first_delta(a, timeout_ms), "A's first on_delta started (after %.3f s)", now_s() - t0);
    double tb = now_s();
    CHECK_RC(start(b, bridge, "k", "block-b", "Stream B: describe a fast hare."), COZE_OK,
             "stream_start B while A's callback sleeps");
    CHECK_STATUS(coze_stream_wait(b->stream, timeout_ms), COZE_OK, "stream_wait B");
    CHECK_STATUS(coze_stream_wait(a->stream, timeout_ms), COZE_OK, "stream_wait A");
    check_finished(a, "A");
    check_finished(b, "B");
    printf("        A: first delta %.3f s, callback returned %.3f s, done %.3f s; B: started %.3f s, done %.3f s\n",
           a->t_first_delta - t0, a->t_first_delta_returned - t0, a->t_done - t0, tb - t0, b->t_done - t0);
    CHECK(b->done && a->done && b->t_done < a->t_done, "B completed first (B %.3f s < A %.3f s)", b->t_done - t0,
          a->t_done - t0);
    CHECK(b->t_done < a->t_first_delta_returned, "B completed while A's callback was still sleeping");
    CHECK(strcmp(a->deltas, a->done_text) == 0 && matches(events_of(a), "^d+sDF$"),
          "A's buffered deltas all arrived after the sleep, in order: \"%s\"", events_of(a));
    coze_stream_free(a->stream);
    coze_stream_free(b->stream);
    recorder_free(a);
    recorder_free(b);
}

static void test_stream_direct(coze_bridge *bridge) {
    printf("== stream: COZE_STREAM_DIRECT, and a caller compiled before coze_stream_callbacks.flags\n");
    recorder *r = recorder_new(bridge);
    r->direct = 1;
    r->blocking_calls_in_first_delta = 1;
    CHECK_RC(start(r, bridge, "k", "stream-direct", "Stream me a story about a kite that never waits."), COZE_OK,
             "stream_start (direct)");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_OK, "stream_wait");
    check_finished(r, "direct");
    CHECK(matches(events_of(r), "^d+sDF$"), "order: deltas…, suggestions, done, userdata_free: \"%s\"", events_of(r));
    CHECK(r->done && r->deltas && strcmp(r->deltas, r->done_text) == 0, "deltas concatenated == on_done text");
    CHECK(r->done_suggestion_count == 3, "the on_done answer has 3 suggestions");
    CHECK(r->on_event_loop > 0, "deltas ran directly on the library's event loop (%d callbacks)", r->on_event_loop);
    CHECK(r->blocking_send_rc == COZE_EREENTRANT && r->blocking_send_code == COZE_EREENTRANT,
          "coze_send in a direct callback -> %s (last error code %d)", coze_strerror(r->blocking_send_rc),
          r->blocking_send_code);
    CHECK(strstr(r->blocking_send_message, "COZE_STREAM_DIRECT") != NULL, "the message says why: \"%s\"",
          r->blocking_send_message);
    CHECK(r->blocking_create_rc == COZE_EREENTRANT, "coze_conversation_create in a direct callback -> %s",
          coze_strerror(r->blocking_create_rc));
    int exists = -1;
    CHECK_RC(coze_conversation_exists(&exists, bridge, "k", "direct-blocking"), COZE_OK, "conversation_exists");
    CHECK(exists == 0, "the refused calls created nothing");
    coze_stream_free(r->stream);
    recorder_free(r);

    /* Cancelling from inside a direct callback: the queued cancellation never overlaps it. */
    r = recorder_new(bridge);
    r->direct = 1;
    r->cancel_in_first_delta = 1;
    CHECK_RC(start(r, bridge, "k", "stream-direct-cancel", "Tell me a long tale about four herons."), COZE_OK,
             "stream_start (direct, cancelled in the first delta)");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_ECANCELLED, "stream_wait");
    check_finished(r, "direct cancel");
    CHECK(strcmp(events_of(r), "dEF") == 0, "events \"%s\" == \"dEF\"", events_of(r));
    coze_stream_free(r->stream);
    recorder_free(r);

    /* The blocking calls that a direct callback may not make are fine from the default thread. */
    r = recorder_new(bridge);
    r->blocking_calls_in_first_delta = 1;
    CHECK_RC(start(r, bridge, "k", "stream-queued-blocking", "Stream me a note about patience."), COZE_OK,
             "stream_start (default delivery)");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_OK, "stream_wait");
    check_finished(r, "queued blocking");
    CHECK(r->blocking_send_rc == COZE_OK && r->blocking_create_rc == COZE_EEXISTS,
          "from the stream's own thread: coze_send -> %s, then conversation_create of its conversation -> %s",
          coze_strerror(r->blocking_send_rc), coze_strerror(r->blocking_create_rc));
    coze_stream_free(r->stream);
    recorder_free(r);

    /* struct_size without `flags`: accepted, default delivery (check_finished: never on the event
     * loop), although the bytes past that size say COZE_STREAM_DIRECT. */
    r = recorder_new(bridge);
    r->old_struct_size = 1;
    CHECK_RC(start(r, bridge, "k", "stream-old-size", "Stream me a story about an old kite."), COZE_OK,
             "stream_start with struct_size = offsetof(coze_stream_callbacks, flags)");
    CHECK_STATUS(coze_stream_wait(r->stream, timeout_ms), COZE_OK, "stream_wait");
    check_finished(r, "old struct size");
    CHECK(r->done && strcmp(r->deltas, r->done_text) == 0, "deltas concatenated == on_done text");
    coze_stream_free(r->stream);
    recorder_free(r);
}

static const coze_conversation *find(const coze_conversation_list *list, const char *name) {
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].name && strcmp(list->items[i].name, name) == 0) return &list->items[i];
    return NULL;
}

static void test_conversations(coze_bridge *bridge) {
    printf("== conversations\n");
    int exists = -1;
    CHECK_RC(coze_conversation_create(bridge, "k", "conv-one"), COZE_OK, "create \"conv-one\"");
    CHECK_RC(coze_conversation_create(bridge, "k", "conv-one"), COZE_EEXISTS, "create \"conv-one\" again");
    CHECK_RC(coze_conversation_create(bridge, "no-such-key-7f3a", "conv-one"), COZE_ENOKEY,
             "create with an unknown key");
    CHECK_RC(coze_conversation_create(bridge, "k", "conv-two"), COZE_OK, "create \"conv-two\"");
    CHECK_RC(coze_conversation_exists(&exists, bridge, "k", "conv-one"), COZE_OK, "exists \"conv-one\"");
    CHECK(exists == 1, "-> 1");
    CHECK_RC(coze_conversation_exists(&exists, bridge, "k", "conv-none"), COZE_OK, "exists \"conv-none\"");
    CHECK(exists == 0, "-> 0");

    coze_conversation_list *list = NULL;
    CHECK_RC(coze_conversation_list_get(&list, bridge, "k"), COZE_OK, "list_get");
    CHECK(list && list->count >= 2, "%zu conversations", list ? list->count : 0);
    const coze_conversation *one = find(list, "conv-one"), *two = find(list, "conv-two"), *sent = find(list, "send");
    CHECK(one && two, "the list has conv-one and conv-two");
    CHECK(one < two, "oldest first: conv-one before conv-two");
    CHECK(all_digits(one->channel_id) && all_digits(one->guild_id), "conv-one channel %s in guild %s", one->channel_id,
          one->guild_id);
    if (guild_id_env) CHECK(strcmp(one->guild_id, guild_id_env) == 0, "guild_id is the emulator's guild");
    CHECK(one->kind && strcmp(one->kind, "channel") == 0, "kind \"%s\" == \"channel\"", one->kind ? one->kind : "(null)");
    CHECK(one->bot && one->bot[0], "bot \"%s\"", one->bot ? one->bot : "(null)");
    CHECK(one->created_at_ms > 1600000000000LL && one->last_used_at_ms >= one->created_at_ms,
          "created_at_ms %lld, last_used_at_ms %lld", (long long)one->created_at_ms, (long long)one->last_used_at_ms);
    CHECK(one->completed_turns == 0, "conv-one has 0 completed turns");
    CHECK(sent && sent->completed_turns == 2, "\"send\" has 2 completed turns (%lld)",
          sent ? (long long)sent->completed_turns : -1LL);
    char channel[64];
    snprintf(channel, sizeof channel, "%s", one->channel_id);
    coze_conversation_list_free(list);

    CHECK_RC(coze_conversation_rename(bridge, "k", "conv-one", "conv-renamed"), COZE_OK,
             "rename conv-one -> conv-renamed");
    CHECK_RC(coze_conversation_rename(bridge, "k", "conv-none", "conv-x"), COZE_ENOTFOUND, "rename a missing one");
    CHECK_RC(coze_conversation_rename(bridge, "k", "conv-renamed", "conv-two"), COZE_EEXISTS,
             "rename onto an existing name");
    CHECK_RC(coze_conversation_exists(&exists, bridge, "k", "conv-one"), COZE_OK, "exists \"conv-one\"");
    CHECK(exists == 0, "-> 0 after the rename");
    list = NULL;
    CHECK_RC(coze_conversation_list_get(&list, bridge, "k"), COZE_OK, "list_get");
    const coze_conversation *renamed = find(list, "conv-renamed");
    CHECK(renamed && strcmp(renamed->channel_id, channel) == 0, "conv-renamed keeps channel %s", channel);
    CHECK(!find(list, "conv-one"), "conv-one is gone from the list");
    coze_conversation_list_free(list);

    CHECK_RC(coze_conversation_delete(bridge, "k", "conv-renamed"), COZE_OK, "delete conv-renamed");
    CHECK_RC(coze_conversation_delete(bridge, "k", "conv-renamed"), COZE_ENOTFOUND, "delete it again");
    CHECK_RC(coze_conversation_exists(&exists, bridge, "k", "conv-renamed"), COZE_OK, "exists \"conv-renamed\"");
    CHECK(exists == 0, "-> 0 after the delete");
    CHECK_RC(coze_conversation_delete(bridge, "k", "conv-two"), COZE_OK, "delete conv-two");

    list = NULL;
    CHECK_RC(coze_conversation_list_get(&list, bridge, "no-such-key-7f3a"), COZE_ENOKEY, "list_get of an unknown key");
    CHECK(list == NULL, "*out untouched");
    CHECK_RC(coze_conversation_exists(&exists, bridge, "no-such-key-7f3a", "x"), COZE_ENOKEY,
             "exists with an unknown key");

    /* find_by_history: the conversation whose completed turns are exactly the given exchanges. */
    coze_prompt prompt = COZE_PROMPT_INIT;
    prompt.access_key = "k";
    prompt.conversation = "hist";
    prompt.text = "Tell me about rivers";
    coze_answer *answer = NULL;
    CHECK_RC(coze_send(&answer, bridge, &prompt, timeout_ms), COZE_OK, "send the first turn of \"hist\"");
    const char *prompts[] = {"Tell me about rivers"};
    const char *answers[] = {answer->text};
    char *name = NULL;
    CHECK_RC(coze_conversation_find_by_history(&name, bridge, "k", prompts, answers, 1), COZE_OK,
             "find_by_history(its exchange)");
    CHECK(name && strcmp(name, "hist") == 0, "-> \"%s\"", name ? name : "(null)");
    coze_free(name);
    const char *wrong[] = {"a different answer"};
    name = NULL;
    CHECK_RC(coze_conversation_find_by_history(&name, bridge, "k", prompts, wrong, 1), COZE_ENOTFOUND,
             "find_by_history(another answer)");
    CHECK(name == NULL, "*out untouched");
    CHECK_RC(coze_conversation_find_by_history(&name, bridge, "no-such-key-7f3a", prompts, answers, 1), COZE_ENOKEY,
             "find_by_history with an unknown key");
    CHECK_RC(coze_conversation_find_by_history(&name, bridge, "k", NULL, NULL, 1), COZE_EINVAL,
             "find_by_history(NULL arrays, count 1)");
    CHECK_RC(coze_conversation_find_by_history(NULL, bridge, "k", prompts, answers, 1), COZE_EINVAL,
             "find_by_history(out NULL)");
    /* After a second turn the one-exchange history is a prefix, not a continuation. */
    prompt.text = "And about lakes";
    coze_answer *second = NULL;
    CHECK_RC(coze_send(&second, bridge, &prompt, timeout_ms), COZE_OK, "send the second turn of \"hist\"");
    CHECK_RC(coze_conversation_find_by_history(&name, bridge, "k", prompts, answers, 1), COZE_ENOTFOUND,
             "find_by_history(first exchange only) after a second turn");
    const char *prompts2[] = {"Tell me about rivers", "And about lakes"};
    const char *answers2[] = {answer->text, second->text};
    CHECK_RC(coze_conversation_find_by_history(&name, bridge, "k", prompts2, answers2, 2), COZE_OK,
             "find_by_history(both exchanges)");
    CHECK(name && strcmp(name, "hist") == 0, "-> \"%s\"", name ? name : "(null)");
    coze_free(name);
    coze_answer_free(answer);
    coze_answer_free(second);
    CHECK_RC(coze_conversation_delete(bridge, "k", "hist"), COZE_OK, "delete hist");
}

static void test_keepalive_and_status(coze_bridge *bridge) {
    printf("== keepalive and bot status\n");
    coze_keepalive_report *report = NULL;
    CHECK_RC(coze_keepalive(&report, bridge, "k"), COZE_OK, "keepalive(\"k\")");
    CHECK(report && report->count == 1, "1 result (%zu)", report ? report->count : 0);
    if (report && report->count == 1) {
        const coze_keepalive_result *item = &report->items[0];
        CHECK(item->status == COZE_OK, "result status %s (\"%s\")", coze_strerror(item->status),
              item->message ? item->message : "(null)");
        CHECK(item->access_key && strcmp(item->access_key, "k") == 0, "result access_key \"k\"");
        CHECK(item->conversation && strcmp(item->conversation, "keepalive") == 0,
              "result conversation \"%s\" == Keepalive_sendChannel", item->conversation ? item->conversation : "(null)");
        CHECK(item->bot && item->bot[0] && item->message && item->message[0], "result bot \"%s\", answer \"%.60s\"",
              item->bot ? item->bot : "(null)", item->message ? item->message : "(null)");
    }
    coze_keepalive_report_free(report);

    report = NULL;
    CHECK_RC(coze_keepalive(&report, bridge, NULL), COZE_OK, "keepalive(NULL)");
    CHECK(report && report->count == 0,
          "no bot has been silent for Keepalive_maxIntervalMinutes (720): %zu results", report ? report->count : 0);
    coze_keepalive_report_free(report);

    report = NULL;
    CHECK_RC(coze_keepalive(&report, bridge, "no-such-key-7f3a"), COZE_ENOKEY, "keepalive(unknown key)");
    CHECK(report == NULL, "*out untouched");

    coze_bot_status_list *status = NULL;
    CHECK_RC(coze_bot_status_get(&status, bridge), COZE_OK, "bot_status_get");
    CHECK(status && status->count == 1, "1 bot (%zu)", status ? status->count : 0);
    if (status && status->count == 1) {
        const coze_bot_status *bot = &status->items[0];
        CHECK(bot->state == COZE_BOT_READY, "state %d == COZE_BOT_READY (detail \"%s\")", bot->state,
              bot->detail ? bot->detail : "(null)");
        CHECK(bot->sender_mode && strcmp(bot->sender_mode, "bot") == 0, "sender_mode \"%s\" == \"bot\"",
              bot->sender_mode ? bot->sender_mode : "(null)");
        CHECK(bot->access_key && strcmp(bot->access_key, "k") == 0, "access_key \"k\"");
        CHECK(bot->identity && bot->identity[0], "identity \"%s\"", bot->identity ? bot->identity : "(null)");
        CHECK(bot->detail != NULL, "detail \"%s\"", bot->detail ? bot->detail : "(null)");
        CHECK(bot->available == 1 && bot->quota_exhausted_until_ms == 0, "available, no quota exhaustion");
        CHECK(bot->last_coze_activity_ms > 1600000000000LL, "last_coze_activity_ms %lld",
              (long long)bot->last_coze_activity_ms);
        CHECK(bot->in_flight_turns >= 0, "in_flight_turns %d", bot->in_flight_turns);
    }
    coze_bot_status_list_free(status);

    char *json = NULL;
    CHECK_RC(coze_bridge_statistics_json(&json, bridge), COZE_OK, "statistics_json");
    CHECK(json && strncmp(json, "{\"bots\":[{", 10) == 0, "one object per bot: %.80s", json ? json : "(null)");
    /* Turns ran, so the bot's REST client made requests and its gateway connected once, without 429s. */
    CHECK(json && strstr(json, "\"rate_limited\":0") && strstr(json, "\"connections\":1") &&
              strstr(json, "\"state\":\"ready\"") && !strstr(json, "\"attempts\":0"),
          "counters: no 429, one gateway connection, REST attempts made: %s", json ? json : "(null)");
    coze_free(json);
    CHECK_RC(coze_bridge_statistics_json(NULL, bridge), COZE_EINVAL, "statistics_json(out NULL)");
}

/* Destroy while streams are in flight: one inside a sleeping callback, one waiting for a slow reply. */
static void test_destroy_in_flight(coze_bridge *bridge) {
    printf("== destroy with streams in flight\n");
    recorder *x = recorder_new(bridge), *y = recorder_new(bridge);
    x->block_ms_in_first_delta = 500;
    CHECK_RC(start(y, bridge, "k", "destroy-slow", "Wait for it [scenario:slow]"), COZE_OK, "stream_start Y (slow)");
    CHECK_RC(start(x, bridge, "k", "destroy-busy", "Tell me about lighthouses."), COZE_OK, "stream_start X");
    CHECK(wait_first_delta(x, timeout_ms), "X's first on_delta is running (it sleeps 500 ms)");
    CHECK_STATUS(coze_stream_wait(y->stream, 50), COZE_ETIMEOUT, "stream_wait(Y, 50 ms) times out");
    double t0 = now_s();
    CHECK_RC(coze_bridge_destroy(bridge), COZE_OK, "coze_bridge_destroy with X in a callback and Y waiting");
    double took = now_s() - t0;
    /* Read the recorders without the library: the bridge is gone. */
    CHECK(frees_of(x) == 1 && frees_of(y) == 1, "destroy returned after both userdata_free ran (%.3f s)", took);
    CHECK(x->in_first_delta == 2, "X's running callback had returned before destroy did");
    CHECK(x->error_status == COZE_ECANCELLED && !x->done, "X got on_error(%s): \"%s\"", coze_strerror(x->error_status),
          x->error_message);
    CHECK(y->error_status == COZE_ECANCELLED && !y->done, "Y got on_error(%s): \"%s\"", coze_strerror(y->error_status),
          y->error_message);
    check_finished(x, "X");
    check_finished(y, "Y");
    CHECK(strcmp(events_of(x), "dEF") == 0, "X events \"%s\" == \"dEF\"", events_of(x));
    CHECK(matches(events_of(y), "^EF$"), "Y events \"%s\" == \"EF\"", events_of(y));
    /* Handles obtained before destroy stay valid until freed. */
    CHECK_STATUS(coze_stream_wait(x->stream, timeout_ms), COZE_ECANCELLED, "stream_wait(X) after destroy");
    CHECK_STATUS(coze_stream_wait(y->stream, timeout_ms), COZE_ECANCELLED, "stream_wait(Y) after destroy");
    CHECK_RC(coze_stream_cancel(y->stream), COZE_OK, "stream_cancel(Y) after destroy");
    coze_stream_free(x->stream);
    coze_stream_free(y->stream);
    CHECK(1, "stream_free after destroy");
    recorder_free(x);
    recorder_free(y);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: api_test CONFIG.yml\n");
        return 2;
    }
    const char *config_path = argv[1];
    const char *env = getenv("API_TEST_TIMEOUT_MS");
    if (env && atoi(env) > 0) timeout_ms = atoi(env);
    env = getenv("API_TEST_BLOCK_MS");
    if (env && atoi(env) > 0) block_ms = atoi(env);
    guild_id_env = getenv("API_TEST_GUILD_ID");
    if (guild_id_env && !*guild_id_env) guild_id_env = NULL;

    char dir[2048];
    snprintf(dir, sizeof dir, "%s", config_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");

    printf("api_test: library %s, header %s, timeouts %d ms\n", coze_version(), COZE_VERSION_STRING, timeout_ms);
    test_versions_and_errors();
    test_create_errors(dir);
    test_create_from_yaml(config_path, dir);

    printf("== create from file\n");
    coze_bridge_options options = COZE_BRIDGE_OPTIONS_INIT;
    options.ready_timeout_ms = timeout_ms;
    coze_bridge *bridge = NULL;
    CHECK_RC(coze_bridge_create_from_file(&bridge, config_path, &options), COZE_OK, "create_from_file(%s)", config_path);
    CHECK(bridge != NULL, "got a bridge");
    CHECK_RC(coze_bridge_wait_ready(bridge, timeout_ms), COZE_OK, "wait_ready");
    test_config_json(bridge);

    test_invalid_arguments(bridge);
    test_send(bridge);
    test_stream_plain(bridge);
    test_stream_rewrite_and_image(bridge);
    test_stream_cancel(bridge);
    test_stream_reentrancy(bridge);
    test_blocking_callback(bridge);
    test_stream_direct(bridge);
    test_conversations(bridge);
    test_keepalive_and_status(bridge);
    test_destroy_in_flight(bridge);

    printf("all %d checks passed\n", checks_passed);
    /* Diagnostic: give work the library may still run after destroy time to end before exit, to
     * tell "still running at exit" from "leaked" in valgrind's report. */
    env = getenv("API_TEST_EXIT_SLEEP_MS");
    if (env && atoi(env) > 0) sleep_ms(atoi(env));
    return 0;
}
