import CozeBridgeHTTPRequests
import DiscordWire

/// The OpenAPI 3.2 description of everything the plugin serves, answered at `GET /openapi.json`.
///
/// It is built in code rather than shipped as a resource, so `make install` has no bundle to copy,
/// and from the settings, so `model` lists the models this server accepts. It must say what the
/// routes do: `tests/python/test_openapi.py` runs schemathesis against it (every status, content
/// type and body the plugin sends has to be described here) and validates it as OpenAPI.
enum OpenAPIDocument {
    /// The document for a plugin with `settings`.
    static func make(settings: HTTPPluginSettings) -> JSONValue {
        [
            "openapi": "3.2.0",
            "info": info,
            "servers": [["url": "/"]],
            "tags": [
                ["name": "openai", "description": "OpenAI-compatible API (`/v1/…`); errors are OpenAI error objects."],
                ["name": "seed", "description": "The old Java bridge's API (`/api/…`): parameters from the query string, a JSON body or form data; GET and POST alike; errors as `{code, message, data: {status: false}}`."],
                ["name": "status", "description": "Health, metrics and the seed's small endpoints; no key needed."],
            ],
            "paths": .object(paths(settings)),
            "components": components(settings),
        ]
    }

    private static let info: JSONValue = [
        "title": "cozebridge http plugin",
        "version": .string(httpPluginVersion),
        "description": """
            The OpenAI-compatible API and the old bridge's API of a cozebridge host, over a Coze bot on \
            Discord. Paths match case-insensitively. With the `CORS` setting on (the default), an `OPTIONS` \
            request with an `Origin` header is answered 204 on any path. With an `IPWhiteList`, callers not \
            on it get 403 on every path. An unknown path, or a method a path does not serve, is 404 in the error shape of its API (OpenAI's \
            under `/v1/`, the seed's elsewhere). A server whose Config.yml has an open key (`Key: default` \
            or `""`) also serves requests without a key, from that pool.
            """,
    ]

    // MARK: - Paths

    private static func paths(_ settings: HTTPPluginSettings) -> [String: JSONValue] {
        var paths: [String: JSONValue] = [
            "/v1/chat/completions": ["post": chatCompletions(model: settings.models.first ?? "coze")],
            "/v1/images/generations": ["post": imageGenerations],
            "/v1/models": ["get": models],
            "/v1/models/{model}": ["get": model],
            "/health": ["get": health],
            "/metrics": ["get": metrics],
            "/Ping": ["get": ping("getPing"), "post": ping("postPing")],
            "/": ["get": root],
            "/robots.txt": ["get": robots],
            "/openapi.json": ["get": openAPI],
        ]
        for endpoint in SeedEndpoint.all {
            paths["/api/" + endpoint.name] = [
                "get": endpoint.operation(method: "get"), "post": endpoint.operation(method: "post"),
            ]
        }
        return paths
    }

