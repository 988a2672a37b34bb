import DiscordWire
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import DiscordEmulator

@Suite("Dispatch order")
struct DispatchOrderTests {
    /// The connections frames were written to, in write order. Only touched on one embedded loop.
    final class WriteLog: @unchecked Sendable {
        var names: [String] = []
    }

    /// Notes each frame written to its channel and swallows it.
    final class WriteRecorder: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = WebSocketFrame
        let name: String
        let log: WriteLog

        init(name: String, log: WriteLog) {
            self.name = name
            self.log = log
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            log.names.append(name)
            promise?.succeed(())
        }
    }

    @Test func aDispatchIsWrittenToSessionsInTheOrderTheyIdentified() throws {
        let world = EmulatorWorld(
            publicBaseURL: "http://127.0.0.1:1", gatewayURL: "ws://127.0.0.1:2", tokenSecret: "dispatch-order")
        // One loop for every connection, as with `discord-emulator --event-loops 1`: writes then
        // happen in the order they were queued.
        let loop = EmbeddedEventLoop()
        let log = WriteLog()
        // Eight sessions: a hash order would match identification order once in 40,320 runs.
        let names = (0..<8).map { "client\($0)" }
        for name in names {
            let channel = EmbeddedChannel(handler: WriteRecorder(name: name, log: log), loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            let outcome = world.identify(
                ["token": .string(world.spareBot.token), "intents": JSONValue(1 | 512)],
                connection: GatewayConnection(channel: channel, compression: .none))
            guard case .accepted = outcome else {
                Issue.record("IDENTIFY of \(name) was not accepted: \(outcome)")
                return
            }
        }
        loop.run()
        #expect(log.names.count == 2 * names.count, "READY and GUILD_CREATE per session")
        log.names.removeAll()

        world.lock.withLock {
            world.dispatchLocked("TYPING_START", ["channel_id": JSONValue(world.generalChannelID)], intent: [])
        }
        loop.run()
        #expect(log.names == names)
    }
}
