/*
 * minijson.h — just enough JSON for the host tests' C plugins: a strict parser into a small tree
 * (for the plugins' settings) and a growable string with JSON string escaping (for their output).
 * Header-only, C11; every function is static.
 */
#ifndef COZE_TEST_MINIJSON_H
#define COZE_TEST_MINIJSON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Growable string
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t length;
    size_t capacity;
    int failed;
} mj_buf;

static void mj_reserve(mj_buf *b, size_t extra) {
    if (b->failed || b->length + extra + 1 <= b->capacity) return;
    size_t capacity = b->capacity ? b->capacity : 128;
    while (capacity < b->length + extra + 1) capacity *= 2;
    char *data = realloc(b->data, capacity);
    if (!data) {
        b->failed = 1;
        return;
    }
    b->data = data;
    b->capacity = capacity;
}

static void mj_append(mj_buf *b, const char *text, size_t length) {
    mj_reserve(b, length);
    if (b->failed) return;
    memcpy(b->data + b->length, text, length);
    b->length += length;
    b->data[b->length] = '\0';
}

static void mj_puts(mj_buf *b, const char *text) { mj_append(b, text, strlen(text)); }

static void mj_printf(mj_buf *b, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int n = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    mj_reserve(b, (size_t)n);
    if (b->failed) return;
    va_start(args, format);
    vsnprintf(b->data + b->length, (size_t)n + 1, format, args);
    va_end(args);
    b->length += (size_t)n;
}

/* A JSON string literal of `text`; NULL gives `null`. */
static void mj_quote(mj_buf *b, const char *text) {
    if (!text) {
        mj_puts(b, "null");
        return;
    }
    mj_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        char escaped[8];
        switch (*p) {
        case '"': mj_puts(b, "\\\""); break;
        case '\\': mj_puts(b, "\\\\"); break;
        case '\n': mj_puts(b, "\\n"); break;
        case '\r': mj_puts(b, "\\r"); break;
        case '\t': mj_puts(b, "\\t"); break;
        default:
            if (*p < 0x20) {
                snprintf(escaped, sizeof escaped, "\\u%04x", *p);
                mj_puts(b, escaped);
            } else {
                mj_append(b, (const char *)p, 1);
            }
        }
    }
    mj_puts(b, "\"");
}

/* ---------------------------------------------------------------------------------------------
 * Tree
 * ------------------------------------------------------------------------------------------- */

typedef enum { MJ_NULL, MJ_BOOL, MJ_NUMBER, MJ_STRING, MJ_ARRAY, MJ_OBJECT } mj_type;

typedef struct mj_value {
    mj_type type;
    int boolean;
    double number;
    char *string;          /* MJ_STRING */
    size_t count;          /* MJ_ARRAY, MJ_OBJECT */
    char **keys;           /* MJ_OBJECT */
    struct mj_value *items;
} mj_value;

typedef struct {
    const char *p;
    const char *error;
} mj_reader;

static int mj_fail(mj_reader *r, const char *why) {
    if (!r->error) r->error = why;
    return 0;
}

static void mj_space(mj_reader *r) {
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r') r->p++;
}

static void mj_utf8(mj_buf *b, uint32_t cp) {
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
    mj_append(b, out, n);
}

static int mj_hex4(mj_reader *r, uint32_t *out) {
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->p[i];
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (digit < 0) return mj_fail(r, "bad \\u escape");
        value = value * 16 + (uint32_t)digit;
    }
    r->p += 4;
    *out = value;
    return 1;
}

