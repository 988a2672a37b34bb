/*
 * turnlog_harness — drives the turnlog plugin without a host: a fake coze_host_api, init with bad
 * and good settings, the observer from many threads at once, and an observer call after shutdown.
 *
 *     turnlog_harness PLUGIN.so DIRECTORY
 *
 * Checks init's refusals itself (exit 1 with a message on a mismatch); writes DIRECTORY/turns.jsonl
 * and DIRECTORY/turns.txt for the Python test to read. Prints "ok" at the end.
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cozebridge_plugin.h"

#define THREADS 8
#define PER_THREAD 200

static void (*observer)(const coze_turn_record *, void *);
static void *observer_userdata;

static void fake_log(const void *token, int level, const char *message) {
    (void)token;
    fprintf(stderr, "[turnlog log %d] %s\n", level, message);
}

static const char *fake_strerror(int status) {
    switch (status) {
    case COZE_OK: return "COZE_OK: success";
    case COZE_ENOKEY: return "COZE_ENOKEY: unknown access key";
    default: return "unknown status";
    }
}

static int fake_add_observer(const void *token, void (*fn)(const coze_turn_record *, void *), void *userdata) {
    (void)token;
    observer = fn;
    observer_userdata = userdata;
    return COZE_OK;
}

static coze_host_api make_api(void) {
    coze_host_api api;
    memset(&api, 0, sizeof api);
    api.abi_major = COZE_PLUGIN_ABI_MAJOR;
    api.abi_minor = COZE_PLUGIN_ABI_MINOR;
    api.struct_size = sizeof api;
    api.host_version = "harness";
    api.log = fake_log;
    api.strerror = fake_strerror;
    api.add_turn_observer = fake_add_observer;
    return api;
}

static const coze_plugin_v1 *plugin;
static int failures;

/* init must fail, with a message containing `expected`. */
static void expect_refusal(const coze_host_api *api, const char *settings, const char *expected) {
    void *state = NULL;
    char *error = NULL;
    int status = plugin->init(api, "token", settings, &state, &error);
    if (status == COZE_OK || !error || !strstr(error, expected)) {
        fprintf(stderr, "settings %s: expected a refusal mentioning \"%s\", got status %d, \"%s\"\n", settings,
                expected, status, error ? error : "(no message)");
        failures++;
        if (status == COZE_OK) plugin->shutdown(state);
    }
    free(error); /* as the host does: the message is malloc'ed */
}

/* The tricky texts every record carries (the test checks they come back intact). */
static const char *const PROMPT = "say \"hi\"\\ \ttab\nnewline \x01 ctrl \xE2\x80\xA8 ls \xC2\x85 nel \xC3\xBC \xE2\x9C\x93";
static const char *const ANSWER = "line one\nline two \"quoted\" \xF0\x9F\x98\x80";

static void *hammer(void *argument) {
    long thread = (long)argument;
    for (int i = 0; i < PER_THREAD; i++) {
        char conversation[64];
        snprintf(conversation, sizeof conversation, "t%ld-%d", thread, i);
        coze_turn_record record = {
            .struct_size = sizeof record, .access_key = "k", .conversation = conversation, .prompt = PROMPT,
            .status = i % 5 == 0 ? COZE_ENOKEY : COZE_OK, .answer = i % 5 == 0 ? NULL : ANSWER,
            .error = i % 5 == 0 ? "No bot has this key." : NULL, .duration_ms = i,
        };
        observer(&record, observer_userdata);
    }
    return NULL;
}

static int run_format(const char *directory, const char *format, const char *file) {
    coze_host_api api = make_api();
    char path[4096], settings[8192];
    snprintf(path, sizeof path, "%s/%s", directory, file);
    snprintf(settings, sizeof settings, "{\"Other\": [1, {\"x\": null}], \"Path\": \"%s\", \"Format\": \"%s\"}", path,
             format);
    void *state = NULL;
    char *error = NULL;
    observer = NULL;
    if (plugin->init(&api, "token", settings, &state, &error) != COZE_OK || !observer) {
        fprintf(stderr, "init with %s failed: %s\n", settings, error ? error : "(no message)");
        free(error);
        return 1;
    }
    /* A second init while running is refused (one turnlog per process). */
    expect_refusal(&api, settings, "already running");

    pthread_t threads[THREADS];
    for (long t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, hammer, (void *)t);
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    plugin->shutdown(state);

    /* After shutdown the host may still call the observer: nothing is written, nothing crashes. */
    coze_turn_record late = { sizeof late, "k", "after-shutdown", "late", COZE_OK, "late answer", NULL, 1 };
    observer(&late, observer_userdata);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: turnlog_harness PLUGIN.so DIRECTORY\n");
        return 2;
    }
    void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    coze_plugin_entry_v1_fn entry;
    *(void **)&entry = dlsym(handle, COZE_PLUGIN_ENTRY_SYMBOL);
    if (!entry || !(plugin = entry())) {
        fprintf(stderr, "no descriptor\n");
        return 1;
    }
    if (strcmp(plugin->name, "turnlog") != 0 || plugin->abi_major != COZE_PLUGIN_ABI_MAJOR ||
        plugin->struct_size != sizeof(coze_plugin_v1) || plugin->build_fingerprint != NULL) {
        fprintf(stderr, "unexpected descriptor\n");
        return 1;
    }

    coze_host_api api = make_api();
    char missing_dir[4096];
    snprintf(missing_dir, sizeof missing_dir, "{\"Path\": \"%s/no/such/dir/turns.log\"}", argv[2]);
    expect_refusal(&api, "{}", "Settings.Path is required");
    expect_refusal(&api, "{\"Path\": \"\"}", "Settings.Path is required");
    expect_refusal(&api, "{\"Path\": null}", "Settings.Path is required");
    expect_refusal(&api, "{\"Path\": 42}", "Settings.Path must be a text");
    expect_refusal(&api, "{\"Path\": \"/tmp/x\", \"Format\": \"xml\"}", "\"text\" or \"jsonl\", not \"xml\"");
    expect_refusal(&api, "{\"Path\": \"/tmp/x\", \"Format\": true}", "\"text\" or \"jsonl\"");
    expect_refusal(&api, "{\"Path\": \"/tmp/x\"", "cannot read the settings");
    expect_refusal(&api, "[]", "cannot read the settings");
    expect_refusal(&api, missing_dir, "No such file or directory");
    coze_host_api old = make_api();
    old.struct_size = offsetof(coze_host_api, add_turn_observer); /* a host table without the member */
    expect_refusal(&old, "{\"Path\": \"/tmp/x\"}", "add_turn_observer");
    coze_host_api unset = make_api();
    unset.add_turn_observer = NULL;
    expect_refusal(&unset, "{\"Path\": \"/tmp/x\"}", "add_turn_observer");

    if (run_format(argv[2], "jsonl", "turns.jsonl") != 0) return 1;
    if (run_format(argv[2], "text", "turns.txt") != 0) return 1;
    if (failures) return 1;
    printf("ok\n");
    return 0;
}
