/*
 * cozebridge.h — the C API of libcozebridge (link with `pkg-config --cflags --libs cozebridge`).
 *
 * libcozebridge drives Discord identities that talk to a Coze bot inside a Discord server, one
 * channel per conversation, and streams the answers back. This header is the whole contract;
 * the library is written in Swift, but only the C types below cross its boundary.
 *
 * Conventions (those of sqlite3, libcurl and libgit2):
 *  - Every name starts with `coze_` / `COZE_`. Handles are opaque pointers.
 *  - Functions that can fail return an `int` status: COZE_OK (0) or one of the COZE_E* codes
 *    below. On failure coze_last_error() holds a sentence saying what went wrong and what to do.
 *    Out-parameters come first and are written only on success.
 *  - Ownership is explicit: everything the library allocates for the caller is released with the
 *    free function named in its documentation, never with libc free(). Everything the library
 *    passes *into* a callback is borrowed: valid until the callback returns.
 *  - Strings are UTF-8 and NUL-terminated. A `const char *` argument may be NULL only where its
 *    documentation says so; otherwise NULL gives COZE_EINVAL.
 *  - Structs the caller fills (coze_bridge_options, coze_prompt, coze_stream_callbacks) begin with
 *    `struct_size`: initialise them with their COZE_..._INIT macro so that a program compiled
 *    against this header keeps working with a later library that has appended fields.
 *
 * Threading:
 *  - Every function may be called from any thread, concurrently, with these exceptions:
 *    coze_bridge_destroy() must not race with other calls on the same bridge, and the blocking
 *    functions (marked "Blocks") must not be called from a Swift concurrency (async) context,
 *    whose small thread pool they would starve.
 *  - Stream callbacks run on a delivery thread that belongs to the stream (never on a network
 *    event-loop thread). Callbacks of one stream run one at a time, in order; callbacks of
 *    different streams may run at the same time on different threads. A callback that blocks
 *    delays only its own stream; the answer keeps arriving and is buffered meanwhile.
 *    A stream started with the COZE_STREAM_DIRECT flag skips that thread: its callbacks run on
 *    the library's own thread that has the event, network event loops included (see
 *    COZE_STREAM_DIRECT).
 *  - From inside a callback every function may be called (including coze_send(), which then
 *    blocks that stream's delivery), except coze_bridge_destroy() on the callback's own bridge and
 *    coze_stream_wait() on the callback's own stream: those return COZE_EREENTRANT.
 *
 * Lifetime: create a bridge, use it, destroy it. coze_bridge_destroy() cancels the turns still
 * running, waits until no callback is running or can start, and only then returns; handles of
 * streams and results obtained before stay valid until freed. Destroy every bridge before the
 * process exits: a delivery thread still running a callback while the process (or an
 * interpreter such as Python) finalises can crash it.
 */
#ifndef COZEBRIDGE_H
#define COZEBRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Versions
 * ------------------------------------------------------------------------------------------- */

/** Version of this header. The library's own version is returned by coze_version(). */
#define COZE_VERSION_MAJOR 0
#define COZE_VERSION_MINOR 1
#define COZE_VERSION_PATCH 0
#define COZE_VERSION_STRING "0.1.0"

/** One number that orders versions: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define COZE_VERSION_NUMBER (COZE_VERSION_MAJOR * 10000 + COZE_VERSION_MINOR * 100 + COZE_VERSION_PATCH)

/**
 * The ABI generation, also the SONAME's number (libcozebridge.so.1). It changes only when a
 * function or struct of this header changes incompatibly; additions keep it.
 */
#define COZE_ABI_VERSION 1

/**
 * The version of the library loaded at run time, as "MAJOR.MINOR.PATCH".
 *
 * The string is static: never free it. Safe from any thread.
 */
const char *coze_version(void);

/** The version of the library loaded at run time as COZE_VERSION_NUMBER computes it. */
int coze_version_number(void);

/* ---------------------------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------------------------- */