    private static func chatCompletions(model: String) -> JSONValue {
        let question: JSONValue = ["role": "user", "content": "Tell me about lighthouses"]
        let examples: JSONValue = [
            "plain": ["summary": "One question", "value": ["model": .string(model), "messages": [question]]],
            "streamed": [
                "summary": "Streamed, with usage",
                "value": [
                    "model": .string(model), "stream": true, "stream_options": ["include_usage": true],
                    "messages": [["role": "system", "content": "Be brief."], question],
                ],
            ],
        ]
        return [

        "operationId": "createChatCompletion",
        "tags": ["openai"],
        "summary": "A chat completion from the Coze bot, streamed or not.",
        "description": """
            The last message (after merging consecutive messages of one role) must be a non-empty user \
            message; it is the prompt. Earlier turns select or start the conversation (see the plugin's \
            README). `image_url` parts must be http(s) URLs (sent as text) or base64 data URIs (uploaded). \
            With `stream: true` the answer is server-sent `chat.completion.chunk` events ending with \
            `data: [DONE]`; a failure after the headers is one event `data: {"error": …}` and the stream ends.
            """,
        "security": bearerOnly,
        "parameters": [[
            "name": "X-Conversation-Id", "in": "header", "required": false,
            "description": "The conversation to use (created on first use); the body's `user` does the same.",
            "schema": ["type": "string"],
        ]],
        "requestBody": [
            "required": true,
            "content": ["application/json": ["schema": ref("ChatCompletionRequest"), "examples": examples]],
        ],
        "responses": .object(openAIFailures(turn: true).merging([
            "200": [
                "description": "The answer: a `chat.completion` object, or with `stream: true` an event stream of `chat.completion.chunk` objects.",
                "headers": ["X-Conversation-Id": conversationHeader],
                "content": [
                    "application/json": ["schema": ref("ChatCompletion")],
                    "text/event-stream": [
                        "description": "`data: {chat.completion.chunk}` events, then `data: [DONE]`; a failure after the headers is one `data: {\"error\": …}` event, and the stream ends without `[DONE]`.",
                        "itemSchema": event(json: ["oneOf": [ref("ChatCompletionChunk"), ref("OpenAIError")]], done: "[DONE]"),
                    ],
                ],
            ],
            "404": openAIError("Unknown model (`model_not_found`)."),
        ]) { $1 }),
        ]
    }

    private static let imageGenerations: JSONValue = [
        "operationId": "createImage",
        "tags": ["openai"],
        "summary": "Images drawn by the Coze bot (up to `n` turns in the `ImageConversation`).",
        "security": bearerOnly,
        "requestBody": [
            "required": true,
            "content": [
                "application/json": [
                    "schema": ref("ImageGenerationRequest"),
                    "examples": [
                        "url": ["value": ["prompt": "A lighthouse at night"]],
                        "b64_json": ["value": ["prompt": "A red kite", "n": 1, "response_format": "b64_json"]],
                    ],
                ],
            ],
        ],
        "responses": .object(openAIFailures(turn: true).merging([
            "200": jsonResponse("The images.", ref("ImagesResponse")),
        ]) { $1 }),
    ]

    private static let models: JSONValue = [
        "operationId": "listModels",
        "tags": ["openai"],
        "summary": "The models of the `Models` setting.",
        "security": bearerOnly,
        "responses": .object(openAIFailures(turn: false).merging([
            "200": jsonResponse("The models.", ref("ModelList")),
        ]) { $1 }),
    ]

    private static let model: JSONValue = [
        "operationId": "retrieveModel",
        "tags": ["openai"],
        "summary": "One model, when the server accepts it.",
        "security": bearerOnly,
        "parameters": [["name": "model", "in": "path", "required": true, "schema": ["type": "string"]]],
        "responses": .object(openAIFailures(turn: false).merging([
            "200": jsonResponse("The model.", ref("Model")),
            "404": openAIError("Unknown model (`model_not_found`)."),
        ]) { $1 }),
    ]

    private static let health: JSONValue = [
        "operationId": "health",
        "tags": ["status"],
        "summary": "Every bot's state.",
        "security": [[:]],
        "parameters": [[
            "name": "ready", "in": "query", "required": false,
            "description": "`1` or `true`: answer 503 unless a bot is ready (a readiness probe).",
            "schema": ["type": "string"],
        ]],
        "responses": [
            "200": jsonResponse("The bots' state.", ref("Health")),
            "403": seedError("The caller's address is not on the IP white list."),
            "503": jsonResponse("With `ready`: no bot is ready.", ref("Health")),
            "500": seedError("An internal error."),
        ],
    ]

    private static let metrics: JSONValue = [
        "operationId": "metrics",
        "tags": ["status"],
        "summary": "Prometheus metrics (text format 0.0.4).",
        "security": [[:]],
        "responses": [
            "200": ["description": "The metrics.", "content": ["text/plain": ["schema": ["type": "string"]]]],
            "403": seedError("The caller's address is not on the IP white list."),
            "500": seedError("An internal error."),
        ],
    ]

