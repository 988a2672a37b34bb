#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into DIR/<target>/ (fuzz/run calls this).

Seeds come from the repository: the Config.yml fixtures (Tests/CozeCoreTests/Fixtures), the YAML
and JSON blocks in docs/*.md, and gateway payloads shaped like the emulator's (HELLO, READY,
MESSAGE_CREATE/UPDATE of the Coze bot with attachments, embeds and components, RECONNECT,
INVALID_SESSION), raw and as zlib-stream transport data; the http plugin's chat and image request
bodies.
"""
import hashlib
import json
import pathlib
import re
import sys
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent

GATEWAY = [
    {"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None},
    {"op": 11, "d": None},
    {"op": 1, "d": None},
    {"op": 7, "d": None},
    {"op": 9, "d": False},
    {"op": 9, "d": True},
    {"op": 0, "s": 1, "t": "READY", "d": {
        "v": 10, "session_id": "abc", "resume_gateway_url": "ws://127.0.0.1:1/",
        "user": {"id": "1100000000000000001", "username": "bridge", "bot": True},
        "guilds": [{"id": "1200000000000000001", "unavailable": True}],
        "application": {"id": "1100000000000000001", "flags": 0}}},
    {"op": 0, "s": 2, "t": "RESUMED", "d": {}},
    {"op": 0, "s": 3, "t": "TYPING_START", "d": {"channel_id": "2", "user_id": "3"}},
    {"op": 0, "s": 4, "t": "MESSAGE_CREATE", "d": {
        "id": "10001", "channel_id": "2", "author": {"id": "3", "username": "Coze", "bot": True},
        "content": "Lighthouses guide ships", "message_reference": {"message_id": "1", "channel_id": "2"},
        "referenced_message": {"id": "1", "content": "<@3> hi"}, "type": 19, "embeds": [],
        "attachments": [], "components": [], "mentions": [], "flags": 0}},
    {"op": 0, "s": 5, "t": "MESSAGE_UPDATE", "d": {
        "id": "10001", "channel_id": "2", "author": {"id": "3", "username": "Coze", "bot": True},
        "content": "Lighthouses guide ships at night.\u2728 \ud83d\ude00",
        "message_reference": {"message_id": "1"},
        "attachments": [{"id": "5", "filename": "a.png", "url": "http://x/a.png", "content_type": "image/png",
                         "width": 64, "height": 64, "size": 100}],
        "embeds": [{"image": {"url": "http://x/b.png", "width": 1, "height": 1}, "type": "image"}],
        "components": [{"type": 1, "components": [{"type": 2, "label": "Tell me more", "style": 2,
                                                   "custom_id": "s1"}]}]}},
    {"op": 0, "s": 6, "t": "MESSAGE_DELETE", "d": {"id": "10001", "channel_id": "2"}},
    {"op": 0, "s": 7, "t": "CHANNEL_CREATE", "d": {"id": "7", "type": 0, "guild_id": "1200000000000000001"}},
]

# Request bodies of the http plugin's /v1/chat/completions and /v1/images/generations, shaped like
# the openai SDK's and the tests' (tests/python/test_http_plugin.py).
LINK = '\n\n![image](http://127.0.0.1:1/attachments/coze/coze-0123456789abcdef.png "coze")'
HTTP = [
    {"model": "coze", "messages": [{"role": "user", "content": "Hello!"}]},
    {"model": "coze", "stream": True, "stream_options": {"include_usage": True}, "user": "chat-1",
     "messages": [{"role": "system", "content": "Be terse."}, {"role": "developer", "content": "Really."},
                  {"role": "user", "name": "ada", "content": "first"},
                  {"role": "assistant", "content": "an answer" + LINK},
                  {"role": "user", "content": "what did I say before?"}]},
    {"model": "coze", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
        {"type": "image_url", "image_url": "https://example.com/cat.png"}]}]},
    {"model": "coze", "messages": [{"role": "user", "content": "a"}, {"role": "user", "content": None},
                                   {"role": "tool", "content": "t"}, {"role": "assistant", "content": LINK},
                                   {"role": "USER", "content": "b"}]},
    {"model": "coze", "messages": []},
    {"model": "coze", "messages": [{"role": "assistant", "content": "x"}]},
    {"model": "coze", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}]},
    {"model": "coze", "messages": [{"role": "user", "content": "Grüße 東京 👨‍👩‍👧‍👦 1234567 <|endoftext|>\r\n\t 'll"}]},
    {"prompt": "a lighthouse at night", "n": 2, "response_format": "b64_json", "model": "dall-e-3", "size": "1024x1024"},
    {"prompt": "a cat"},
    {"prompt": "  ", "n": 11, "response_format": "png"},
    # schemathesis' find: a NUL cut the prompt short in the core's C strings (now a 400)
    {"prompt": "\u0094\u0000~ a kite", "n": 1},
    {"model": "coze", "user": "a\u0000b", "messages": [{"role": "us\u0000er", "content": "x\u0000y"}]},
]

JSON_EXTRA = [
    b'[]', b'{}', b'""', b'0', b'-0.0e+0', b'1.7976931348623157e308', b'9223372036854775807',
    b'-9223372036854775808', b'18446744073709551615', b'1e400', b'"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/"',
    b'[true,false,null,{"a":[1,2.5,-3e-2]}]', b'{"a":1,"a":2}', b'  [ 1 , 2 ]  ', b'[' * 300 + b']' * 300,
]


def blocks(text, lang):
    return re.findall(r"```" + lang + r"\n(.*?)```", text, re.S)


def write(directory, data):
    directory.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    (directory / name).write_bytes(data)


def zlib_stream(messages):
    compressor = zlib.compressobj()
    return b"".join(compressor.compress(m) + compressor.flush(zlib.Z_SYNC_FLUSH) for m in messages)


def main(out):
    docs = [p.read_text() for p in sorted((ROOT / "docs").glob("*.md"))] + [(ROOT / "README.md").read_text()]
    payloads = [json.dumps(p).encode() for p in GATEWAY]
    json_seeds = payloads + JSON_EXTRA + [b.encode() for d in docs for b in blocks(d, "json")]
    for seed in json_seeds:
        write(out / "fuzz-json", seed)
    for seed in payloads:
        write(out / "fuzz-gateway", b"\x00" + seed)
        write(out / "fuzz-gateway", b"\x01\x00" + zlib_stream([seed]))
        write(out / "fuzz-gateway", b"\x01\x85" + zlib_stream([seed, payloads[1]]))
        write(out / "fuzz-gateway", b"\x02\x83" + seed + b"\n" + payloads[1])
    write(out / "fuzz-gateway", b"\x01\x80" + zlib_stream(payloads))
    for seed in HTTP:
        write(out / "fuzz-http", json.dumps(seed).encode())
        write(out / "fuzz-http", json.dumps(seed, ensure_ascii=False, indent=1).encode())
    for seed in JSON_EXTRA:
        write(out / "fuzz-http", seed)
    # the seed API's bodies: form data (percent-encoded, `+` for spaces) and lenient JSON
    for seed in [b"name=a+b%20c&prompt=hi%F0%9F%98%80&image=", b"&&=x&name&prompt=%zz%",
                 b'{"name": 12, "prompt": true, "image": null, "new_name": 1.5e300, "key": [1]}', b"{oops"]:
        write(out / "fuzz-http", seed)
    yaml_seeds = [p.read_bytes() for p in sorted((ROOT / "Tests/CozeCoreTests/Fixtures").glob("*.yml"))]
    yaml_seeds += [b.encode() for d in docs for b in blocks(d, "yaml")]
    for seed in yaml_seeds:
        write(out / "fuzz-config", seed)


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