#define COZE_OK            0  /**< Success. */
#define COZE_EINVAL        1  /**< A NULL, empty or malformed argument, or a struct_size too small. */
#define COZE_ECONFIG       2  /**< The configuration was refused; the message names file, line and key. */
#define COZE_ENOKEY        3  /**< No configured bot has this access key. */
#define COZE_ENOTFOUND     4  /**< The access key has no conversation of this name. */
#define COZE_EEXISTS       5  /**< The access key already has a conversation of this name. */
#define COZE_EUNAVAILABLE  6  /**< No bot can take the turn: offline, bad token, quota spent, or removed. */
#define COZE_EPROMPT       7  /**< The prompt cannot be sent (e.g. a malformed image data URI). */
#define COZE_EDISCORD      8  /**< Discord refused a request (the message has the HTTP status and code). */
#define COZE_ENOREPLY      9  /**< The Coze bot never answered (the message says why and what to change). */
#define COZE_EQUOTA       10  /**< Coze answered with its quota / daily-limit text. */
#define COZE_ECOZE        11  /**< Coze answered with one of its error texts instead of an answer. */
#define COZE_ETIMEOUT     12  /**< A timeout passed: the caller's, or the reply's idle or overall timeout. */
#define COZE_EGONE        13  /**< A message or the channel of the turn was deleted during it. */
#define COZE_ECANCELLED   14  /**< The stream was cancelled, or its bridge destroyed. */
#define COZE_ESTORE       15  /**< The conversation store (SQLite) failed. */
#define COZE_ECLOSED      16  /**< The bridge is being destroyed. */
#define COZE_EREENTRANT   17  /**< Called from a callback where that would deadlock (see Threading). */
#define COZE_EINTERNAL    18  /**< A bug in libcozebridge; the message says where. Please report it. */

/**
 * A short, static English name of a status code ("COZE_ENOKEY: unknown access key").
 * Unknown codes give "unknown status". Never free the string. Safe from any thread.
 */
const char *coze_strerror(int status);

/**
 * The message of the last failure of a coze_ function on the calling thread, or "" if the last
 * call succeeded. The string belongs to the library and stays valid until the next coze_ call on
 * this thread; copy it to keep it. Never NULL.
 */
const char *coze_last_error(void);

/** The status code that goes with coze_last_error() (COZE_OK after a success). */
int coze_last_error_code(void);

/** Releases a string the library allocated for the caller (see coze_bridge_config_json()). NULL is fine. */
void coze_free(void *pointer);

/* ---------------------------------------------------------------------------------------------
 * The bridge
 * ------------------------------------------------------------------------------------------- */

/** A running bridge: the configured bots, their Discord sessions and the conversation store. */
typedef struct coze_bridge coze_bridge;

/** Options of coze_bridge_create_*(). Initialise with COZE_BRIDGE_OPTIONS_INIT. */
typedef struct coze_bridge_options {
    /** sizeof(coze_bridge_options) as the caller compiled it. */
    size_t struct_size;
    /** The SQLite file of the conversation store; NULL uses the configuration's (`Store_path`). */
    const char *store_path;
    /**
     * A directory holding the Java bridge's `cache_names.json` / `conversation_<Key>.json` to import
     * once at start; NULL imports nothing.
     */
    const char *legacy_import_directory;
    /**
     * How long create waits for every bot's Discord session to be ready, in milliseconds. 0 does
     * not wait (use coze_bridge_wait_ready()). A bot that is not ready in time is not an error:
     * it keeps connecting, and coze_bot_status() tells.
     */
    int ready_timeout_ms;
    /**
     * How long a turn waits for the Coze bot's first reply message before it fails with
     * COZE_ENOREPLY, in milliseconds. 0 uses the default: three times `generate_timeout`, at
     * least 60 s (Coze may queue a prompt for a while before it answers).
     */
    int first_reply_timeout_ms;
} coze_bridge_options;

#define COZE_BRIDGE_OPTIONS_INIT { sizeof(coze_bridge_options), NULL, NULL, 0, 0 }

/**
 * Loads a `Config.yml` (the Java bridge's format, see docs/configuration.md), opens the store and
 * starts every bot. Blocks (up to options->ready_timeout_ms).
 *
 * @param out      receives the bridge; release it with coze_bridge_destroy().
 * @param path     the configuration file.
 * @param options  NULL for the defaults.
 * @return COZE_OK, COZE_EINVAL, COZE_ECONFIG (message: "Config.yml:14:16: Bots[1].Server_id: …"),
 *         COZE_ESTORE.
 */
