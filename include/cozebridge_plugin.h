/*
 * cozebridge_plugin.h — the plugin ABI of the cozebridge host.
 *
 * A plugin is a shared object the host loads with dlopen(RTLD_NOW | RTLD_LOCAL) and never unloads
 * (Swift images cannot be unloaded safely). It exports one function whose name carries the ABI
 * generation:
 *
 *     const coze_plugin_v1 *coze_plugin_entry_v1(void);
 *
 * returning a static descriptor. The host checks the descriptor (abi_major equal to its own,
 * abi_minor not newer than its own, struct_size, a name no other plugin uses, and for Swift plugins
 * the build fingerprint), then calls init() with the host function table and the plugin's own
 * settings as JSON. A refused or failing plugin is reported, naming its file and the reason, and
 * the other plugins keep running. At shutdown the host calls shutdown() once, after its own
 * frontends stopped taking new work.
 *
 * Only C types cross this boundary: the host and the plugins reach the core through the function
 * table, so the whole process holds one copy of the core (inside libcozebridge.so).
 *
 * The table is append-only: a new member goes at the end and bumps COZE_PLUGIN_ABI_MINOR; a
 * plugin tests for a member with COZE_HOST_API_HAS() before calling it. Anything else is a new
 * major version and a new entry symbol (coze_plugin_entry_v2).
 *
 * Threading: init() and shutdown() run on the host's main thread. Every table function may be
 * called from any thread, with the rules of cozebridge.h (blocking functions not from a Swift
 * concurrency context; stream callbacks run on the stream's own delivery thread).
 */
#ifndef COZEBRIDGE_PLUGIN_H
#define COZEBRIDGE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "cozebridge.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The plugin ABI this header describes. */
#define COZE_PLUGIN_ABI_MAJOR 1
#define COZE_PLUGIN_ABI_MINOR 0

/** Log levels of coze_host_api.log. */
#define COZE_LOG_DEBUG   0
#define COZE_LOG_INFO    1
#define COZE_LOG_WARNING 2
#define COZE_LOG_ERROR   3

/** A completed turn, as coze_host_api.add_turn_observer reports it. Borrowed during the call. */
typedef struct coze_turn_record {
    size_t struct_size;
    const char *access_key;
    const char *conversation;
    const char *prompt;
    /** COZE_OK with the answer's text, or the failure's status with its explanation in `error`. */
    int status;
    const char *answer;
    const char *error;
    /** Wall-clock duration of the turn in milliseconds. */
    int64_t duration_ms;
} coze_turn_record;

/**
 * What the host gives every plugin. The bridge functions are those of cozebridge.h; `bridge` is the
 * host's one bridge, shared by all plugins (never destroy it). The pointers stay valid until the
 * plugin's shutdown() returns.
 */