    private static func ping(_ operationID: String) -> JSONValue {
        [
            "operationId": .string(operationID),
            "tags": ["status"],
            "summary": "The seed's liveness answer.",
            "security": [[:]],
            "responses": [
                "200": jsonResponse("Pong.", ref("Pong")),
                "403": seedError("The caller's address is not on the IP white list."),
                "500": seedError("An internal error."),
            ],
        ]
    }

    private static let root: JSONValue = [
        "operationId": "root",
        "tags": ["status"],
        "summary": "The plugin's name and the server's time.",
        "security": [[:]],
        "responses": [
            "200": jsonResponse("The server.", ref("Root")),
            "403": seedError("The caller's address is not on the IP white list."),
            "500": seedError("An internal error."),
        ],
    ]

    private static let robots: JSONValue = [
        "operationId": "robots",
        "tags": ["status"],
        "summary": "Asks crawlers to stay away.",
        "security": [[:]],
        "responses": [
            "200": ["description": "robots.txt", "content": ["text/plain": ["schema": ["type": "string"]]]],
            "403": seedError("The caller's address is not on the IP white list."),
            "500": seedError("An internal error."),
        ],
    ]

    private static let openAPI: JSONValue = [
        "operationId": "openapi",
        "tags": ["status"],
        "summary": "This document.",
        "security": [[:]],
        "responses": [
            "200": ["description": "The OpenAPI 3.2 document.", "content": ["application/json": ["schema": ["type": "object"]]]],
            "403": seedError("The caller's address is not on the IP white list."),
            "500": seedError("An internal error."),
        ],
    ]

    // MARK: - The seed's endpoints

    /// One `/api/…` endpoint: its parameters (each from the query string or the body) and the
    /// `data` of its success.
    private struct SeedEndpoint {
        var name: String
        var summary: String
        var parameters: [(name: String, description: String)]
        var data: JSONValue
        /// Failures besides the ones every seed endpoint has.
        var failures: [String: JSONValue]
        var streams = false

        static let nameParameter = (name: "name", description: "The conversation's name.")

        /// Values for schemathesis' examples phase and for readers.
        static let examples: [String: JSONValue] = [
            "name": "openapi-example", "new_name": "openapi-example-renamed", "prompt": "Tell me about lighthouses",
        ]

        static let all: [SeedEndpoint] = [
            SeedEndpoint(
                name: "CreateConversation", summary: "Creates a conversation (default name: 16 random hex digits).",
                parameters: [nameParameter], data: ref("SeedConversation"),
                failures: turnFailures.merging(["409": seedError("The name is taken.")]) { $1 }),
            SeedEndpoint(
                name: "DeleteConversation", summary: "Deletes a conversation and its channel.",
                parameters: [nameParameter], data: ref("SeedStatus"),
                failures: turnFailures.merging([
                    "400": seedError("`name` is missing, or the body is not valid JSON."),
                    "404": seedError("No conversation has this name."),
                ]) { $1 }),
            SeedEndpoint(
                name: "RenameConversation", summary: "Renames a conversation (the channel keeps its name).",
                parameters: [nameParameter, (name: "new_name", description: "The new name.")], data: ref("SeedRenamed"),
                failures: turnFailures.merging([
                    "400": seedError("`name` or `new_name` is missing, or the body is not valid JSON."),
                    "404": seedError("No conversation has this name."),
                    "409": seedError("The new name is taken."),
                ]) { $1 }),
            SeedEndpoint(
                name: "GetConversations", summary: "Every conversation of the key: name → channel id.",
                parameters: [], data: ["type": "object", "additionalProperties": ["type": "string"]],
                failures: coreFailures),
            SeedEndpoint(
                name: "ConversationIsFound", summary: "Whether a conversation exists (200 either way).",
                parameters: [nameParameter], data: ref("SeedFound"),
                failures: coreFailures.merging(["400": seedError("`name` is missing, or the body is not valid JSON.")]) { $1 }),
            SeedEndpoint(
                name: "Chat", summary: "One turn; the whole answer.",
                parameters: chatParameters, data: ref("SeedAnswer"),
                failures: turnFailures.merging([
                    "400": seedError("`prompt` is missing, the body is not valid JSON, or the image is not base64."),
                ]) { $1 }),
            SeedEndpoint(
                name: "ChatStream", summary: "One turn, streamed as server-sent events.",
                parameters: chatParameters, data: ref("SeedAnswer"),
                failures: turnFailures.merging([
                    "400": seedError("`prompt` is missing, the body is not valid JSON, or the image is not base64."),
                ]) { $1 },
                streams: true),
            SeedEndpoint(
                name: "Keepalive", summary: "Sends the keepalive prompt to every bot of the key now.",
                parameters: [], data: ref("SeedKeepalive"), failures: turnFailures),
            SeedEndpoint(
                name: "IsBotOnline", summary: "Whether a bot of the key has a ready Discord session.",
                parameters: [], data: ref("SeedStatus"), failures: coreFailures),
        ]

