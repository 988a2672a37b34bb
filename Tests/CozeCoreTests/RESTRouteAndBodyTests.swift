import AsyncHTTPClient
import DiscordWire
import Testing

@testable import CozeCore

/// Routes, multipart bodies, error flattening and proxy mapping (no server needed).
@Suite struct RESTRouteAndBodyTests {
    @Test func routesKnowTheirKeyPathAndMajorParameter() {
        let create = DiscordRoute.createMessage(channelID: Snowflake(123))
        #expect(create.routeKey == "POST /channels/{channel_id}/messages")
        #expect(create.path == "/channels/123/messages")
        #expect(create.majorParameter == "channels/123")

        let channels = DiscordRoute.createGuildChannel(guildID: Snowflake(77))
        #expect(channels.majorParameter == "guilds/77")
        #expect(DiscordRoute.getCurrentUser().majorParameter == "")
        #expect(DiscordRoute.getGatewayBot().path == "/gateway/bot")

        let webhook = DiscordRoute(
            .post, "/webhooks/{webhook_id}/{webhook_token}", parameters: ["webhook_id": "9", "webhook_token": "a/b"])
        #expect(webhook.path == "/webhooks/9/a%2Fb")
        #expect(webhook.majorParameter == "webhooks/9/a%2Fb")
        #expect(webhook.isExemptFromGlobalLimit)
        #expect(!create.isExemptFromGlobalLimit)

        let list = DiscordRoute.listMessages(channelID: Snowflake(5), limit: 100, before: Snowflake(42))
        #expect(list.pathAndQuery == "/channels/5/messages?limit=100&before=42")
        #expect(list.routeKey == "GET /channels/{channel_id}/messages")

        let thread = DiscordRoute.createThread(channelID: Snowflake(5), fromMessage: Snowflake(6))
        #expect(thread.path == "/channels/5/messages/6/threads")
        #expect(DiscordRoute.triggerTyping(channelID: Snowflake(5)).path == "/channels/5/typing")
    }

    @Test func deletingAYoungMessageUsesItsOwnRouteKey() {
        let now: UInt64 = 1_700_000_000_000
        let young = Snowflake(unixMilliseconds: now - 2_000)
        let normal = Snowflake(unixMilliseconds: now - 60_000)
        let old = Snowflake(unixMilliseconds: now - 15 * 24 * 3_600_000)
        #expect(DiscordRoute.deleteMessage(channelID: Snowflake(1), messageID: young, now: now).routeKey.hasSuffix(":young"))
        #expect(
            DiscordRoute.deleteMessage(channelID: Snowflake(1), messageID: normal, now: now).routeKey
                == "DELETE /channels/{channel_id}/messages/{message_id}")
        #expect(DiscordRoute.deleteMessage(channelID: Snowflake(1), messageID: old, now: now).routeKey.hasSuffix(":old"))
    }

    @Test func multipartBodyHasPayloadJSONFilesAndAttachments() throws {
        let files = [
            DiscordFileUpload(filename: "prompt.txt", contentType: "text/plain", bytes: Array("hello".utf8)),
            DiscordFileUpload(filename: "a\"b.png", contentType: "image/png", bytes: [0, 1, 2], description: "pic"),
        ]
        let body = MultipartBody(payload: ["content": "see files"], files: files, boundary: "XyZ")
        #expect(body.contentType == "multipart/form-data; boundary=XyZ")
        let text = String(decoding: body.bytes, as: UTF8.self)
        #expect(text.hasPrefix("--XyZ\r\nContent-Disposition: form-data; name=\"payload_json\"\r\nContent-Type: application/json\r\n\r\n"))
        #expect(text.contains("Content-Disposition: form-data; name=\"files[0]\"; filename=\"prompt.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"))
        #expect(text.contains("name=\"files[1]\"; filename=\"a%22b.png\""))
        #expect(text.hasSuffix("\r\n--XyZ--\r\n"))

        let start = text.range(of: "\r\n\r\n")!.upperBound
        let end = text[start...].range(of: "\r\n--XyZ")!.lowerBound
        let payload = try JSONValue.parse(String(text[start..<end]))
        #expect(payload["content"] == "see files")
        #expect(
            payload["attachments"]
                == [["id": 0, "filename": "prompt.txt"], ["id": 1, "filename": "a\"b.png", "description": "pic"]])
    }

    @Test func multipartKeepsTheCallersAttachmentsAndAvoidsBoundaryCollisions() throws {
        let keep: JSONValue = ["attachments": [["id": "111222333"]]]
        let file = DiscordFileUpload(filename: "x.bin", bytes: Array("--collide--".utf8))
        let body = MultipartBody(payload: keep, files: [file], boundary: "collide")
        #expect(body.boundary != "collide")
        let text = String(decoding: body.bytes, as: UTF8.self)
        #expect(text.contains(#""id":"111222333""#))
        #expect(text.contains(#""filename":"x.bin""#))
    }

    @Test func errorJSONIsFlattenedLikeDiscordClientsDo() {
        let body = Array(
            #"""
            {"code": 50035, "message": "Invalid Form Body", "errors": {
              "content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]},
              "embeds": {"0": {"description": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}}}}}
            """#.utf8)
        let error = DiscordHTTPError(kind: .clientError, route: "POST /channels/{channel_id}/messages", status: 400, body: body)
        #expect(error.code == 50035)
        #expect(error.message == "Invalid Form Body")
        #expect(
            error.fieldErrors == [
                .init(path: "content", code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length."),
                .init(path: "embeds.0.description", code: "BASE_TYPE_REQUIRED", message: "This field is required"),
            ])
        #expect(
            error.description
                == "HTTP 400 (code 50035) on POST /channels/{channel_id}/messages: Invalid Form Body; "
                + "content: Must be 2000 or fewer in length.; embeds.0.description: This field is required")
    }

    @Test func nonJSONErrorBodiesStillGiveAReadableMessage() {
        let error = DiscordHTTPError(kind: .serverError, route: "GET /x", status: 502, body: Array("<html>\nBad gateway\n</html>".utf8))
        #expect(error.code == nil)
        #expect(error.message == "<html> Bad gateway </html>")
    }

    @Test func proxiesMapOntoAsyncHTTPClient() {
        #expect(DiscordProxy.kind(named: "HTTP") == .http)
        #expect(DiscordProxy.kind(named: " socks5 ") == .socks5)
        #expect(DiscordProxy.kind(named: "SOCKS") == .socks5)
        #expect(DiscordProxy.kind(named: "ftp") == nil)
        #expect(DiscordProxy(kind: .http, host: "10.0.0.1", port: 3128).asyncHTTPClientProxy == .server(host: "10.0.0.1", port: 3128))
        #expect(
            DiscordProxy(kind: .socks5, host: "10.0.0.1", port: 1080).asyncHTTPClientProxy
                == .socksServer(host: "10.0.0.1", port: 1080))
        #expect(DiscordProxy(kind: .socks5, host: "h", port: 1).description == "socks5://h:1")
    }

    @Test func userAgentFollowsDiscordsFormatWithoutMachinePaths() {
        let agent = DiscordRESTClient.defaultUserAgent
        #expect(agent == "DiscordBot (https://github.com/cozebridge/cozebridge, \(CozeCoreVersion.string))")
        #expect(CozeCoreVersion.string.split(separator: ".").compactMap { Int($0) }.count == 3)
        #expect(DiscordRESTClient.Configuration(token: "t").userAgent == agent)
        #expect(agent.hasSuffix(", \(CozeCoreVersion.string))"))
        #expect(!agent.contains("/work") && !agent.contains("/home"))
    }
}