int coze_bridge_create_from_file(coze_bridge **out, const char *path, const coze_bridge_options *options);

/** As coze_bridge_create_from_file(), with the configuration given as YAML text. */
int coze_bridge_create_from_yaml(coze_bridge **out, const char *yaml, const coze_bridge_options *options);

/**
 * Waits until every bot's Discord session is ready. Blocks.
 *
 * @return COZE_OK when every bot is ready; COZE_ETIMEOUT when `timeout_ms` passed first or a bot
 *         stopped for good (its reason is in the message and in coze_bot_status()).
 */
int coze_bridge_wait_ready(coze_bridge *bridge, int timeout_ms);

/**
 * The configuration as JSON: the top-level keys of `Config.yml` when `section` is NULL, or the
 * value of the top-level key `section` (a plugin's own settings, e.g. "Plugins"). Tokens are
 * included: treat the text as secret.
 *
 * @param out  receives the JSON text; release it with coze_free().
 * @return COZE_OK, COZE_EINVAL, COZE_ENOTFOUND when the configuration has no such key.
 */
int coze_bridge_config_json(char **out, coze_bridge *bridge, const char *section);

/**
 * The plugins the configuration names (`Plugins:`), checked and normalised, as a JSON array of
 * objects {"name": text, "path": text or null, "enabled": bool, "settings": object}, in file order.
 * What a plugin host loads; settings are the plugin's own `Settings` mapping.
 *
 * @param out  receives the JSON text; release it with coze_free().
 */
int coze_bridge_plugin_list_json(char **out, coze_bridge *bridge);

/**
 * Stops the bridge and releases it: turns still running end (their streams get COZE_ECANCELLED),
 * Discord sessions close, the store is flushed. Blocks until no callback of this bridge is
 * running or can start, so userdata may be freed right after. NULL is fine (COZE_OK).
 *
 * @return COZE_OK, or COZE_EREENTRANT from inside one of this bridge's callbacks (nothing is done).
 */
int coze_bridge_destroy(coze_bridge *bridge);

/* ---------------------------------------------------------------------------------------------
 * Prompts and answers
 * ------------------------------------------------------------------------------------------- */

/** One prompt of a conversation. Initialise with COZE_PROMPT_INIT. Borrowed by the call only. */
typedef struct coze_prompt {
    /** sizeof(coze_prompt) as the caller compiled it. */
    size_t struct_size;
    /** The access key (`Key` of Config.yml) that picks the bot pool; NULL or "" for the open key. */
    const char *access_key;
    /** The conversation's name; it is created on first use. */
    const char *conversation;
    /** The text. Over 2000 characters it is sent as a `.txt` attachment. */
    const char *text;
    /** Images: http(s) URLs (sent as text), data URIs or bare base64 (uploaded). NULL when none. */
    const char *const *images;
    /** Number of entries in `images`. */
    size_t image_count;
} coze_prompt;

#define COZE_PROMPT_INIT { sizeof(coze_prompt), NULL, NULL, NULL, NULL, 0 }

/** An image of an answer. Borrowed (callbacks) or owned by its coze_answer. */
typedef struct coze_image {
    /** The address (a Discord attachment URL expires: download it soon). */
    const char *url;
    /** Where Coze put it: "embed", "attachment" or "markdown". */
    const char *source;
    /** The file name, or NULL when unknown. */
    const char *filename;
    /** The MIME type Discord gave, or NULL. */
    const char *content_type;
    /** Pixel size, 0 when unknown. */
    int width;
    int height;
} coze_image;

/** A complete answer. */
typedef struct coze_answer {
    /** The final text (UTF-8, NUL-terminated) and its length in bytes. */
    const char *text;
    size_t text_length;
    /** The images, in order of appearance. */
    const coze_image *images;
    size_t image_count;
    /** The suggestion buttons Coze offered after the answer (may be none). */
    const char *const *suggestions;
    size_t suggestion_count;
    /** How the end was detected: "suggestions" (Coze's buttons appeared) or "idle" (no change for a while). */
    const char *completion;
} coze_answer;

