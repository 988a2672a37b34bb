#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into DIR/<target>/ (fuzz/run calls this).

Seeds come from the repository: the Config.yml fixtures (Tests/CozeCoreTests/Fixtures), the YAML
and JSON blocks in docs/*.md, and gateway payloads shaped like the emulator's (HELLO, READY,
MESSAGE_CREATE/UPDATE of the Coze bot with attachments, embeds and components, RECONNECT,
INVALID_SESSION), raw and as zlib-stream transport data.
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
    yaml_seeds = [p.read_bytes() for p in sorted((ROOT / "Tests/CozeCoreTests/Fixtures").glob("*.yml"))]
    yaml_seeds += [b.encode() for d in docs for b in blocks(d, "yaml")]
    for seed in yaml_seeds:
        write(out / "fuzz-config", seed)


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
