import DiscordWire
import NIOHTTP1

/// Discord's REST API v10 over the world: authentication, injected faults, rate limits, routes.
struct RESTRouter: Sendable {
    let world: EmulatorWorld
    let counters: EmulatorCounters
    let faults: FaultInjector
    let rateLimiter: RateLimiter

    /// Handles a request whose path starts with `/api`, `/api/v9` or `/api/v10`.
    func route(_ request: EmulatorHTTPRequest, path: [Substring]) -> EmulatorHTTPResponse {
        let authorization = request.headers.first(name: "Authorization")
        var response: EmulatorHTTPResponse
        if let fault = faults.takeServerError() {
            // After processing: Discord did the work, and only its answer is lost.
            if fault.afterProcessing { _ = answer(request, path: path, authorization: authorization) }
            response = .json(
                ["message": .string("\(fault.status): Internal Server Error"), "code": 0],
                status: HTTPResponseStatus(statusCode: fault.status))
        } else {
            response = answer(request, path: path, authorization: authorization)
        }
        response.delayMilliseconds = faults.latencyMilliseconds
        counters.recordResponse(token: authorization.map(Self.bareToken), status: Int(response.status.code))
        return response
    }

    static func bareToken(_ authorization: String) -> String {
        authorization.hasPrefix("Bot ") ? String(authorization.dropFirst(4)) : authorization
    }

    private func answer(_ request: EmulatorHTTPRequest, path: [Substring], authorization: String?) -> EmulatorHTTPResponse {
        let method = request.method.rawValue
        // `GET /gateway` is the one route Discord serves without a token.
        if method == "GET", path == ["gateway"] {
            return .json(["url": .string(world.gatewayURL)])
        }
        guard let user = world.authenticate(authorization: authorization), let authorization else {
            return .error(.unauthorized)
        }
        let templatePath = "/" + path.joined(separator: "/")
        var rateLimitHeaders: [(String, String)] = []
        switch rateLimiter.check(token: Self.bareToken(authorization), method: method, path: templatePath) {
        case .allowed(let headers):
            rateLimitHeaders = headers
        case .limited(let retryAfter, let global, let headers):
            var response = EmulatorHTTPResponse.json(
                ["message": "You are being rate limited.", "retry_after": .double(retryAfter), "global": .bool(global)],
                status: .tooManyRequests)
            response.headers += headers
            response.headers.append(("Via", "1.1 google"))
            return response
        }
        var response: EmulatorHTTPResponse
        do {
            response = try handle(request, method: method, path: path, user: user)
        } catch {
            response = .error(error)
        }
        response.headers += rateLimitHeaders
        return response
    }