/**
 * Sends a prompt and waits for the whole answer. Blocks.
 *
 * The turn belongs to the bridge: when `timeout_ms` passes first (COZE_ETIMEOUT) the turn still
 * runs to its end on Discord and is recorded in its conversation.
 *
 * @param out         receives the answer; release it with coze_answer_free().
 * @param timeout_ms  how long to wait; 0 waits until the turn ends (its own idle and overall
 *                    timeouts, `Reply_*` in Config.yml, still apply).
 * @return COZE_OK or the turn's status (COZE_ENOKEY, COZE_EUNAVAILABLE, COZE_EQUOTA, COZE_ENOREPLY,
 *         COZE_ETIMEOUT, …) with the full explanation in coze_last_error().
 */
int coze_send(coze_answer **out, coze_bridge *bridge, const coze_prompt *prompt, int timeout_ms);

/** Releases an answer from coze_send(). NULL is fine. */
void coze_answer_free(coze_answer *answer);

/* ---------------------------------------------------------------------------------------------
 * Streaming
 * ------------------------------------------------------------------------------------------- */

/** A streamed turn. Release it with coze_stream_free(). */
typedef struct coze_stream coze_stream;

/**
 * What a stream calls. Initialise with COZE_STREAM_CALLBACKS_INIT; every member may be NULL.
 * All pointers passed to a callback are borrowed until it returns. `userdata` is the pointer given
 * to coze_stream_start().
 *
 * Order: on_delta / on_correction / on_image / on_suggestions any number of times, then exactly
 * one of on_done or on_error, then userdata_free, then nothing more.
 */
typedef struct coze_stream_callbacks {
    /** sizeof(coze_stream_callbacks) as the caller compiled it. */
    size_t struct_size;
    /** New text to append to what was shown (`length` bytes, also NUL-terminated). */
    void (*on_delta)(const char *text, size_t length, void *userdata);
    /**
     * Coze rewrote text already shown: replace everything shown so far with `full_text`.
     * Rare; without this callback the correction is skipped and on_done still has the exact text.
     */
    void (*on_correction)(const char *full_text, size_t length, void *userdata);
    /** An image of the answer, once per URL, as soon as it is complete. */
    void (*on_image)(const coze_image *image, void *userdata);
    /** The suggestion buttons, right before on_done. */
    void (*on_suggestions)(const char *const *suggestions, size_t count, void *userdata);
    /** The answer is complete. */
    void (*on_done)(const coze_answer *answer, void *userdata);
    /** The turn ended without an answer: a COZE_E* status and the explanation. */
    void (*on_error)(int status, const char *message, void *userdata);
    /** Called once after the last callback (also when coze_stream_start() fails after taking userdata). */
    void (*userdata_free)(void *userdata);
    /**
     * COZE_STREAM_* flags, 0 for none. A caller compiled against a header without this member
     * passes a smaller struct_size, which means 0.
     */
    unsigned int flags;
} coze_stream_callbacks;

#define COZE_STREAM_CALLBACKS_INIT { sizeof(coze_stream_callbacks), NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }

/**
 * Stream flag: run the callbacks directly on the library's thread that has the event, instead of
 * handing each one to the stream's delivery thread. This saves a thread wake-up per event, which
 * is most of the library's own latency and much of its CPU per streamed chunk.
 *
 * The price: such callbacks run on the library's network event loop (an edit of the reply) or a
 * Swift concurrency thread (the end of the turn), and hold up every stream of the same Discord
 * bot while they run. So they must be quick and must never block or wait (no I/O, no locks held
 * by threads that wait on the bridge). Every function marked "Blocks" returns
 * COZE_EREENTRANT when called from them; the non-blocking ones (coze_stream_start(),
 * coze_stream_cancel(), coze_stream_free(), …) may be called. Callbacks still run one at a time,
 * in order, and cancellation keeps its guarantees. A callback that only copies the event into a
 * queue of its own (as an asynchronous plugin does) is the intended use.
 */
#define COZE_STREAM_DIRECT 1u

/**
 * Starts a turn and returns at once; the answer arrives through `callbacks`.
 *
 * @param out        receives the stream; release it with coze_stream_free() (callbacks go on
 *                   until the end even if it is freed early — free only gives up the handle).
 * @param callbacks  copied; may be freed after the call.
 * @param userdata   passed to every callback, then to userdata_free.
 * @return COZE_OK, or COZE_EINVAL / COZE_ECLOSED when nothing was started; in that case no
 *         callback runs, not even userdata_free. Errors of the turn itself (unknown key, no bot,
 *         Coze quota…) arrive through on_error.
 */