        static let chatParameters: [(name: String, description: String)] = [
            (name: "name", description: "The conversation (default `default`; created on first use)."),
            (name: "prompt", description: "The prompt (required)."),
            (name: "image", description: "An image to upload: base64, or a base64 data URI."),
        ]

        /// Failures of any endpoint that reads the core (the key's pool, the store).
        static let coreFailures: [String: JSONValue] = [
            "400": seedError("The body is not valid JSON."),
            "401": seedError("No key, or a key no bot has."),
            "403": seedError("The caller's address is not on the IP white list."),
            "413": seedError("The body is larger than `MaxBodyBytes`."),
            "500": seedError("A store failure or an internal error."),
        ]

        /// Failures of endpoints that run a turn or talk to Discord.
        static let turnFailures: [String: JSONValue] = coreFailures.merging([
            "429": seedError("Coze's quota text: the bot rests until the quota resets."),
            "502": seedError("Coze never answered, answered with an error, or Discord refused."),
            "503": seedError("No bot can take the turn, or the server is shutting down."),
            "504": seedError("The turn timed out."),
        ]) { $1 }

        func operation(method: String) -> JSONValue {
            var operation: [String: JSONValue] = [
                "operationId": .string(method + name),
                "tags": ["seed"],
                "summary": .string(summary),
                "security": seedSecurity,
                "parameters": .array(parameters.map { parameter in
                    var query: [String: JSONValue] = [
                        "name": .string(parameter.name), "in": "query", "required": false,
                        "description": .string(parameter.description), "schema": ["type": "string"],
                    ]
                    query["example"] = Self.examples[parameter.name]
                    return .object(query)
                }),
                "responses": .object(failures.merging(["200": success]) { $1 }),
            ]
            if method == "post" {
                var members: [String: JSONValue] = [:]
                for parameter in parameters {
                    members[parameter.name] = [
                        "description": .string(parameter.description + " Numbers and booleans count as their text; null, arrays and objects as absent."),
                        "type": ["string", "number", "boolean", "null", "array", "object"],
                    ]
                }
                var form: [String: JSONValue] = [:]
                for parameter in parameters { form[parameter.name] = ["type": "string"] }
                operation["requestBody"] = [
                    "required": false,
                    "description": "The parameters, over the query string's. An empty body is fine; a body that does not start with `{` is read as form data whatever its Content-Type.",
                    "content": [
                        "application/json": [
                            "schema": ["type": "object", "properties": .object(members)],
                            "example": .object(Self.examples.filter { name, _ in parameters.contains { $0.name == name } }),
                        ],
                        "application/x-www-form-urlencoded": ["schema": ["type": "object", "properties": .object(form)]],
                    ],
                ]
            }
            return .object(operation)
        }