    private func handle(_ request: EmulatorHTTPRequest, method: String, path: [Substring], user: EmulatedUser)
        throws(DiscordAPIError) -> EmulatorHTTPResponse
    {
        switch (method, path.count) {
        case ("GET", 2) where path == ["gateway", "bot"]:
            guard user.isBot else { throw .unauthorized }
            return .json([
                "url": .string(world.gatewayURL), "shards": 1,
                "session_start_limit": ["total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1],
            ])
        case ("GET", 2) where path == ["users", "@me"]:
            return .json(user.fullJSON)
        case ("GET", 2) where path[0] == "users":
            guard let id = Snowflake(String(path[1])), let other = world.user(id: id) else { throw .unknownUser }
            return .json(other.partialJSON)
        case ("GET", 3) where path == ["oauth2", "applications", "@me"], ("GET", 2) where path == ["applications", "@me"]:
            guard user.isBot else { throw .unauthorized }
            return .json(applicationJSON(for: user))
        default:
            break
        }
        if path.first == "guilds", path.count >= 2 {
            return try handleGuild(request, method: method, path: path)
        }
        if path.first == "channels", path.count >= 2 {
            return try handleChannel(request, method: method, path: path, user: user)
        }
        throw .notFound
    }

    private func handleGuild(_ request: EmulatorHTTPRequest, method: String, path: [Substring])
        throws(DiscordAPIError) -> EmulatorHTTPResponse
    {
        guard Snowflake(String(path[1])) == world.guildID else { throw .unknownGuild }
        switch (method, path.count) {
        case ("GET", 2):
            return .json(world.guildJSON(withCounts: request.query["with_counts"] == "true"))
        case ("GET", 3) where path[2] == "channels":
            return .json(world.guildChannelsJSON())
        case ("POST", 3) where path[2] == "channels":
            return .json(try world.createChannel(try jsonBody(request)), status: .created)
        case ("GET", 3) where path[2] == "members":
            return .json(.array(world.users.map { world.memberJSON($0) }))
        case ("GET", 4) where path[2] == "members":
            guard let id = Snowflake(String(path[3])), let member = world.user(id: id) else { throw .unknownMember }
            return .json(world.memberJSON(member))
        case ("GET", 3) where path[2] == "roles":
            return .json([world.everyoneRoleJSON])
        case ("GET", 4) where path[2] == "threads" && path[3] == "active":
            return .json(["threads": world.activeThreadsJSON(), "members": []])
        default:
            throw .notFound
        }
    }

    private func handleChannel(_ request: EmulatorHTTPRequest, method: String, path: [Substring], user: EmulatedUser)
        throws(DiscordAPIError) -> EmulatorHTTPResponse
    {
        guard let channelID = Snowflake(String(path[1])) else { throw .unknownChannel }
        switch (method, path.count) {
        case ("GET", 2):
            return .json(try world.channelJSON(channelID))
        case ("PATCH", 2):
            return .json(try world.modifyChannel(channelID, try jsonBody(request)))
        case ("DELETE", 2):
            return .json(try world.deleteChannel(channelID))
        case ("GET", 3) where path[2] == "messages":
            let query = request.query
            let limit = query["limit"].map { Int($0) ?? 0 } ?? 50
            return .json(
                try world.listMessages(
                    channelID: channelID, limit: limit, before: query["before"].flatMap { Snowflake($0) },
                    after: query["after"].flatMap { Snowflake($0) }, around: query["around"].flatMap { Snowflake($0) }))
        case ("POST", 3) where path[2] == "messages":
            let (body, files) = try messageBody(request)
            return .json(try world.createMessage(by: user, channelID: channelID, body, files: files))
        case ("POST", 3) where path[2] == "typing":
            try world.startTyping(by: user, channelID: channelID)
            return .noContent
        case ("POST", 3) where path[2] == "threads":
            return .json(try world.createThread(by: user, in: channelID, from: nil, try jsonBody(request)), status: .created)
        case (_, 4) where path[2] == "messages":
            guard let messageID = Snowflake(String(path[3])) else { throw .unknownMessage }
            switch method {
            case "GET":
                return .json(try world.messageJSON(channelID: channelID, messageID: messageID))
            case "PATCH":
                let (body, files) = try messageBody(request)
                return .json(try world.editMessage(by: user, channelID: channelID, messageID: messageID, body, files: files))
            case "DELETE":
                try world.deleteMessage(channelID: channelID, messageID: messageID)
                return .noContent
            default:
                throw .methodNotAllowed
            }
        case ("POST", 5) where path[2] == "messages" && path[4] == "threads":
            guard let messageID = Snowflake(String(path[3])) else { throw .unknownMessage }
            return .json(
                try world.createThread(by: user, in: channelID, from: messageID, try jsonBody(request)), status: .created)
        default:
            throw .notFound
        }
    }

    // MARK: Bodies

    private func jsonBody(_ request: EmulatorHTTPRequest) throws(DiscordAPIError) -> JSONValue {
        if request.body.isEmpty { return [:] }
        let contentType = request.headers.first(name: "Content-Type")?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw .invalidBody("Content-Type must be application/json")
        }
        do {
            return try JSONValue.parse(request.body)
        } catch {
            throw DiscordAPIError(status: 400, code: 50109, message: "The request body contains invalid JSON.")
        }
    }

    /// A message body: JSON, or multipart with `payload_json` and `files[n]`.
    private func messageBody(_ request: EmulatorHTTPRequest) throws(DiscordAPIError) -> (JSONValue, [UploadedFile]) {
        let contentType = request.headers.first(name: "Content-Type") ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            return (try jsonBody(request), [])
        }
        let parts: [MultipartPart]
        do {
            parts = try MultipartFormData.parse(body: request.body, contentTypeHeader: contentType)
        } catch {
            throw .invalidBody("Malformed multipart body: \(error)")
        }
        var body: JSONValue = [:]
        var files: [UploadedFile] = []
        for part in parts {
            if part.name == "payload_json" {
                guard let payload = try? JSONValue.parse(part.body) else {
                    throw DiscordAPIError(status: 400, code: 50109, message: "The request body contains invalid JSON.")
                }
                body = payload
            } else if let index = Self.fileIndex(part.name), let filename = part.filename {
                files.append(UploadedFile(index: index, filename: filename, contentType: part.contentType, bytes: part.body))
            } else if part.name == "content" {
                body["content"] = .string(String(decoding: part.body, as: UTF8.self))
            }
        }
        return (body, files.sorted { $0.index < $1.index })
    }

    /// `files[3]` → 3; the legacy single `file` part → 0.
    static func fileIndex(_ name: String) -> Int? {
        if name == "file" { return 0 }
        guard name.hasPrefix("files["), name.hasSuffix("]") else { return nil }
        return Int(name.dropFirst(6).dropLast())
    }

    private func applicationJSON(for bot: EmulatedUser) -> JSONValue {
        let flags = world.lock.withLock { world.applicationFlagsLocked() }
        return [
            "id": JSONValue(bot.id), "name": .string(bot.username), "icon": nil, "description": "", "summary": "",
            "type": nil, "bot_public": true, "bot_require_code_grant": false,
            "verify_key": .string(String(repeating: "ab", count: 32)), "flags": JSONValue(flags),
            "owner": world.owner.partialJSON, "team": nil, "rpc_origins": [], "redirect_uris": [],
            "interactions_endpoint_url": nil, "tags": [], "approximate_guild_count": 1,
            "integration_types_config": ["0": [:]], "bot": bot.fullJSON,
        ]
    }
}