typedef struct coze_host_api {
    uint32_t abi_major;
    uint32_t abi_minor;
    /** sizeof(coze_host_api) as the host compiled it: see COZE_HOST_API_HAS. */
    size_t struct_size;

    /** The host's bridge. */
    coze_bridge *bridge;
    /** The version of the host program ("0.1.0"). */
    const char *host_version;

    /** Writes a line to the host's log, tagged with the plugin's name (`plugin_token` is init()'s). */
    void (*log)(const void *plugin_token, int level, const char *message);

    /* The core API (see cozebridge.h for each). */
    const char *(*version)(void);
    const char *(*strerror)(int status);
    const char *(*last_error)(void);
    int (*last_error_code)(void);
    void (*free)(void *pointer);

    int (*send)(coze_answer **out, coze_bridge *bridge, const coze_prompt *prompt, int timeout_ms);
    void (*answer_free)(coze_answer *answer);

    int (*stream_start)(coze_stream **out, coze_bridge *bridge, const coze_prompt *prompt,
                        const coze_stream_callbacks *callbacks, void *userdata);
    int (*stream_cancel)(coze_stream *stream);
    int (*stream_wait)(coze_stream *stream, int timeout_ms);
    void (*stream_free)(coze_stream *stream);

    int (*conversation_create)(coze_bridge *bridge, const char *access_key, const char *name);
    int (*conversation_rename)(coze_bridge *bridge, const char *access_key, const char *from, const char *to);
    int (*conversation_delete)(coze_bridge *bridge, const char *access_key, const char *name);
    int (*conversation_exists)(int *out, coze_bridge *bridge, const char *access_key, const char *name);
    int (*conversation_list_get)(coze_conversation_list **out, coze_bridge *bridge, const char *access_key);
    void (*conversation_list_free)(coze_conversation_list *list);
    int (*conversation_find_by_history)(char **out, coze_bridge *bridge, const char *access_key,
                                        const char *const *prompts, const char *const *answers, size_t count);

    int (*keepalive)(coze_keepalive_report **out, coze_bridge *bridge, const char *access_key);
    void (*keepalive_report_free)(coze_keepalive_report *report);

    int (*bot_status_get)(coze_bot_status_list **out, coze_bridge *bridge);
    void (*bot_status_list_free)(coze_bot_status_list *list);

    int (*config_json)(char **out, coze_bridge *bridge, const char *section);

    /**
     * Reports every turn any plugin completes through send/stream_start of this table to
     * `observer`, after the caller got its own answer or error. Observers run one at a time on a
     * thread of the host's (so a slow observer delays no turn). `plugin_token` is init()'s: before
     * that plugin's shutdown() is called, its observers are removed and any call of them still
     * running has returned, so shutdown may free `userdata`. Returns COZE_OK.
     */
    int (*add_turn_observer)(const void *plugin_token, void (*observer)(const coze_turn_record *turn, void *userdata),
                             void *userdata);

    /** coze_bridge_statistics_json() of cozebridge.h: counters for metrics (429s, reconnects…). */
    int (*statistics_json)(char **out, coze_bridge *bridge);
} coze_host_api;

/** Whether `api` (of struct_size api->struct_size) has `member`, and it is set. */
#define COZE_HOST_API_HAS(api, member) \
    (offsetof(coze_host_api, member) + sizeof((api)->member) <= (api)->struct_size && (api)->member != NULL)

/** The descriptor a plugin returns from coze_plugin_entry_v1(). Static: the host never frees it. */
typedef struct coze_plugin_v1 {
    uint32_t abi_major;   /**< COZE_PLUGIN_ABI_MAJOR the plugin was built with. */
    uint32_t abi_minor;   /**< COZE_PLUGIN_ABI_MINOR the plugin was built with. */
    size_t struct_size;   /**< sizeof(coze_plugin_v1). */
    const char *name;     /**< Unique name, also the key of its settings in Config.yml `Plugins`. */
    const char *version;  /**< The plugin's own version. */
    /**
     * For plugins written in Swift: the Swift compiler version they were built with (Swift has no
     * stable ABI on Linux, so the host refuses a mismatch). NULL for C plugins.
     */
    const char *build_fingerprint;
    /**
     * Starts the plugin. `settings_json` is its `Settings` mapping from Config.yml as a JSON object
     * ("{}" when none); `plugin_token` identifies it to log(). Store whatever state it needs in
     * `*state_out`. Return COZE_OK, or another status with a message in `*error_out`, allocated
     * with malloc (e.g. strdup; never a string literal: the host frees it with free()); the host
     * then reports it and forgets the plugin.
     */
    int (*init)(const coze_host_api *api, const void *plugin_token, const char *settings_json, void **state_out,
                char **error_out);
    /** Stops the plugin: finish or refuse in-flight work, release what init made. */
    void (*shutdown)(void *state);
    void *reserved[4];
} coze_plugin_v1;

/** The entry symbol every plugin exports. */
#define COZE_PLUGIN_ENTRY_SYMBOL "coze_plugin_entry_v1"
typedef const coze_plugin_v1 *(*coze_plugin_entry_v1_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* COZEBRIDGE_PLUGIN_H */