        private var success: JSONValue {
            if streams {
                return [
                    "description": "`data: {code: 200, message: \"Generating.\", data: {prompt_all, prompt_new, done: false, rewritten?}}` events, then `data: {code: 200, message: \"Success.\", data: {prompt, files, done: true}}`; a failure after the headers is `data: {code, message, data: {status: false, done: true}}`.",
                    "content": ["text/event-stream": ["itemSchema": event(json: ref("SeedStreamEvent"), done: nil)]],
                ]
            }
            return jsonResponse("Done.", [
                "type": "object", "required": ["code", "message", "data"],
                "properties": ["code": ["const": 200], "message": ["type": "string"], "data": data],
            ])
        }
    }

    // MARK: - Pieces

    private static let bearerOnly: JSONValue = [["bearer": []]]

    private static let seedSecurity: JSONValue = [["bearer": []], ["keyHeader": []], ["keyQuery": []]]

    private static let conversationHeader: JSONValue = [
        "description": "The conversation the turn went to.", "schema": ["type": "string"],
    ]

    /// One server-sent event (OpenAPI 3.2's `itemSchema` of `text/event-stream`) whose `data` is
    /// JSON of `json`, or the literal `done`.
    private static func event(json: JSONValue, done: String?) -> JSONValue {
        var data: [String: JSONValue] = ["type": "string"]
        let content: JSONValue = ["contentMediaType": "application/json", "contentSchema": json]
        if let done {
            data["if"] = ["const": .string(done)]
            data["else"] = content
        } else {
            data.merge(content.objectValue ?? [:]) { $1 }
        }
        return ["type": "object", "required": ["data"], "properties": ["data": .object(data)]]
    }