int coze_stream_start(coze_stream **out, coze_bridge *bridge, const coze_prompt *prompt,
                      const coze_stream_callbacks *callbacks, void *userdata);

/**
 * Stops delivering the answer: no delta, image or suggestion callback starts after this returns
 * (one already running finishes), and on_error(COZE_ECANCELLED) ends the stream unless on_done or
 * on_error was already delivered. The turn itself still completes on Discord and is recorded in
 * its conversation, so the conversation's next turn follows it. Does not wait; safe from a
 * callback; cancelling twice is harmless.
 *
 * @return COZE_OK, COZE_EINVAL for NULL.
 */
int coze_stream_cancel(coze_stream *stream);

/**
 * Waits until the stream has delivered its last callback (and userdata_free returned). Blocks.
 *
 * @param timeout_ms  0 waits without limit.
 * @return the stream's outcome — COZE_OK when on_done ran, else the status given to on_error —
 *         or COZE_ETIMEOUT, or COZE_EREENTRANT from inside this stream's own callback.
 */
int coze_stream_wait(coze_stream *stream, int timeout_ms);

/** Gives up the handle (cancelling the stream if it has not ended). NULL is fine. */
void coze_stream_free(coze_stream *stream);

/* ---------------------------------------------------------------------------------------------
 * Conversations (per access key; `access_key` NULL or "" means the open key)
 * ------------------------------------------------------------------------------------------- */

/** One conversation. */
typedef struct coze_conversation {
    /** Its name, unique per access key. */
    const char *name;
    /** The Discord channel (or thread) id, and its guild, as decimal strings. */
    const char *channel_id;
    const char *guild_id;
    /** "channel" or "thread". */
    const char *kind;
    /** The identity of the bot that holds it (a conversation stays on one bot). */
    const char *bot;
    /** Unix milliseconds of creation and of the last turn. */
    int64_t created_at_ms;
    int64_t last_used_at_ms;
    /** Turns completed in it. */
    int64_t completed_turns;
} coze_conversation;

/** A list of conversations, oldest first. */
typedef struct coze_conversation_list {
    size_t count;
    const coze_conversation *items;
} coze_conversation_list;

/**
 * Creates a conversation (and its Discord channel) on the pool's least busy ready bot. Blocks.
 * @return COZE_OK, COZE_EEXISTS, COZE_ENOKEY, COZE_EUNAVAILABLE, COZE_EDISCORD, COZE_ESTORE.
 */
int coze_conversation_create(coze_bridge *bridge, const char *access_key, const char *name);

/**
 * Renames a conversation (the Discord channel keeps its id).
 * @return COZE_OK, COZE_ENOTFOUND, COZE_EEXISTS (the new name is taken), COZE_ESTORE.
 */
int coze_conversation_rename(coze_bridge *bridge, const char *access_key, const char *from, const char *to);

/**
 * Deletes a conversation and its Discord channel. Blocks (waits for a running turn of it).
 * @return COZE_OK, COZE_ENOTFOUND, COZE_EDISCORD, COZE_ESTORE.
 */
int coze_conversation_delete(coze_bridge *bridge, const char *access_key, const char *name);

/**
 * Whether the conversation exists: `*out` becomes 1 or 0.
 * @return COZE_OK, COZE_EINVAL, COZE_ESTORE.
 */
int coze_conversation_exists(int *out, coze_bridge *bridge, const char *access_key, const char *name);

/**
 * Every conversation of the access key.
 * @param out  receives the list; release it with coze_conversation_list_free().
 */
int coze_conversation_list_get(coze_conversation_list **out, coze_bridge *bridge, const char *access_key);

/** Releases a list from coze_conversation_list_get(). NULL is fine. */
void coze_conversation_list_free(coze_conversation_list *list);

/**
 * Finds the conversation an OpenAI-style client continues: the client resends the whole dialogue,
 * and the conversation whose completed turns are exactly these `count` exchanges (prompt i
 * answered by answer i, compared byte for byte) gets only the new message. Among several, the most
 * recently used wins. A conversation with further turns (the client edited or regenerated a
 * message) is not a continuation.
 *
 * @param out  receives the conversation's name; release it with coze_free().
 * @return COZE_OK, COZE_ENOTFOUND when none continues this history, COZE_ENOKEY, COZE_ESTORE.
 */
