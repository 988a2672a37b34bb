/* Streamed chunks delivered to a C callback: counts on_delta calls and the process CPU they cost.
 *
 * Usage: c_abi CONFIG.yml KEY STREAMS ROUNDS
 * Runs one warm-up round (creates the conversations), then ROUNDS rounds of STREAMS concurrent
 * streamed turns (conversations cb-0 ... cb-STREAMS-1). Prints one JSON line:
 * {"chunks", "bytes", "seconds", "cpu_seconds", "callback_ns"} for the measured rounds, where
 * callback_ns is the time spent inside on_delta (what a trivial C callback costs on its side).
 */
#define _POSIX_C_SOURCE 200809L
#include <cozebridge.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_ulong chunks, bytes, callback_ns, failures;

static unsigned long now_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (unsigned long)t.tv_sec * 1000000000UL + (unsigned long)t.tv_nsec;
}

static void on_delta(const char *text, size_t length, void *userdata) {
    unsigned long t0 = now_ns(CLOCK_MONOTONIC);
    (void)text;
    (void)userdata;
    atomic_fetch_add(&chunks, 1);
    atomic_fetch_add(&bytes, length);
    atomic_fetch_add(&callback_ns, now_ns(CLOCK_MONOTONIC) - t0);
}

static void on_error(int status, const char *message, void *userdata) {
    (void)userdata;
    atomic_fetch_add(&failures, 1);
    fprintf(stderr, "stream error %d: %s\n", status, message);
}

static int round_(coze_bridge *bridge, const char *key, int streams, int round) {
    coze_stream **handles = calloc((size_t)streams, sizeof *handles);
    coze_stream_callbacks callbacks = COZE_STREAM_CALLBACKS_INIT;
    callbacks.on_delta = on_delta;
    callbacks.on_error = on_error;
    for (int i = 0; i < streams; i++) {
        char name[32], text[96];
        snprintf(name, sizeof name, "cb-%d", i);
        snprintf(text, sizeof text, "[scenario:long] round %d, stream %d: tell me everything", round, i);
        coze_prompt prompt = COZE_PROMPT_INIT;
        prompt.access_key = key;
        prompt.conversation = name;
        prompt.text = text;
        if (coze_stream_start(&handles[i], bridge, &prompt, &callbacks, NULL) != COZE_OK) {
            fprintf(stderr, "coze_stream_start: %s\n", coze_last_error());
            return 1;
        }
    }
    for (int i = 0; i < streams; i++) {
        coze_stream_wait(handles[i], 600000);
        coze_stream_free(handles[i]);
    }
    free(handles);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s CONFIG.yml KEY STREAMS ROUNDS\n", argv[0]);
        return 2;
    }
    int streams = atoi(argv[3]), rounds = atoi(argv[4]);
    coze_bridge *bridge;
    coze_bridge_options options = COZE_BRIDGE_OPTIONS_INIT;
    options.ready_timeout_ms = 30000;
    if (coze_bridge_create_from_file(&bridge, argv[1], &options) != COZE_OK) {
        fprintf(stderr, "%s\n", coze_last_error());
        return 1;
    }
    if (round_(bridge, argv[2], streams, -1)) return 1;
    atomic_store(&chunks, 0);
    atomic_store(&bytes, 0);
    atomic_store(&callback_ns, 0);
    unsigned long wall0 = now_ns(CLOCK_MONOTONIC), cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    for (int r = 0; r < rounds; r++)
        if (round_(bridge, argv[2], streams, r)) return 1;
    unsigned long wall = now_ns(CLOCK_MONOTONIC) - wall0, cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    printf("{\"chunks\": %lu, \"bytes\": %lu, \"seconds\": %.6f, \"cpu_seconds\": %.6f, \"callback_ns\": %lu, "
           "\"failures\": %lu}\n",
           atomic_load(&chunks), atomic_load(&bytes), wall / 1e9, cpu / 1e9, atomic_load(&callback_ns),
           atomic_load(&failures));
    coze_bridge_destroy(bridge);
    return 0;
}