static char *mj_read_string(mj_reader *r) {
    mj_buf b = { 0 };
    r->p++;
    for (;;) {
        unsigned char c = (unsigned char)*r->p;
        if (c == '\0' || c < 0x20) {
            mj_fail(r, "unterminated string");
            break;
        }
        r->p++;
        if (c == '"') {
            if (b.failed) break;
            if (!b.data) mj_append(&b, "", 0);
            return b.data;
        }
        if (c != '\\') {
            char ch = (char)c;
            mj_append(&b, &ch, 1);
            continue;
        }
        char e = *r->p++;
        uint32_t cp;
        switch (e) {
        case '"': mj_puts(&b, "\""); break;
        case '\\': mj_puts(&b, "\\"); break;
        case '/': mj_puts(&b, "/"); break;
        case 'b': mj_puts(&b, "\b"); break;
        case 'f': mj_puts(&b, "\f"); break;
        case 'n': mj_puts(&b, "\n"); break;
        case 'r': mj_puts(&b, "\r"); break;
        case 't': mj_puts(&b, "\t"); break;
        case 'u':
            if (!mj_hex4(r, &cp)) goto fail;
            if (cp >= 0xD800 && cp <= 0xDBFF && r->p[0] == '\\' && r->p[1] == 'u') {
                uint32_t low;
                r->p += 2;
                if (!mj_hex4(r, &low)) goto fail;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            mj_utf8(&b, cp);
            break;
        default: mj_fail(r, "bad escape"); goto fail;
        }
    }
fail:
    free(b.data);
    return NULL;
}

static void mj_free_value(mj_value *v) {
    if (!v) return;
    free(v->string);
    for (size_t i = 0; i < v->count; i++) {
        if (v->keys) free(v->keys[i]);
        mj_free_value(&v->items[i]);
    }
    free(v->keys);
    free(v->items);
    memset(v, 0, sizeof *v);
}

static int mj_read_value(mj_reader *r, mj_value *out, int depth) {
    memset(out, 0, sizeof *out);
    mj_space(r);
    if (depth > 32) return mj_fail(r, "too deep");
    char c = *r->p;
    if (c == '"') {
        out->type = MJ_STRING;
        out->string = mj_read_string(r);
        return out->string != NULL;
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        out->type = c == '{' ? MJ_OBJECT : MJ_ARRAY;
        r->p++;
        mj_space(r);
        if (*r->p == close) {
            r->p++;
            return 1;
        }
        for (;;) {
            char *key = NULL;
            if (out->type == MJ_OBJECT) {
                mj_space(r);
                if (*r->p != '"') return mj_fail(r, "object key expected");
                key = mj_read_string(r);
                if (!key) return 0;
                mj_space(r);
                if (*r->p++ != ':') {
                    free(key);
                    return mj_fail(r, "':' expected");
                }
            }
            mj_value *items = realloc(out->items, (out->count + 1) * sizeof *items);
            char **keys = out->type == MJ_OBJECT ? realloc(out->keys, (out->count + 1) * sizeof *keys) : NULL;
            if (items) out->items = items;
            if (keys) out->keys = keys;
            if (!items || (out->type == MJ_OBJECT && !keys)) {
                free(key);
                return mj_fail(r, "out of memory");
            }
            if (keys) keys[out->count] = key;
            int ok = mj_read_value(r, &items[out->count], depth + 1);
            out->count++;
            if (!ok) return 0;
            mj_space(r);
            if (*r->p == ',') {
                r->p++;
                continue;
            }
            if (*r->p == close) {
                r->p++;
                return 1;
            }
            return mj_fail(r, "',' or closing bracket expected");
        }
    }
    if (strncmp(r->p, "true", 4) == 0 || strncmp(r->p, "false", 5) == 0) {
        out->type = MJ_BOOL;
        out->boolean = *r->p == 't';
        r->p += out->boolean ? 4 : 5;
        return 1;
    }
    if (strncmp(r->p, "null", 4) == 0) {
        out->type = MJ_NULL;
        r->p += 4;
        return 1;
    }
    char *end;
    out->number = strtod(r->p, &end);
    if (end == r->p) return mj_fail(r, "unexpected character");
    out->type = MJ_NUMBER;
    r->p = end;
    return 1;
}

/* Parses `text`; returns a tree to release with mj_release(), or NULL with `*error` set. */
static mj_value *mj_parse(const char *text, const char **error) {
    mj_reader r = { text ? text : "", NULL };
    mj_value *root = calloc(1, sizeof *root);
    if (!root) {
        *error = "out of memory";
        return NULL;
    }
    if (mj_read_value(&r, root, 0)) {
        mj_space(&r);
        if (*r.p == '\0') return root;
        mj_fail(&r, "text after the value");
    }
    *error = r.error ? r.error : "malformed JSON";
    mj_free_value(root);
    free(root);
    return NULL;
}

static void mj_release(mj_value *root) {
    mj_free_value(root);
    free(root);
}

/* The member `key` of an object, or NULL. */
static const mj_value *mj_get(const mj_value *object, const char *key) {
    if (!object || object->type != MJ_OBJECT) return NULL;
    for (size_t i = 0; i < object->count; i++) {
        if (strcmp(object->keys[i], key) == 0) return &object->items[i];
    }
    return NULL;
}

/* The text of member `key`, or `fallback` when it is absent or not a string. */
static const char *mj_text(const mj_value *object, const char *key, const char *fallback) {
    const mj_value *v = mj_get(object, key);
    return v && v->type == MJ_STRING ? v->string : fallback;
}

/* The number of member `key` (a number or a numeric string), or `fallback`. */
static double mj_number(const mj_value *object, const char *key, double fallback) {
    const mj_value *v = mj_get(object, key);
    if (v && v->type == MJ_NUMBER) return v->number;
    if (v && v->type == MJ_STRING) {
        char *end;
        double d = strtod(v->string, &end);
        if (end != v->string && *end == '\0') return d;
    }
    return fallback;
}

#endif /* COZE_TEST_MINIJSON_H */