int coze_conversation_find_by_history(char **out, coze_bridge *bridge, const char *access_key,
                                      const char *const *prompts, const char *const *answers, size_t count);

/* ---------------------------------------------------------------------------------------------
 * Keepalive and status
 * ------------------------------------------------------------------------------------------- */

/** What one keepalive prompt did. */
typedef struct coze_keepalive_result {
    const char *access_key;
    /** The bot's identity and the keepalive conversation it used. */
    const char *bot;
    const char *conversation;
    /** COZE_OK when Coze answered, else the turn's status. */
    int status;
    /** The answer's text (status COZE_OK) or the error's explanation. */
    const char *message;
} coze_keepalive_result;

typedef struct coze_keepalive_report {
    size_t count;
    const coze_keepalive_result *items;
} coze_keepalive_report;

/**
 * Sends the keepalive prompt (`Keepalive_sendMessage`) now. Blocks until every answer is in.
 *
 * @param access_key  the pool to keep alive (every bot of it), or NULL for every bot whose Coze bot
 *                    has been silent longer than `Keepalive_maxIntervalMinutes` — what the
 *                    `Keepalive_timer` does on its own.
 * @param out         receives the report; release it with coze_keepalive_report_free().
 * @return COZE_OK when the prompts were sent (each result has its own status), COZE_ENOKEY.
 */
int coze_keepalive(coze_keepalive_report **out, coze_bridge *bridge, const char *access_key);

/** Releases a report from coze_keepalive(). NULL is fine. */
void coze_keepalive_report_free(coze_keepalive_report *report);

/** Bot states of coze_bot_status.state. */
#define COZE_BOT_CONNECTING 0 /**< Connecting, resuming or waiting to reconnect. */
#define COZE_BOT_READY      1 /**< Can take turns. */
#define COZE_BOT_STOPPED    2 /**< Stopped for good; `detail` says why (e.g. Discord refused the token). */

/** The health of one configured bot. */
typedef struct coze_bot_status {
    const char *access_key;
    /** The stable identity its conversations are stored under. */
    const char *identity;
    /** "bot" or "user": who posts the prompts. */
    const char *sender_mode;
    /** COZE_BOT_CONNECTING, COZE_BOT_READY or COZE_BOT_STOPPED. */
    int state;
    /** The gateway's own words on its state (the stop reason when stopped). */
    const char *detail;
    /** Turns running or queued on it. */
    int in_flight_turns;
    /** 1 when a new conversation may be placed on it (ready and within its Coze quota). */
    int available;
    /** Until when (Unix ms) it is out of its pool for a spent Coze quota; 0 when it is not. */
    int64_t quota_exhausted_until_ms;
    /** When its Coze bot last answered (Unix ms, persisted); 0 if never. */
    int64_t last_coze_activity_ms;
} coze_bot_status;

typedef struct coze_bot_status_list {
    size_t count;
    const coze_bot_status *items;
} coze_bot_status_list;

/**
 * Every configured bot's health, in configuration order. Does not block.
 * @param out  receives the list; release it with coze_bot_status_list_free().
 */
int coze_bot_status_get(coze_bot_status_list **out, coze_bridge *bridge);

/** Releases a list from coze_bot_status_get(). NULL is fine. */
void coze_bot_status_list_free(coze_bot_status_list *list);

/**
 * Counters for monitoring, as JSON: {"bots": [{"identity", "access_key", "state" ("connecting",
 * "ready" or "stopped"), "in_flight_turns", "rest": {"attempts", "rate_limited",
 * "server_error_retries", "transport_retries"}, "gateway": {"connections", "identifies", "resumes",
 * "resumed", "zombie_connections", "heartbeats_sent", "heartbeat_acks", "dispatches"}}]}, bots in
 * configuration order. Counters start at 0 when the bridge is created and only grow. Does not block.
 *
 * @param out  receives the JSON text; release it with coze_free().
 */
int coze_bridge_statistics_json(char **out, coze_bridge *bridge);

#ifdef __cplusplus
}
#endif

#endif /* COZEBRIDGE_H */
