import AsyncHTTPClient
@testable import DiscordEmulator
import DiscordWire
import Foundation
import NIOHTTP1
import Testing

/// Rate limits off, for tests that are about something else.
private let unlimited: JSONValue = ["rate_limits": ["enabled": false]]

@Suite struct EmulatorRESTTests {
    // MARK: Identity and discovery

    @Test func usersMeAuthenticatesBotsWithPrefixAndUsersBare() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let info = emulator.info
        let rest = RESTProbe(emulator: emulator)

        let bot = try await rest.bot(.GET, "/users/@me")
        #expect(bot.status == 200)
        #expect(bot.header("Content-Type") == "application/json")
        #expect(bot.json?["id"]?.snowflakeValue == info.bridgeBotUserID)
        #expect(bot.json?["bot"] == true)
        for key in ["username", "discriminator", "avatar", "mfa_enabled", "flags"] {
            #expect(bot.json?[key] != nil, "user lacks \(key)")
        }

        let user = try await rest.user(.GET, "/users/@me")
        #expect(user.status == 200)
        #expect(user.json?["id"]?.snowflakeValue == info.userID)
        #expect(user.json?["bot"] == false)

        for authorization in [info.bridgeBotToken, "Bot \(info.userToken)", "Bot nope", ""] as [String] {
            let refused = try await rest.request(.GET, "/users/@me", authorization: authorization)
            #expect(refused.status == 401, "\(authorization)")
            #expect(refused.header("Content-Type") == "application/json")
            #expect(refused.json == ["code": 0, "message": "401: Unauthorized"])
        }
        let anonymous = try await rest.request(.GET, "/users/@me", authorization: nil)
        #expect(anonymous.status == 401)
        #expect(anonymous.json == ["code": 0, "message": "401: Unauthorized"])
        try await emulator.shutdown()
    }

    @Test func applicationInfoDescribesTheBotAndItsIntentFlags() async throws {
        let emulator = try await DiscordEmulator.startForTests(
            ["gateway": ["enabled_privileged_intents": ["message_content"]]])
        let rest = RESTProbe(emulator: emulator)
        let app = try await rest.bot(.GET, "/oauth2/applications/@me")
        #expect(app.status == 200)
        #expect(app.header("Content-Type") == "application/json")
        #expect(app.json?["id"]?.snowflakeValue == emulator.info.bridgeBotUserID)
        #expect(app.json?["bot"]?["id"]?.snowflakeValue == emulator.info.bridgeBotUserID)
        #expect(app.json?["owner"]?["id"]?.snowflakeValue == emulator.info.userID)
        #expect(app.json?["flags"] == 524_288)
        #expect(app.json?["verify_key"]?.stringValue?.count == 64)
        // The spare bot is its own application.
        let spare = try await rest.bot(.GET, "/oauth2/applications/@me", token: emulator.info.spareBotToken)
        #expect(spare.json?["id"]?.snowflakeValue == emulator.info.spareBotUserID)
        try await emulator.shutdown()
    }

    @Test func gatewayAndGatewayBot() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        // The gateway is served on a port of its own (Discord's is another host).
        let expectedURL = String(emulator.info.gateway.dropLast())
        #expect(expectedURL.hasPrefix("ws://127.0.0.1:"))
        #expect(expectedURL == "ws://127.0.0.1:\(emulator.info.gatewayPort)")
        #expect(emulator.info.gatewayPort != emulator.info.port)
        let open = try await rest.request(.GET, "/gateway", authorization: nil)
        #expect(open.status == 200)
        #expect(open.header("Content-Type") == "application/json")
        #expect(open.json == ["url": .string(expectedURL)])
        let bot = try await rest.bot(.GET, "/gateway/bot")
        #expect(bot.status == 200)
        #expect(
            bot.json == [
                "url": .string(expectedURL), "shards": 1,
                "session_start_limit": ["total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1],
            ])
        #expect(try await rest.user(.GET, "/gateway/bot").status == 401)
        try await emulator.shutdown()
    }

    @Test(arguments: ["/api/v9", "/api", "/api/v10"])
    func versionAliasesServeTheSameAPI(prefix: String) async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        let base = emulator.info.baseURL + prefix
        let me = try await rest.request(.GET, base + "/users/@me", authorization: "Bot \(emulator.info.bridgeBotToken)")
        #expect(me.status == 200)
        #expect(me.json?["id"]?.snowflakeValue == emulator.info.bridgeBotUserID)
        let channels = try await rest.request(
            .GET, base + "/guilds/\(emulator.info.guildID)/channels", authorization: emulator.info.userToken)
        #expect(channels.status == 200)
        #expect(channels.json?.arrayValue?.count == 2)
        try await emulator.shutdown()
    }

    @Test func unknownRoutesAnswer404JSON() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        let missing = try await rest.bot(.GET, "/nothing/here")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/json")
        #expect(missing.json?["code"] == 0)
        #expect(try await rest.bot(.GET, "/guilds/1/channels").json?["code"] == 10004)
        #expect(try await rest.bot(.GET, "/channels/1").json?["code"] == 10003)
        try await emulator.shutdown()
    }

    // MARK: Guild channels

    @Test func createChannelUnderTheCategoryNormalisesTheNameAndDispatches() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let rest = RESTProbe(emulator: emulator)

        let listed = try await rest.bot(.GET, "/guilds/\(info.guildID)/channels")
        #expect(listed.status == 200)
        let listedIDs = Set(listed.json?.arrayValue?.compactMap { $0["id"]?.snowflakeValue } ?? [])
        #expect(listedIDs == [info.categoryID, info.generalChannelID])

        let created = try await rest.bot(
            .POST, "/guilds/\(info.guildID)/channels",
            json: ["name": "My New Chat", "type": 0, "parent_id": .string(info.categoryID.description), "topic": "t"])
        #expect(created.status == 201)
        #expect(created.header("Content-Type") == "application/json")
        let channel = try #require(created.json)
        #expect(channel["name"] == "my-new-chat")
        #expect(channel["type"] == 0)
        #expect(channel["parent_id"]?.snowflakeValue == info.categoryID)
        #expect(channel["guild_id"]?.snowflakeValue == info.guildID)
        #expect(channel["topic"] == "t")

        let event = try await probe.nextDispatch("CHANNEL_CREATE")
        #expect(event["t"] == "CHANNEL_CREATE")
        #expect(event["d"] == channel)

        let after = try await rest.bot(.GET, "/guilds/\(info.guildID)/channels")
        #expect(after.json?.arrayValue?.count == 3)

        // A parent that is not a category is refused.
        let badParent = try await rest.bot(
            .POST, "/guilds/\(info.guildID)/channels",
            json: ["name": "x", "parent_id": .string(info.generalChannelID.description)])
        #expect(badParent.status == 400)
        #expect(badParent.json?["code"] == 50035)
        #expect(badParent.json?["errors"]?["parent_id"]?["_errors"]?[0]?["code"] == "CHANNEL_PARENT_INVALID")
        try await emulator.shutdown()
    }

    @Test func channelCapAnswers30013() async throws {
        let emulator = try await DiscordEmulator.startForTests(EmulatorScenario.merge(unlimited, ["max_guild_channels": 5]))
        let info = emulator.info
        let rest = RESTProbe(emulator: emulator)
        // The guild starts with the category and #general.
        for index in 0..<3 {
            #expect(try await rest.bot(.POST, "/guilds/\(info.guildID)/channels", json: ["name": .string("c\(index)")]).status == 201)
        }
        let refused = try await rest.bot(.POST, "/guilds/\(info.guildID)/channels", json: ["name": "one-too-many"])
        #expect(refused.status == 400)
        #expect(refused.json?["code"] == 30013)
        #expect(refused.json?["message"]?.stringValue?.hasPrefix("Maximum number of guild channels reached") == true)
        #expect(try await rest.bot(.GET, "/guilds/\(info.guildID)/channels").json?.arrayValue?.count == 5)
        // Threads do not count against it.
        #expect(try await rest.bot(.POST, "/channels/\(info.generalChannelID)/threads", json: ["name": "t"]).status == 201)
        try await emulator.shutdown()
    }

    @Test func channelGetPatchDelete() async throws {
        let emulator = try await DiscordEmulator.startForTests(unlimited)
        let info = emulator.info
        let rest = RESTProbe(emulator: emulator)
        let created = try await rest.bot(.POST, "/guilds/\(info.guildID)/channels", json: ["name": "temp"])
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(try await rest.bot(.POST, "/channels/\(id)/messages", json: ["content": "hi"]).status == 200)

        let fetched = try await rest.bot(.GET, "/channels/\(id)")
        #expect(fetched.status == 200)
        #expect(fetched.json?["name"] == "temp")
        #expect(fetched.json?["last_message_id"]?.stringValue != nil)

        let patched = try await rest.bot(.PATCH, "/channels/\(id)", json: ["name": "Renamed Thing", "topic": "about"])
        #expect(patched.status == 200)
        #expect(patched.json?["name"] == "renamed-thing")
        #expect(patched.json?["topic"] == "about")
        #expect(try await rest.bot(.GET, "/channels/\(id)").json?["name"] == "renamed-thing")

        let deleted = try await rest.bot(.DELETE, "/channels/\(id)")
        #expect(deleted.status == 200)
        #expect(deleted.json?["id"]?.stringValue == id)
        #expect(deleted.json?["name"] == "renamed-thing")

        let gone = try await rest.bot(.GET, "/channels/\(id)")
        #expect(gone.status == 404)
        #expect(gone.json?["code"] == 10003)
        let messages = try await rest.bot(.GET, "/channels/\(id)/messages")
        #expect(messages.status == 404)
        #expect(messages.json?["code"] == 10003)
        let post = try await rest.bot(.POST, "/channels/\(id)/messages", json: ["content": "late"])
        #expect(post.json?["code"] == 10003)
        #expect(try await rest.bot(.DELETE, "/channels/\(id)").json?["code"] == 10003)
        try await emulator.shutdown()
    }

    // MARK: Messages

    @Test func createMessageEchoesTheNonceAndValidatesContent() async throws {
        let emulator = try await DiscordEmulator.startForTests(unlimited)
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let rest = RESTProbe(emulator: emulator)
        let path = "/channels/\(info.generalChannelID)/messages"

        let created = try await rest.bot(
            .POST, path, json: ["content": "hello", "nonce": "1234567890", "enforce_nonce": true, "tts": false])
        #expect(created.status == 200)
        #expect(created.header("Content-Type") == "application/json")
        let message = try #require(created.json)
        #expect(message["content"] == "hello")
        #expect(message["nonce"] == "1234567890")
        #expect(message["type"] == 0)
        #expect(message["channel_id"]?.snowflakeValue == info.generalChannelID)
        #expect(message["author"]?["id"]?.snowflakeValue == info.bridgeBotUserID)
        #expect(message["edited_timestamp"] == .null)
        #expect(message["member"] == nil, "member is a gateway-only field")
        let event = try await probe.dispatch("MESSAGE_CREATE")
        #expect(event["nonce"] == "1234567890")
        #expect(event["id"] == message["id"])
        #expect(event["channel_type"] == 0)
        #expect(event["member"] != nil)

        let tooLong = try await rest.bot(.POST, path, json: ["content": .string(String(repeating: "x", count: 2001))])
        #expect(tooLong.status == 400)
        #expect(tooLong.json?["code"] == 50035)
        #expect(tooLong.json?["errors"]?["content"]?["_errors"]?[0]?["code"] == "BASE_TYPE_MAX_LENGTH")
        #expect(tooLong.json?["errors"]?["content"]?["_errors"]?[0]?["message"] == "Must be 2000 or fewer in length.")
        #expect(try await rest.bot(.POST, path, json: ["content": .string(String(repeating: "x", count: 2000))]).status == 200)

        for body: JSONValue in [["content": ""], [:], ["content": nil, "embeds": []]] {
            let empty = try await rest.bot(.POST, path, json: body)
            #expect(empty.status == 400)
            #expect(empty.json == ["code": 50006, "message": "Cannot send an empty message"])
        }
        try await emulator.shutdown()
    }

    @Test func malformedJSONAnswers50109() async throws {
        let emulator = try await DiscordEmulator.startForTests(unlimited)
        let rest = RESTProbe(emulator: emulator)
        let response = try await rest.request(
            .POST, "/channels/\(emulator.info.generalChannelID)/messages",
            authorization: "Bot \(emulator.info.bridgeBotToken)", body: Array(#"{"content": "unterminated"#.utf8),
            contentType: "application/json")
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.json == ["code": 50109, "message": "The request body contains invalid JSON."])
        try await emulator.shutdown()
    }

    @Test func getAndListMessagesNewestFirstWithPagination() async throws {
        let emulator = try await DiscordEmulator.startForTests(unlimited)
        let rest = RESTProbe(emulator: emulator)
        let path = "/channels/\(emulator.info.generalChannelID)/messages"
        var ids: [String] = []
        for index in 0..<6 {
            let created = try await rest.bot(.POST, path, json: ["content": .string("m\(index)")])
            ids.append(try #require(created.json?["id"]?.stringValue))
        }
        func listed(_ query: String) async throws -> [String] {
            let response = try await rest.bot(.GET, path + query)
            #expect(response.status == 200)
            return response.json?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        }
        #expect(try await listed("") == ids.reversed())
        #expect(try await listed("?limit=3") == [ids[5], ids[4], ids[3]])
        #expect(try await listed("?before=\(ids[3])") == [ids[2], ids[1], ids[0]])
        #expect(try await listed("?before=\(ids[3])&limit=2") == [ids[2], ids[1]])
        #expect(try await listed("?after=\(ids[2])") == [ids[5], ids[4], ids[3]])
        #expect(try await listed("?after=\(ids[0])&limit=2") == [ids[2], ids[1]])
        #expect(try await listed("?after=\(ids[5])") == [])
        let badLimit = try await rest.bot(.GET, path + "?limit=101")
        #expect(badLimit.status == 400)
        #expect(badLimit.json?["code"] == 50035)

        let one = try await rest.bot(.GET, path + "/\(ids[2])")
        #expect(one.status == 200)
        #expect(one.json?["content"] == "m2")
        let unknown = try await rest.bot(.GET, path + "/1")
        #expect(unknown.status == 404)
        #expect(unknown.json?["code"] == 10008)
        try await emulator.shutdown()
    }

    @Test func onlyTheAuthorEditsAndDeleteAnswers204() async throws {
        let emulator = try await DiscordEmulator.startForTests(unlimited)
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let rest = RESTProbe(emulator: emulator)
        let path = "/channels/\(info.generalChannelID)/messages"
        let created = try await rest.bot(.POST, path, json: ["content": "draft"])
        let id = try #require(created.json?["id"]?.stringValue)
        _ = try await probe.dispatch("MESSAGE_CREATE")

        let before = WallClock.unixMilliseconds()
        let edited = try await rest.bot(.PATCH, path + "/\(id)", json: ["content": "final"])
        #expect(edited.status == 200)
        #expect(edited.json?["content"] == "final")
        #expect(edited.json?["id"]?.stringValue == id)
        let editedTimestamp = try #require(edited.json?["edited_timestamp"]?.stringValue)
        #expect(editedTimestamp.hasSuffix("+00:00"))
        let parsed = try #require(discordTimestampMilliseconds(editedTimestamp))
        #expect(parsed >= Double(before) && parsed - Double(before) < 5000)
        let update = try await probe.dispatch("MESSAGE_UPDATE")
        #expect(update["content"] == "final")
        #expect(update["edited_timestamp"]?.stringValue == editedTimestamp)

        let foreign = try await rest.user(.PATCH, path + "/\(id)", json: ["content": "hijack"])
        #expect(foreign.status == 403)
        #expect(foreign.json == ["code": 50005, "message": "Cannot edit a message authored by another user"])
        #expect(try await rest.bot(.GET, path + "/\(id)").json?["content"] == "final")

        let deleted = try await rest.bot(.DELETE, path + "/\(id)")
        #expect(deleted.status == 204)
        #expect(deleted.body.isEmpty)
        let deleteEvent = try await probe.dispatch("MESSAGE_DELETE")
        #expect(deleteEvent["id"]?.stringValue == id)
        let gone = try await rest.bot(.GET, path + "/\(id)")
        #expect(gone.status == 404)
        #expect(gone.json?["code"] == 10008)
        #expect(try await rest.bot(.DELETE, path + "/\(id)").json?["code"] == 10008)
        try await emulator.shutdown()
    }

    @Test func multipartUploadServesTheExactBytesAndPatchCanRemoveThem() async throws {
        let emulator = try await DiscordEmulator.startForTests(unlimited)
        let info = emulator.info
        let rest = RESTProbe(emulator: emulator)
        let path = "/channels/\(info.generalChannelID)/messages"
        let textBytes = Array("plain text file\nsecond line\n".utf8)
        let binaryBytes: [UInt8] = (0..<300).map { UInt8($0 % 256) }
        var multipart = MultipartBody()
        let payload: JSONValue = [
            "content": "two files",
            "attachments": [
                ["id": 0, "filename": "notes.txt"], ["id": 1, "filename": "blob.bin", "description": "bytes"],
            ],
            "embeds": [["title": "see", "image": ["url": "attachment://blob.bin"]]],
        ]
        // As discord.py sends it: no part Content-Type on payload_json, octet-stream on files.
        multipart.add(name: "payload_json", bytes: payload.serializedBytes())
        multipart.add(name: "files[0]", filename: "notes.txt", contentType: "application/octet-stream", bytes: textBytes)
        multipart.add(name: "files[1]", filename: "blob.bin", contentType: "application/octet-stream", bytes: binaryBytes)
        let created = try await rest.request(
            .POST, path, authorization: "Bot \(info.bridgeBotToken)", body: multipart.bytes,
            contentType: multipart.contentType)
        #expect(created.status == 200)
        let message = try #require(created.json)
        #expect(message["content"] == "two files")
        let attachments = try #require(message["attachments"]?.arrayValue)
        try #require(attachments.count == 2)
        #expect(attachments.map { $0["filename"]?.stringValue } == ["notes.txt", "blob.bin"])
        #expect(attachments.map { $0["size"]?.intValue } == [textBytes.count, binaryBytes.count])
        #expect(attachments[1]["description"] == "bytes")
        #expect(attachments[0]["content_type"]?.stringValue?.hasPrefix("text/plain") == true)
        for (attachment, bytes) in zip(attachments, [textBytes, binaryBytes]) {
            let url = try #require(attachment["url"]?.stringValue)
            #expect(url.hasPrefix(info.baseURL + "/attachments/\(info.generalChannelID)/"))
            #expect(attachment["proxy_url"]?.stringValue == url)
            #expect(attachment["id"]?.snowflakeValue != nil)
            let served = try await rest.request(.GET, url, authorization: nil)
            #expect(served.status == 200)
            #expect(served.body == bytes)
        }
        #expect(message["embeds"]?[0]?["image"]?["url"] == attachments[1]["url"])

        let id = try #require(message["id"]?.stringValue)
        let keepOne = try await rest.bot(
            .PATCH, path + "/\(id)", json: ["attachments": [["id": attachments[1]["id"] ?? .null]]])
        #expect(keepOne.status == 200)
        #expect(keepOne.json?["attachments"]?.arrayValue?.map { $0["filename"] } == ["blob.bin"])
        let removedURL = try #require(attachments[0]["url"]?.stringValue)
        #expect(try await rest.request(.GET, removedURL, authorization: nil).status == 404)

        let stripped = try await rest.bot(.PATCH, path + "/\(id)", json: ["attachments": []])
        #expect(stripped.status == 200)
        #expect(stripped.json?["attachments"] == [])
        #expect(try await rest.bot(.GET, path + "/\(id)").json?["attachments"] == [])
        #expect(try await rest.request(.GET, try #require(attachments[1]["url"]?.stringValue), authorization: nil).status == 404)
        try await emulator.shutdown()
    }

    @Test func snowflakesCarryTheirCreationTimeAndIncrease() async throws {
        let emulator = try await DiscordEmulator.startForTests(unlimited)
        let rest = RESTProbe(emulator: emulator)
        let path = "/channels/\(emulator.info.generalChannelID)/messages"
        var previous: Snowflake?
        for index in 0..<5 {
            let now = WallClock.unixMilliseconds()
            let created = try await rest.bot(.POST, path, json: ["content": .string("s\(index)")])
            let id = try #require(created.json?["id"]?.snowflakeValue)
            #expect(abs(Double(id.unixMilliseconds) - Double(now)) < 3000, "id \(id) was made at \(id.unixMilliseconds), now \(now)")
            if let previous { #expect(id > previous) }
            previous = id
            let timestamp = try #require(created.json?["timestamp"]?.stringValue)
            #expect(timestamp == WallClock.discordTimestamp(unixMilliseconds: id.unixMilliseconds))
            let parsed = try #require(discordTimestampMilliseconds(timestamp))
            #expect(abs(parsed - Double(id.unixMilliseconds)) < 1.5)
        }
        try await emulator.shutdown()
    }

    // MARK: Threads

    @Test func threadsWithoutAndFromAMessage() async throws {
        let emulator = try await DiscordEmulator.startForTests(unlimited)
        let info = emulator.info
        let rest = RESTProbe(emulator: emulator)
        let general = info.generalChannelID

        let publicThread = try await rest.bot(.POST, "/channels/\(general)/threads", json: ["name": "Topic", "type": 11])
        #expect(publicThread.status == 201)
        let thread = try #require(publicThread.json)
        #expect(thread["type"] == 11)
        #expect(thread["name"] == "Topic")
        #expect(thread["parent_id"]?.snowflakeValue == general)
        #expect(thread["owner_id"]?.snowflakeValue == info.bridgeBotUserID)
        #expect(thread["guild_id"]?.snowflakeValue == info.guildID)
        #expect(thread["thread_metadata"]?["archived"] == false)
        #expect(thread["thread_metadata"]?["locked"] == false)
        #expect(thread["thread_metadata"]?["auto_archive_duration"] == 1440)
        #expect(thread["thread_metadata"]?["archive_timestamp"]?.stringValue != nil)
        #expect(thread["member"]?["user_id"]?.snowflakeValue == info.bridgeBotUserID)
        #expect(thread["message_count"] == 0)
        #expect(thread["newly_created"] == nil, "newly_created belongs to THREAD_CREATE only")

        let defaulted = try await rest.bot(
            .POST, "/channels/\(general)/threads",
            json: ["name": "private", "auto_archive_duration": 60, "invitable": false, "rate_limit_per_user": nil])
        #expect(defaulted.status == 201)
        #expect(defaulted.json?["type"] == 12)
        #expect(defaulted.json?["thread_metadata"]?["auto_archive_duration"] == 60)

        // Messages go into the thread.
        let threadID = try #require(thread["id"]?.stringValue)
        #expect(try await rest.bot(.POST, "/channels/\(threadID)/messages", json: ["content": "in thread"]).status == 200)
        #expect(try await rest.bot(.GET, "/channels/\(threadID)").json?["message_count"] == 1)

        let starter = try await rest.bot(.POST, "/channels/\(general)/messages", json: ["content": "start here"])
        let starterID = try #require(starter.json?["id"]?.stringValue)
        let fromMessage = try await rest.bot(.POST, "/channels/\(general)/messages/\(starterID)/threads", json: ["name": "follow-up"])
        #expect(fromMessage.status == 201)
        #expect(fromMessage.json?["id"]?.stringValue == starterID)
        #expect(fromMessage.json?["type"] == 11)
        let updatedStarter = try await rest.bot(.GET, "/channels/\(general)/messages/\(starterID)")
        #expect((updatedStarter.json?["flags"]?.intValue ?? 0) & (1 << 5) != 0)
        #expect(updatedStarter.json?["thread"]?["id"]?.stringValue == starterID)
        let twice = try await rest.bot(.POST, "/channels/\(general)/messages/\(starterID)/threads", json: ["name": "again"])
        #expect(twice.status == 400)
        #expect(twice.json?["code"] == 160004)
        try await emulator.shutdown()
    }

    // MARK: Rate limits

    @Test func messageCreateIsLimitedToFivePerChannel() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let info = emulator.info
        let rest = RESTProbe(emulator: emulator)
        let path = "/channels/\(info.generalChannelID)/messages"
        var buckets: Set<String> = []
        for expectedRemaining in [4, 3, 2, 1, 0] {
            let response = try await rest.bot(.POST, path, json: ["content": "burst"])
            #expect(response.status == 200)
            #expect(response.header("X-RateLimit-Limit") == "5")
            #expect(response.header("X-RateLimit-Remaining") == String(expectedRemaining))
            #expect(response.header("X-RateLimit-Scope") == "user")
            let resetAfter = try #require(response.header("X-RateLimit-Reset-After").flatMap(Double.init))
            #expect(resetAfter > 0 && resetAfter <= 5)
            let reset = try #require(response.header("X-RateLimit-Reset").flatMap(Double.init))
            #expect(abs(reset - resetAfter - Date().timeIntervalSince1970) < 2)
            buckets.insert(try #require(response.header("X-RateLimit-Bucket")))
        }
        #expect(buckets.count == 1)

        let limited = try await rest.bot(.POST, path, json: ["content": "one too many"])
        #expect(limited.status == 429)
        #expect(limited.header("Content-Type") == "application/json")
        #expect(limited.header("Via") != nil)
        let body = try #require(limited.json)
        #expect(body["message"]?.stringValue?.isEmpty == false)
        #expect(body["global"] == false)
        let retryAfter = try #require(body["retry_after"]?.doubleValue)
        #expect(retryAfter > 0 && retryAfter <= 5)
        let retryHeader = try #require(limited.header("Retry-After").flatMap(Int.init))
        #expect(retryHeader == Int(retryAfter.rounded(.up)))
        #expect(limited.header("X-RateLimit-Remaining") == "0")
        #expect(limited.header("X-RateLimit-Bucket") == buckets.first)
        #expect(limited.header("X-RateLimit-Global") == nil)

        // The limited message was not created.
        let listed = try await rest.bot(.GET, path + "?limit=100")
        #expect(listed.json?.arrayValue?.count == 5)

        // Another channel has its own window; another token too.
        let other = try await rest.bot(.POST, "/guilds/\(info.guildID)/channels", json: ["name": "other"])
        let otherID = try #require(other.json?["id"]?.stringValue)
        let elsewhere = try await rest.bot(.POST, "/channels/\(otherID)/messages", json: ["content": "fine"])
        #expect(elsewhere.status == 200)
        #expect(elsewhere.header("X-RateLimit-Remaining") == "4")
        #expect(elsewhere.header("X-RateLimit-Bucket") == buckets.first)
        #expect(try await rest.user(.POST, path, json: ["content": "user"]).status == 200)

        let counters = emulator.counters
        #expect(counters["rate_limited"] == 1)
        #expect(counters["by_token"]?[info.bridgeBotToken]?["rate_limited"] == 1)
        #expect(counters["by_token"]?[info.userToken]?["rate_limited"] == 0)
        try await emulator.shutdown()
    }

    @Test func disabledRateLimitsSendNoHeadersAndNo429() async throws {
        let emulator = try await DiscordEmulator.startForTests(unlimited)
        let rest = RESTProbe(emulator: emulator)
        let path = "/channels/\(emulator.info.generalChannelID)/messages"
        for _ in 0..<8 {
            let response = try await rest.bot(.POST, path, json: ["content": "free"])
            #expect(response.status == 200)
            #expect(!response.headers.contains { $0.name.lowercased().hasPrefix("x-ratelimit") })
        }
        #expect(emulator.counters["rate_limited"] == 0)
        try await emulator.shutdown()
    }
}

/// Unix milliseconds of Discord's `2017-07-11T17:27:07.299000+00:00`.
func discordTimestampMilliseconds(_ text: String) -> Double? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx"
    return formatter.date(from: text).map { $0.timeIntervalSince1970 * 1000 }
}
