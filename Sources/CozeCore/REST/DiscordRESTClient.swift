import AsyncHTTPClient
import DiscordWire
import Foundation

/// A Discord REST v10 client for one token, built to run unattended for months.
///
/// - Every request goes through a ``RESTRateLimiter`` (proactive global limit, FIFO per bucket),
///   so a burst is queued rather than answered with avoidable 429s, and requests to one bucket
///   (e.g. messages into one channel) are sent in the order they were made.
/// - 429s from Discord are waited out and retried; 5xx and connection failures are retried with
///   exponential backoff and jitter, up to a bound; 4xx become a ``DiscordHTTPError`` at once.
/// - It owns its `HTTPClient`; call ``shutdown()`` when done.
///
/// ```swift
/// let client = DiscordRESTClient(configuration: .init(token: token))
/// let message = try await client.createMessage(channelID: channel, payload: ["content": "hi"])
/// try await client.shutdown()
/// ```
public final class DiscordRESTClient: Sendable {
    /// How the token is presented.
    public enum TokenKind: String, Sendable, Hashable {
        /// `Authorization: Bot <token>` (the bridge bot).
        case bot
        /// The bare token, as Discord's own clients send a user token (sender mode `user`).
        case user
    }

    /// Everything the client needs to know; the defaults suit real Discord.
    public struct Configuration: Sendable {
        /// The token (without any `Bot ` prefix).
        public var token: String
        /// Bot or user token.
        public var tokenKind: TokenKind
        /// The API base, without a trailing slash; point it at the emulator in tests.
        public var baseURL: String
        /// An HTTP CONNECT or SOCKS5 proxy for every request.
        public var proxy: DiscordProxy?
        /// The `User-Agent`; Discord asks for `DiscordBot (URL, version)`.
        public var userAgent: String
        /// How long one attempt may take, from sending to the last byte of the answer.
        public var requestTimeout: Duration
        /// How long establishing a connection (including the proxy handshake) may take.
        public var connectTimeout: Duration
        /// Retries after a 5xx before giving up with ``DiscordHTTPError/Kind/serverError``.
        public var maxServerErrorRetries: Int
        /// Retries after a connection failure or timeout before giving up.
        public var maxTransportRetries: Int
        /// Retries after Discord 429s before giving up with ``DiscordHTTPError/Kind/rateLimited``.
        /// The limiter makes 429s rare, so reaching this means something is badly off.
        public var maxRateLimitRetries: Int
        /// The first backoff delay; it doubles per retry, with jitter, up to ``retryMaxDelay``.
        public var retryBaseDelay: Duration
        /// The longest backoff delay.
        public var retryMaxDelay: Duration
        /// The largest answer accepted (Discord's are far smaller; this bounds memory).
        public var maxResponseBytes: Int
        /// The limiter's settings, used when the client creates its own limiter.
        public var rateLimits: RESTRateLimiter.Configuration

