/*
 * chat — a small interactive chat with a Coze bot through libcozebridge.
 *
 *     chat CONFIG.yml [--key KEY] [--conversation NAME]
 *
 * Reads prompts from stdin, one per line, and streams each answer to stdout as it arrives.
 * Commands: `/list` lists the access key's conversations, `/quit` (or end of input) exits.
 *
 * Build:  cc -o chat chat.c $(pkg-config --cflags --libs cozebridge)
 */
#define _POSIX_C_SOURCE 200809L

#include <cozebridge.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The callbacks run on the stream's delivery thread, one at a time; main waits for the stream
 * (coze_stream_wait) before it prints anything else, so they need no locking. userdata is unused. */

static int at_line_start = 1; /* whether the last character printed to stdout was a newline */

static void print_text(const char *text, size_t length) {
    fwrite(text, 1, length, stdout);
    if (length > 0) at_line_start = text[length - 1] == '\n';
    fflush(stdout);
}

static void end_line(void) {
    if (!at_line_start) putchar('\n');
    at_line_start = 1;
}

static void on_delta(const char *text, size_t length, void *userdata) {
    (void)userdata;
    print_text(text, length);
}

static void on_correction(const char *full_text, size_t length, void *userdata) {
    (void)userdata;
    end_line();
    printf("[the bot rewrote its answer; it now reads:]\n");
    print_text(full_text, length);
}

static void on_image(const coze_image *image, void *userdata) {
    (void)userdata;
    end_line();
    printf("[image: %s]\n", image->url);
    fflush(stdout);
}

static void on_suggestions(const char *const *suggestions, size_t count, void *userdata) {
    (void)userdata;
    if (count == 0) return;
    end_line();
    printf("\nSuggestions:\n");
    for (size_t i = 0; i < count; i++) printf("  %zu. %s\n", i + 1, suggestions[i]);
    fflush(stdout);
}

static void on_done(const coze_answer *answer, void *userdata) {
    (void)answer;
    (void)userdata;
    end_line();
    printf("\n"); /* a blank line between answers */
    fflush(stdout);
}

static void on_error(int status, const char *message, void *userdata) {
    (void)userdata;
    end_line();
    fflush(stdout);
    fprintf(stderr, "error: %s: %s\n", coze_strerror(status), message ? message : "");
}

static void print_error(const char *what, int status) {
    fprintf(stderr, "%s: %s: %s\n", what, coze_strerror(status), coze_last_error());
}

static void list_conversations(coze_bridge *bridge, const char *key) {
    coze_conversation_list *list = NULL;
    int status = coze_conversation_list_get(&list, bridge, key);
    if (status != COZE_OK) {
        print_error("listing the conversations failed", status);
        return;
    }
    if (list->count == 0) printf("(no conversations yet)\n");
    for (size_t i = 0; i < list->count; i++) {
        const coze_conversation *c = &list->items[i];
        printf("%-24s %s #%s on %s, %lld turn(s)\n", c->name, c->kind, c->channel_id, c->bot,
               (long long)c->completed_turns);
    }
    coze_conversation_list_free(list);
}

static void ask(coze_bridge *bridge, const char *key, const char *conversation, const char *text) {
    coze_prompt prompt = COZE_PROMPT_INIT;
    prompt.access_key = key;
    prompt.conversation = conversation;
    prompt.text = text;

    coze_stream_callbacks callbacks = COZE_STREAM_CALLBACKS_INIT;
    callbacks.on_delta = on_delta;
    callbacks.on_correction = on_correction;
    callbacks.on_image = on_image;
    callbacks.on_suggestions = on_suggestions;
    callbacks.on_done = on_done;
    callbacks.on_error = on_error;

    coze_stream *stream = NULL;
    int status = coze_stream_start(&stream, bridge, &prompt, &callbacks, NULL);
    if (status != COZE_OK) {
        print_error("could not send the prompt", status);
        return;
    }
    coze_stream_wait(stream, 0); /* on_done / on_error already told the outcome */
    coze_stream_free(stream);
}

static void usage(FILE *to) {
    fprintf(to, "usage: chat CONFIG.yml [--key KEY] [--conversation NAME]\n"
                "Type a prompt and press Enter; /list lists conversations, /quit exits.\n");
}

int main(int argc, char **argv) {
    const char *config = NULL, *key = NULL, *conversation = "chat";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
            key = argv[++i];
        } else if (strcmp(argv[i], "--conversation") == 0 && i + 1 < argc) {
            conversation = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] != '-' && config == NULL) {
            config = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (config == NULL) {
        usage(stderr);
        return 2;
    }

    coze_bridge_options options = COZE_BRIDGE_OPTIONS_INIT;
    options.ready_timeout_ms = 30000;
    coze_bridge *bridge = NULL;
    int status = coze_bridge_create_from_file(&bridge, config, &options);
    if (status != COZE_OK) {
        print_error("cannot start the bridge", status);
        return 1;
    }
    status = coze_bridge_wait_ready(bridge, 30000);
    if (status != COZE_OK) print_error("warning: not every bot is ready", status);

    int interactive = isatty(STDIN_FILENO);
    char *line = NULL;
    size_t capacity = 0;
    for (;;) {
        if (interactive) {
            printf("%s> ", conversation);
            fflush(stdout);
        }
        ssize_t length = getline(&line, &capacity, stdin);
        if (length < 0) break; /* end of input */
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = '\0';
        if (length == 0) continue;
        if (strcmp(line, "/quit") == 0) break;
        if (strcmp(line, "/list") == 0) {
            list_conversations(bridge, key);
            continue;
        }
        ask(bridge, key, conversation, line);
    }
    free(line);

    status = coze_bridge_destroy(bridge);
    if (status != COZE_OK) {
        print_error("stopping the bridge failed", status);
        return 1;
    }
    return 0;
}