    private static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/" + name)]
    }

    private static func jsonResponse(_ description: String, _ schema: JSONValue) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": schema]]]
    }

    private static func openAIError(_ description: String) -> JSONValue {
        jsonResponse(description, ref("OpenAIError"))
    }

    private static func seedError(_ description: String) -> JSONValue {
        jsonResponse(description, ref("SeedError"))
    }

    /// The failures of an OpenAI endpoint; `turn` adds the body's and the turn's.
    private static func openAIFailures(turn: Bool) -> [String: JSONValue] {
        var failures: [String: JSONValue] = [
            "401": openAIError("No key and no open key, or a key no bot has (`invalid_api_key`)."),
            "403": openAIError("The caller's address is not on the IP white list (`ip_not_allowed`)."),
            "500": openAIError("An internal error (`internal_error`, `store_error`)."),
        ]
        if turn {
            failures.merge([
                "400": openAIError("The body is not valid JSON for this endpoint (`invalid_json`), or a value is unusable (`param` names it; `invalid_text` for a NUL character, `invalid_prompt`, `invalid_request`)."),
                "413": openAIError("The body is larger than `MaxBodyBytes` (`body_too_large`)."),
                "429": openAIError("Coze's quota text (`coze_quota`, type `insufficient_quota`)."),
                "502": openAIError("Coze never answered, answered with an error or without an image, or Discord refused (`no_reply`, `coze_error`, `no_image`, `discord_error`, `conversation_gone`)."),
                "503": openAIError("No bot can take the turn, or the server is shutting down (`bot_unavailable`, `shutting_down`)."),
                "504": openAIError("The turn timed out (`timeout`)."),
            ]) { $1 }
        }
        return failures
    }

    // MARK: - Components

    private static func components(_ settings: HTTPPluginSettings) -> JSONValue {
        var schemas = openAISchemas(settings)
        schemas.merge(statusSchemas) { $1 }
        schemas.merge(seedSchemas) { $1 }
        return [
            "securitySchemes": [
                "bearer": [
                    "type": "http", "scheme": "bearer",
                    "description": "One of the `Bots[].Key` of Config.yml; it selects the bot pool.",
                ],
                "keyHeader": ["type": "apiKey", "in": "header", "name": "key", "description": "The seed's `key` header."],
                "keyQuery": ["type": "apiKey", "in": "query", "name": "key", "description": "The seed's `key` parameter (also read from the body)."],
            ],
            "schemas": .object(schemas),
        ]
    }

    private static let nullableString: JSONValue = ["type": ["string", "null"]]

    private static func openAISchemas(_ settings: HTTPPluginSettings) -> [String: JSONValue] {
        var model: [String: JSONValue] = [
            "type": "string",
            "description": .string("A model of the `Models` setting; others get 404 `model_not_found`. It does not choose the conversation."),
        ]
        if !settings.acceptsAnyModel { model["enum"] = .array(settings.models.map(JSONValue.string)) }
        let usage: JSONValue = [
            "type": "object", "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
            "properties": [
                "prompt_tokens": ["type": "integer", "minimum": 0],
                "completion_tokens": ["type": "integer", "minimum": 0],
                "total_tokens": ["type": "integer", "minimum": 0],
            ],
        ]
        let chatRequest: JSONValue = [
            "type": "object", "required": ["model", "messages"],
            "description": "Other members of OpenAI's request are accepted and ignored.",
            "properties": [
                "model": .object(model),
                "messages": ["type": "array", "items": ref("ChatMessage")],
                "stream": ["type": ["boolean", "null"]],
                "stream_options": [
                    "type": ["object", "null"],
                    "properties": ["include_usage": ["type": ["boolean", "null"]]],
                ],
                "user": [
                    "type": ["string", "null"],
                    "description": "A conversation name, as the `X-Conversation-Id` header (which wins).",
                ],
            ],
        ]
        let message: JSONValue = [
            "type": "object", "required": ["role"],
            "properties": [
                "role": [
                    "type": "string",
                    "description": "`user`, `assistant`, `system` or `developer` (both go first in a new conversation's prompt), or any other role (kept as a turn).",
                ],
                "content": [
                    "oneOf": [["type": "string"], ["type": "array", "items": ref("ChatContentPart")], ["type": "null"]],
                ],
                "name": nullableString,
            ],
        ]
        let part: JSONValue = [
            "type": "object", "required": ["type"],
            "description": "`{\"type\": \"text\", \"text\": …}` or `{\"type\": \"image_url\", \"image_url\": {\"url\": …}}`; parts are read by their members, whatever `type` says.",
            "properties": [
                "type": ["type": "string"],
                "text": nullableString,
                "image_url": [
                    "oneOf": [
                        ["type": "object", "required": ["url"], "properties": ["url": ["type": "string"]]],
                        ["type": "string"], ["type": "null"],
                    ],
                ],
            ],
        ]
        let completion: JSONValue = [
            "type": "object",
            "required": ["id", "object", "created", "model", "choices", "usage", "system_fingerprint"],
            "properties": [
                "id": ["type": "string"], "object": ["const": "chat.completion"], "created": ["type": "integer"],
                "model": ["type": "string"], "system_fingerprint": ["type": "null"],
                "choices": [
                    "type": "array", "minItems": 1, "maxItems": 1,
                    "items": [
                        "type": "object", "required": ["index", "message", "logprobs", "finish_reason"],
                        "properties": [
                            "index": ["const": 0],
                            "message": [
                                "type": "object", "required": ["role", "content", "refusal"],
                                "properties": ["role": ["const": "assistant"], "content": ["type": "string"], "refusal": ["type": "null"]],
                            ],
                            "logprobs": ["type": "null"], "finish_reason": ["const": "stop"],
                        ],
                    ],
                ],
                "usage": usage,
            ],
        ]
        let chunk: JSONValue = [
            "type": "object", "required": ["id", "object", "created", "model", "choices", "system_fingerprint"],
            "description": "One event of a streamed completion: the role first, content deltas, `finish_reason: \"stop\"`, then with `stream_options.include_usage` a chunk without choices carrying `usage`.",
            "properties": [
                "id": ["type": "string"], "object": ["const": "chat.completion.chunk"], "created": ["type": "integer"],
                "model": ["type": "string"], "system_fingerprint": ["type": "null"],
                "choices": [
                    "type": "array", "maxItems": 1,
                    "items": [
                        "type": "object", "required": ["index", "delta", "logprobs", "finish_reason"],
                        "properties": [
                            "index": ["const": 0],
                            "delta": [
                                "type": "object",
                                "properties": ["role": ["const": "assistant"], "content": ["type": "string"]],
                            ],
                            "logprobs": ["type": "null"],
                            "finish_reason": ["enum": ["stop", nil]],
                        ],
                    ],
                ],
                "usage": usage,
            ],
        ]
        let imageRequest: JSONValue = [
            "type": "object", "required": ["prompt"],
            "properties": [
                "prompt": ["type": "string", "description": "What to draw; not blank. Put between `ImagePromptPrefix` and `ImagePromptSuffix`."],
                "n": ["type": ["integer", "null"], "minimum": 1, "maximum": JSONValue(ImageGenerationRequest.maximumCount)],
                "response_format": [
                    "enum": ["url", "b64_json", nil],
                    "description": "`b64_json`: the plugin downloads the image at once (Discord attachment URLs expire).",
                ],
                "model": ["type": ["string", "null"], "description": "Ignored."],
                "size": ["type": ["string", "null"], "description": "Ignored: the Coze bot decides."],
            ],
        ]
        let images: JSONValue = [
            "type": "object", "required": ["created", "data"],
            "properties": [
                "created": ["type": "integer"],
                "data": [
                    "type": "array", "minItems": 1,
                    "items": [
                        "type": "object", "required": ["revised_prompt"],
                        "properties": [
                            "url": ["type": "string"], "b64_json": ["type": "string", "contentEncoding": "base64"],
                            "revised_prompt": ["type": "string"],
                        ],
                        "oneOf": [["required": ["url"]], ["required": ["b64_json"]]],
                    ],
                ],
            ],
        ]
        let modelObject: JSONValue = [
            "type": "object", "required": ["id", "object", "created", "owned_by"],
            "properties": [
                "id": ["type": "string"], "object": ["const": "model"], "created": ["type": "integer"],
                "owned_by": ["type": "string"],
            ],
        ]
        let error: JSONValue = [
            "type": "object", "required": ["error"],
            "description": "OpenAI's error object.",
            "properties": [
                "error": [
                    "type": "object", "required": ["message", "type", "param", "code"],
                    "properties": [
                        "message": ["type": "string"], "type": ["type": "string"],
                        "param": nullableString, "code": nullableString,
                    ],
                ],
            ],
        ]
        return [
            "ChatCompletionRequest": chatRequest, "ChatMessage": message, "ChatContentPart": part,
            "ChatCompletion": completion, "ChatCompletionChunk": chunk, "Usage": usage,
            "ImageGenerationRequest": imageRequest, "ImagesResponse": images,
            "Model": modelObject,
            "ModelList": [
                "type": "object", "required": ["object", "data"],
                "properties": ["object": ["const": "list"], "data": ["type": "array", "items": ref("Model")]],
            ],
            "OpenAIError": error,
        ]
    }

    private static let statusSchemas: [String: JSONValue] = [
        "Health": [
            "type": "object", "required": ["status", "version", "bots"],
            "properties": [
                "status": ["enum": ["ok", "degraded"]],
                "version": ["type": "string"],
                "bots": [
                    "type": "array",
                    "items": [
                        "type": "object",
                        "required": ["key", "identity", "state", "detail", "available", "in_flight_turns", "sender_mode", "last_coze_activity_ms"],
                        "properties": [
                            "key": ["type": "string"], "identity": ["type": "string"], "state": ["type": "string"],
                            "detail": ["type": "string"], "available": ["type": "boolean"],
                            "in_flight_turns": ["type": "integer"], "sender_mode": ["type": "string"],
                            "last_coze_activity_ms": ["type": "integer"],
                        ],
                    ],
                ],
            ],
        ],
        "Pong": [
            "type": "object", "required": ["code", "message"],
            "properties": ["code": ["const": 200], "message": ["const": "Pong!"]],
        ],
        "Root": [
            "type": "object", "required": ["code", "message", "data"],
            "properties": [
                "code": ["const": 200], "message": ["type": "string"],
                "data": ["type": "object", "required": ["now"], "properties": ["now": ["type": "integer"]]],
            ],
        ],
    ]

    private static let seedSchemas: [String: JSONValue] = [
        "SeedError": [
            "type": "object", "required": ["code", "message", "data"],
            "description": "The seed's error shape; `code` is the HTTP status.",
            "properties": [
                "code": ["type": "integer"], "message": ["type": "string"],
                "data": ["type": "object", "required": ["status"], "properties": ["status": ["const": false]]],
            ],
        ],
        "SeedConversation": [
            "type": "object", "required": ["conversation_id", "conversation_name"],
            "properties": ["conversation_id": ["type": "string"], "conversation_name": ["type": "string"]],
        ],
        "SeedRenamed": [
            "type": "object", "required": ["status", "conversation_id", "conversation_name"],
            "properties": [
                "status": ["const": true], "conversation_id": ["type": "string"], "conversation_name": ["type": "string"],
            ],
        ],
        "SeedStatus": [
            "type": "object", "required": ["status"], "properties": ["status": ["type": "boolean"]],
        ],
        "SeedFound": [
            "type": "object", "required": ["status", "conversation_name"],
            "properties": [
                "status": ["type": "boolean"], "conversation_name": ["type": "string"],
                "conversation_id": ["type": "string", "description": "When the conversation exists."],
            ],
        ],
        "SeedAnswer": [
            "type": "object", "required": ["prompt", "files", "done"],
            "properties": [
                "prompt": ["type": "string", "description": "The answer's text."],
                "files": ["type": "array", "items": ["type": "string"], "description": "The answer's image URLs."],
                "done": ["const": true],
            ],
        ],
        "SeedStreamEvent": [
            "oneOf": [
                [
                    "type": "object", "required": ["code", "message", "data"],
                    "description": "Progress: the whole text so far and the new part (a rewrite by Coze: `prompt_new` empty, `rewritten: true`).",
                    "properties": [
                        "code": ["const": 200], "message": ["const": "Generating."],
                        "data": [
                            "type": "object", "required": ["prompt_all", "prompt_new", "done"],
                            "properties": [
                                "prompt_all": ["type": "string"], "prompt_new": ["type": "string"],
                                "done": ["const": false], "rewritten": ["const": true],
                            ],
                        ],
                    ],
                ],
                [
                    "type": "object", "required": ["code", "message", "data"],
                    "description": "The answer: the last event.",
                    "properties": [
                        "code": ["const": 200], "message": ["const": "Success."],
                        "data": ["$ref": "#/components/schemas/SeedAnswer"],
                    ],
                ],
                [
                    "type": "object", "required": ["code", "message", "data"],
                    "description": "A failure after the headers: the last event.",
                    "properties": [
                        "code": ["type": "integer", "minimum": 400], "message": ["type": "string"],
                        "data": [
                            "type": "object", "required": ["status", "done"],
                            "properties": ["status": ["const": false], "done": ["const": true]],
                        ],
                    ],
                ],
            ],
        ],
        "SeedKeepalive": [
            "type": "object", "required": ["results"],
            "properties": [
                "results": [
                    "type": "array",
                    "items": [
                        "type": "object", "required": ["key", "bot", "conversation", "ok", "status", "message"],
                        "properties": [
                            "key": ["type": "string"], "bot": ["type": "string"], "conversation": ["type": "string"],
                            "ok": ["type": "boolean"], "status": ["type": "string"], "message": ["type": "string"],
                        ],
                    ],
                ],
            ],
        ],
    ]
}