        public init(
            token: String, tokenKind: TokenKind = .bot, baseURL: String = "https://discord.com/api/v10",
            proxy: DiscordProxy? = nil, userAgent: String = DiscordRESTClient.defaultUserAgent,
            requestTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10),
            maxServerErrorRetries: Int = 5, maxTransportRetries: Int = 3, maxRateLimitRetries: Int = 10,
            retryBaseDelay: Duration = .seconds(1), retryMaxDelay: Duration = .seconds(30),
            maxResponseBytes: Int = 32 << 20, rateLimits: RESTRateLimiter.Configuration = .init()
        ) {
            self.token = token
            self.tokenKind = tokenKind
            self.baseURL = baseURL
            self.proxy = proxy
            self.userAgent = userAgent
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.maxServerErrorRetries = maxServerErrorRetries
            self.maxTransportRetries = maxTransportRetries
            self.maxRateLimitRetries = maxRateLimitRetries
            self.retryBaseDelay = retryBaseDelay
            self.retryMaxDelay = retryMaxDelay
            self.maxResponseBytes = maxResponseBytes
            self.rateLimits = rateLimits
        }
    }

    /// A request body.
    public enum Body: Sendable {
        case none
        case json(JSONValue)
        case multipart(MultipartBody)
    }

    /// A successful answer.
    public struct Response: Sendable {
        /// HTTP status (2xx).
        public var status: Int
        /// Response headers, in order.
        public var headers: [(name: String, value: String)]
        /// The raw body.
        public var body: [UInt8]

        /// The body as JSON; `.null` for an empty body (204).
        public func json() throws -> JSONValue {
            body.isEmpty ? .null : try JSONValue.parse(body)
        }
    }

    /// Counters since the client was created, for monitoring.
    public struct Statistics: Sendable, Hashable {
        /// HTTP attempts sent (retries included).
        public var attempts = 0
        /// Discord 429 answers received.
        public var rateLimited = 0
        /// Retries after a 5xx.
        public var serverErrorRetries = 0
        /// Retries after a connection failure or timeout.
        public var transportRetries = 0
    }

    /// `DiscordBot (https://github.com/cozebridge/cozebridge, <version>)`.
    public static let defaultUserAgent = "DiscordBot (https://github.com/cozebridge/cozebridge, \(CozeCoreVersion.string))"

    /// The configuration the client was made with.
    public let configuration: Configuration
    /// The limiter every request of this client passes; share it between clients of one token.
    public let rateLimiter: RESTRateLimiter
    private let ownsRateLimiter: Bool
    private let httpClient: HTTPClient
    private let authorization: String
    private let baseURL: String
    private let statisticsBox = StatisticsBox()

    /// Creates a client with its own `HTTPClient`.
    ///
    /// - Parameter rateLimiter: a limiter to share with other clients of the same token; by
    ///   default the client makes its own from `configuration.rateLimits`.
    public init(configuration: Configuration, rateLimiter: RESTRateLimiter? = nil) {
        self.configuration = configuration
        self.rateLimiter = rateLimiter ?? RESTRateLimiter(configuration: configuration.rateLimits)
        self.ownsRateLimiter = rateLimiter == nil
        let token = configuration.token.hasPrefix("Bot ") ? String(configuration.token.dropFirst(4)) : configuration.token
        self.authorization = configuration.tokenKind == .bot ? "Bot \(token)" : token
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        var httpConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .nanoseconds(Self.nanoseconds(configuration.connectTimeout)),
                read: .nanoseconds(Self.nanoseconds(configuration.requestTimeout))),
            proxy: configuration.proxy?.asyncHTTPClientProxy)
        // Discord closes idle keep-alive connections after a while; don't hand out stale ones.
        httpConfiguration.connectionPool = .init(idleTimeout: .seconds(50))
        self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    }

    /// Stops the limiter (if the client made it) and shuts the `HTTPClient` down. Requests still
    /// waiting fail; call this once, after the last request.
    public func shutdown() async throws {
        if ownsRateLimiter { rateLimiter.shutdown() }
        try await httpClient.shutdown()
    }

    deinit {
        // A client dropped without shutdown() (a caller's early exit on an error) must not take the
        // process down: AsyncHTTPClient traps on a client deallocated while running. Shutting down
        // an already shut-down client only reports an error to this ignored callback.
        httpClient.shutdown { _ in }
    }

    /// Counters since creation.
    public var statistics: Statistics { statisticsBox.value }

    // MARK: - Requests

    /// Sends `route` with `body`, waiting for the rate limiter and retrying as described on the
    /// type, and returns the 2xx answer.
    ///
    /// - Parameters:
    ///   - auditLogReason: sent as `X-Audit-Log-Reason` (shows in the guild's audit log).
    ///   - onServerErrorRetry: called each time the request is sent again after a 5xx answer. The
    ///     first attempt may have been carried out all the same (its answer lost on Discord's
    ///     side), so a non-idempotent request can have taken effect twice.
    /// - Throws: ``DiscordHTTPError``, or `CancellationError` when the task is cancelled.
    public func send(
        _ route: DiscordRoute, body: Body = .none, auditLogReason: String? = nil,
        onServerErrorRetry: (@Sendable () -> Void)? = nil
    ) async throws -> Response {
        do {
            return try await sendThroughLimiter(
                route, body: body, auditLogReason: auditLogReason, safeToRepeat: route.method.isIdempotent,
                onServerErrorRetry: onServerErrorRetry)
        } catch is RESTRateLimiter.ShutdownError {
            throw DiscordHTTPError(kind: .shutdown, route: route.routeKey, message: "the REST client was shut down")
        }
    }

    /// - Parameter safeToRepeat: whether a transport failure after the request may have reached
    ///   Discord can be retried (idempotent methods, or a message create with `enforce_nonce`).
    private func sendThroughLimiter(
        _ route: DiscordRoute, body: Body, auditLogReason: String?, safeToRepeat: Bool,
        onServerErrorRetry: (@Sendable () -> Void)? = nil
    ) async throws -> Response {
        let ticket = try await rateLimiter.acquire(route)
        var rateLimitRetries = 0
        var serverErrorRetries = 0
        var transportRetries = 0
        while true {
            let answer: Response
            do {
                statisticsBox.update { $0.attempts += 1 }
                answer = try await execute(route, body: body, auditLogReason: auditLogReason)
            } catch {
                if Task.isCancelled {
                    rateLimiter.complete(ticket, headers: nil)
                    throw CancellationError()
                }
                let failure = transportError(error, route: route)
                if transportRetries < configuration.maxTransportRetries,
                    safeToRepeat || Self.failedBeforeSending(error)
                {
                    transportRetries += 1
                    statisticsBox.update { $0.transportRetries += 1 }
                    try await rateLimiter.retry(ticket, headers: nil, delay: backoff(attempt: transportRetries))
                    continue
                }
                rateLimiter.complete(ticket, headers: nil)
                throw failure
            }

            let headers = RESTRateLimitHeaders(headers: answer.headers)
            switch answer.status {
            case 200..<300:
                rateLimiter.complete(ticket, headers: headers)
                return answer
            case 429:
                switch RESTRateLimitVerdict.classify(headers: headers, body: answer.body) {
                case .foreign(let reason):
                    rateLimiter.complete(ticket, headers: nil)
                    var error = DiscordHTTPError(kind: .blockedByProxy, route: route.routeKey, status: 429, body: answer.body)
                    error.message = reason
                    error.retryAfter = headers.retryAfter
                    throw error
                case .discord(let scope, let retryAfter):
                    statisticsBox.update { $0.rateLimited += 1 }
                    guard rateLimitRetries < configuration.maxRateLimitRetries else {
                        rateLimiter.complete(ticket, headers: headers)
                        throw DiscordHTTPError(kind: .rateLimited, route: route.routeKey, status: 429, body: answer.body)
                    }
                    rateLimitRetries += 1
                    try await rateLimiter.retry(ticket, headers: headers, rateLimit: (scope, retryAfter))
                    continue
                }
            case 500...599 where Self.isRetryableServerStatus(answer.status):
                guard serverErrorRetries < configuration.maxServerErrorRetries else {
                    rateLimiter.complete(ticket, headers: headers)
                    throw DiscordHTTPError(
                        kind: .serverError, route: route.routeKey, status: answer.status, body: answer.body)
                }
                serverErrorRetries += 1
                statisticsBox.update { $0.serverErrorRetries += 1 }
                onServerErrorRetry?()
                try await rateLimiter.retry(ticket, headers: headers, delay: backoff(attempt: serverErrorRetries))
                continue
            default:
                rateLimiter.complete(ticket, headers: headers)
                let kind: DiscordHTTPError.Kind = answer.status >= 500 ? .serverError : .clientError
                throw DiscordHTTPError(kind: kind, route: route.routeKey, status: answer.status, body: answer.body)
            }
        }
    }

    /// Sends `route` and parses the answer as JSON (`.null` for 204 No Content); see
    /// ``send(_:body:auditLogReason:onServerErrorRetry:)``.
    public func request(
        _ route: DiscordRoute, json: JSONValue? = nil, auditLogReason: String? = nil,
        onServerErrorRetry: (@Sendable () -> Void)? = nil
    ) async throws -> JSONValue {
        let answer = try await send(
            route, body: json.map(Body.json) ?? .none, auditLogReason: auditLogReason,
            onServerErrorRetry: onServerErrorRetry)
        return try decode(answer, route: route)
    }

    /// Downloads an absolute URL (an attachment or embed image) without the token and outside
    /// the API rate limits, which do not apply to the CDN. Retries 5xx and connection failures.
    public func download(url: String, maxBytes: Int? = nil) async throws -> [UInt8] {
        var attempt = 0
        while true {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: configuration.userAgent)
            let routeName = "GET \(url)"
            do {
                let response = try await httpClient.execute(
                    request, timeout: .nanoseconds(Self.nanoseconds(configuration.requestTimeout)))
                let bytes = try await Self.collect(response.body, upTo: maxBytes ?? configuration.maxResponseBytes)
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return bytes }
                if Self.isRetryableServerStatus(status), attempt < configuration.maxServerErrorRetries {
                    attempt += 1
                    try await Task.sleep(for: backoff(attempt: attempt))
                    continue
                }
                throw DiscordHTTPError(
                    kind: status >= 500 ? .serverError : .clientError, route: routeName, status: status, body: bytes)
            } catch let error as DiscordHTTPError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                guard attempt < configuration.maxTransportRetries else { throw transportError(error, route: nil, name: routeName) }
                attempt += 1
                try await Task.sleep(for: backoff(attempt: attempt))
            }
        }
    }

    // MARK: - Endpoints

    /// `GET /users/@me`.
    public func currentUser() async throws -> JSONValue {
        try await request(.getCurrentUser())
    }

    /// `GET /gateway/bot` (bot tokens).
    public func gatewayBot() async throws -> JSONValue {
        try await request(.getGatewayBot())
    }

    /// `GET /gateway`.
    public func gateway() async throws -> JSONValue {
        try await request(.getGateway())
    }

    /// `GET /guilds/{guild_id}/channels`.
    public func guildChannels(guildID: Snowflake) async throws -> [JSONValue] {
        try await request(.listGuildChannels(guildID: guildID)).arrayValue ?? []
    }

    /// `GET /guilds/{guild_id}/threads/active`: the guild's active (unarchived) threads.
    public func activeGuildThreads(guildID: Snowflake) async throws -> [JSONValue] {
        try await request(.listActiveGuildThreads(guildID: guildID))["threads"]?.arrayValue ?? []
    }

    /// `POST /guilds/{guild_id}/channels`: a channel of `type` (0 = text) named `name`, under the
    /// category `parentID` when given. `extra` adds fields such as `topic`.
    public func createGuildChannel(
        guildID: Snowflake, name: String, type: Int = 0, parentID: Snowflake? = nil, extra: [String: JSONValue] = [:],
        auditLogReason: String? = nil, onServerErrorRetry: (@Sendable () -> Void)? = nil
    ) async throws -> JSONValue {
        var body = extra
        body["name"] = .string(name)
        body["type"] = JSONValue(type)
        if let parentID { body["parent_id"] = JSONValue(parentID) }
        return try await request(
            .createGuildChannel(guildID: guildID), json: .object(body), auditLogReason: auditLogReason,
            onServerErrorRetry: onServerErrorRetry)
    }

    /// `GET /channels/{channel_id}`.
    public func channel(_ channelID: Snowflake) async throws -> JSONValue {
        try await request(.getChannel(channelID))
    }

    /// `PATCH /channels/{channel_id}` with the fields in `changes` (e.g. `["name": "new-name"]`).
    public func modifyChannel(_ channelID: Snowflake, changes: JSONValue, auditLogReason: String? = nil) async throws
        -> JSONValue
    {
        try await request(.modifyChannel(channelID), json: changes, auditLogReason: auditLogReason)
    }

    /// `DELETE /channels/{channel_id}`; returns the deleted channel.
    @discardableResult
    public func deleteChannel(_ channelID: Snowflake, auditLogReason: String? = nil) async throws -> JSONValue {
        try await request(.deleteChannel(channelID), auditLogReason: auditLogReason)
    }

    /// `POST /channels/{channel_id}/messages`: JSON when `files` is empty, otherwise multipart
    /// with `payload_json` and `files[n]` (and `payload.attachments` filled in).
    ///
    /// A payload with a `nonce` and `enforce_nonce: true` is deduplicated by Discord, so only then
    /// is the create retried after a connection failure that may have reached Discord; without
    /// them such a failure is reported rather than risking a duplicate message.
    public func createMessage(channelID: Snowflake, payload: JSONValue, files: [DiscordFileUpload] = []) async throws
        -> JSONValue
    {
        let route = DiscordRoute.createMessage(channelID: channelID)
        let body: Body = files.isEmpty ? .json(payload) : .multipart(MultipartBody(payload: payload, files: files))
        let deduplicated = payload["enforce_nonce"]?.boolValue == true && payload["nonce"].map { !$0.isNull } == true
        do {
            let answer = try await sendThroughLimiter(route, body: body, auditLogReason: nil, safeToRepeat: deduplicated)
            return try decode(answer, route: route)
        } catch is RESTRateLimiter.ShutdownError {
            throw DiscordHTTPError(kind: .shutdown, route: route.routeKey, message: "the REST client was shut down")
        }
    }

    /// `GET /channels/{channel_id}/messages/{message_id}`.
    public func message(channelID: Snowflake, messageID: Snowflake) async throws -> JSONValue {
        try await request(.getMessage(channelID: channelID, messageID: messageID))
    }

    /// `GET /channels/{channel_id}/messages`: up to `limit` (1-100) messages, newest first.
    public func messages(
        channelID: Snowflake, limit: Int? = nil, before: Snowflake? = nil, after: Snowflake? = nil,
        around: Snowflake? = nil
    ) async throws -> [JSONValue] {
        try await request(.listMessages(channelID: channelID, limit: limit, before: before, after: after, around: around))
            .arrayValue ?? []
    }

    /// `PATCH /channels/{channel_id}/messages/{message_id}`; with `files`, multipart (new files
    /// are added to the attachments the payload's `attachments` array keeps).
    public func editMessage(
        channelID: Snowflake, messageID: Snowflake, payload: JSONValue, files: [DiscordFileUpload] = []
    ) async throws -> JSONValue {
        let route = DiscordRoute.editMessage(channelID: channelID, messageID: messageID)
        let body: Body = files.isEmpty ? .json(payload) : .multipart(MultipartBody(payload: payload, files: files))
        return try decode(try await send(route, body: body), route: route)
    }

    /// `DELETE /channels/{channel_id}/messages/{message_id}`.
    public func deleteMessage(channelID: Snowflake, messageID: Snowflake, auditLogReason: String? = nil) async throws {
        _ = try await send(.deleteMessage(channelID: channelID, messageID: messageID), auditLogReason: auditLogReason)
    }

    /// `POST /channels/{channel_id}/threads`: a thread without a starter message; `type` 11 is
    /// public, 12 private (Discord's default when omitted).
    public func createThread(
        channelID: Snowflake, name: String, type: Int = 11, autoArchiveMinutes: Int? = nil,
        extra: [String: JSONValue] = [:], onServerErrorRetry: (@Sendable () -> Void)? = nil
    ) async throws -> JSONValue {
        var body = extra
        body["name"] = .string(name)
        body["type"] = JSONValue(type)
        if let autoArchiveMinutes { body["auto_archive_duration"] = JSONValue(autoArchiveMinutes) }
        return try await request(
            .createThread(channelID: channelID), json: .object(body), onServerErrorRetry: onServerErrorRetry)
    }

    /// `POST /channels/{channel_id}/messages/{message_id}/threads`: a thread started from a
    /// message; the thread's id is the message's.
    public func createThread(
        channelID: Snowflake, fromMessage messageID: Snowflake, name: String, autoArchiveMinutes: Int? = nil
    ) async throws -> JSONValue {
        var body: JSONValue = ["name": .string(name)]
        if let autoArchiveMinutes { body["auto_archive_duration"] = JSONValue(autoArchiveMinutes) }
        return try await request(.createThread(channelID: channelID, fromMessage: messageID), json: body)
    }

    /// `POST /channels/{channel_id}/typing`.
    public func triggerTyping(channelID: Snowflake) async throws {
        _ = try await send(.triggerTyping(channelID: channelID))
    }

    // MARK: - Internals

    private func decode(_ answer: Response, route: DiscordRoute) throws -> JSONValue {
        do {
            return try answer.json()
        } catch {
            throw DiscordHTTPError(
                kind: .invalidResponse, route: route.routeKey, status: answer.status,
                message: "the answer is not JSON: \(error)")
        }
    }

    /// One HTTP attempt.
    private func execute(_ route: DiscordRoute, body: Body, auditLogReason: String?) async throws -> Response {
        var request = HTTPClientRequest(url: baseURL + route.pathAndQuery)
        switch route.method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        case .put: request.method = .PUT
        case .patch: request.method = .PATCH
        case .delete: request.method = .DELETE
        }
        request.headers.add(name: "Authorization", value: authorization)
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        if let auditLogReason {
            request.headers.add(
                name: "X-Audit-Log-Reason",
                value: DiscordRoute.percentEncode(auditLogReason, allowing: Self.auditLogCharacters))
        }
        switch body {
        case .none:
            // Discord wants an explicit empty body on bodiless POSTs (typing); a length of 0 says so.
            if route.method == .post || route.method == .put || route.method == .patch {
                request.body = .bytes([UInt8]())
            }
        case .json(let json):
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(json.serializedBytes())
        case .multipart(let multipart):
            request.headers.add(name: "Content-Type", value: multipart.contentType)
            request.body = .bytes(multipart.bytes)
        }
        let response = try await httpClient.execute(
            request, timeout: .nanoseconds(Self.nanoseconds(configuration.requestTimeout)))
        let bytes = try await Self.collect(response.body, upTo: configuration.maxResponseBytes)
        return Response(
            status: Int(response.status.code), headers: response.headers.map { (name: $0.name, value: $0.value) },
            body: bytes)
    }

    private static func collect(_ body: HTTPClientResponse.Body, upTo limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.readableBytes <= limit else {
                throw DiscordHTTPError(kind: .invalidResponse, route: "", message: "answer larger than \(limit) bytes")
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    /// Exponential backoff with jitter: `base × 2^(attempt−1)`, capped, then scaled by a random
    /// factor in [0.5, 1] so that clients that failed together don't retry together.
    func backoff(attempt: Int) -> Duration {
        let base = Double(Self.nanoseconds(configuration.retryBaseDelay))
        let cap = Double(Self.nanoseconds(configuration.retryMaxDelay))
        let exponential = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return .nanoseconds(Int64(exponential * Double.random(in: 0.5...1)))
    }

    /// 5xx worth retrying: everything but 501 Not Implemented and 505 HTTP Version Not Supported,
    /// which will not change on a second try. (Discord's own flakiness shows as 500/502/503/504/52x.)
    static func isRetryableServerStatus(_ status: Int) -> Bool {
        (500...599).contains(status) && status != 501 && status != 505
    }

    /// Whether `error` happened before the request could have reached Discord, so that even a
    /// non-idempotent request (a message create) can be retried without risking a duplicate.
    static func failedBeforeSending(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [
                .connectTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout,
            ].contains(error)
        }
        // NIO reports refused or unreachable connections as NIOConnectionError / connect IOErrors,
        // which CozeCore does not import by name.
        let text = String(reflecting: error)
        return text.contains("NIOConnectionError") || text.contains("connectionRefused")
            || text.contains("Connection refused")
    }

    private func transportError(_ error: any Error, route: DiscordRoute?, name: String? = nil) -> DiscordHTTPError {
        if let error = error as? DiscordHTTPError { return error }
        let routeName = name ?? route?.routeKey ?? ""
        if let error = error as? HTTPClientError {
            if error == .alreadyShutdown {
                return DiscordHTTPError(kind: .shutdown, route: routeName, message: "the REST client was shut down")
            }
            if [.deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout].contains(error) {
                return DiscordHTTPError(
                    kind: .timeout, route: routeName,
                    message: "no answer within the timeout (\(error)); request timeout \(configuration.requestTimeout)")
            }
        }
        if error is RESTRateLimiter.ShutdownError {
            return DiscordHTTPError(kind: .shutdown, route: routeName, message: "the REST client was shut down")
        }
        var message = "\(error)"
        if let proxy = configuration.proxy { message += " (via proxy \(proxy))" }
        return DiscordHTTPError(kind: .transport, route: routeName, message: message)
    }

    private static let auditLogCharacters: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~ /".utf8))

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Lock-protected counters (the client is shared across tasks).
    private final class StatisticsBox: @unchecked Sendable {
        private let lock = NSLock()
        private var statistics = Statistics()

        var value: Statistics {
            lock.lock()
            defer { lock.unlock() }
            return statistics
        }

        func update(_ change: (inout Statistics) -> Void) {
            lock.lock()
            defer { lock.unlock() }
            change(&statistics)
        }
    }
}
