// swift-tools-version:6.0
import PackageDescription

/// cozebridge: a Coze-on-Discord bridge with a C ABI core, a plugin host, and a
/// wire-faithful Discord emulator used by every test and benchmark.
let package = Package(
    name: "cozebridge",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "DiscordWire", targets: ["DiscordWire"]),
        .library(name: "DiscordEmulator", targets: ["DiscordEmulator"]),
        .executable(name: "discord-emulator", targets: ["discord-emulator"]),
        .library(name: "CozeCore", targets: ["CozeCore"]),
        // libcozebridge.so: the C API (include/cozebridge.h) over CozeCore, the only image that
        // holds CozeCore for C, Python and plugin consumers.
        .library(
            name: "cozebridge",
            type: .dynamic,
            targets: ["CozeBridgeExports"]
        ),
        // The plugin host; `make` installs it as `cozebridge`.
        .executable(name: "cozebridge-host", targets: ["host"]),
        // The OpenAI-compatible HTTP frontend (plugins-example/http), a plugin the host dlopens.
        .library(name: "cozebridge-http", type: .dynamic, targets: ["CozeBridgeHTTPPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // GET /metrics of the http plugin: the swift-metrics API over a Prometheus registry.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The emulator's gateway sessions in identification order (OrderedDictionary).
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        // HTTP response heads in the http plugin's handler tests (Hummingbird's HTTP vocabulary).
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // System zlib, for gateway `zlib-stream` transport compression (both directions).
        .target(
            name: "CZlib",
            linkerSettings: [.linkedLibrary("z")]
        ),
        // Discord wire-level vocabulary shared by the emulator and the client:
        // JSON values, snowflakes, gateway opcodes and intents, zlib-stream.
        .target(
            name: "DiscordWire",
            dependencies: [
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // SOCKS5 for gateway connections through a proxy; TLS for wss:// (the real gateway).
                .product(name: "NIOSOCKS", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "DiscordEmulator",
            dependencies: [
                "DiscordWire",
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "discord-emulator",
            dependencies: [
                "DiscordEmulator",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // bench/emulator-edits: how many Coze edits per second the emulator delivers to one client.
        .executableTarget(
            name: "emulator-bench",
            dependencies: [
                "DiscordEmulator",
                "DiscordWire",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The system SQLite (libsqlite3-dev), for the durable conversation store.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .target(
            name: "CozeCore",
            dependencies: [
                "DiscordWire",
                "CSQLite",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The C half of libcozebridge: the public header (a link to include/cozebridge.h), status
        // names, the thread-local last error and the free functions.
        .target(name: "CCozeBridge"),
        // The Swift half: `@c @implementation` of every header function, checked against the header.
        // SONAME libcozebridge.so.1, and a version script that exports `coze_*` only.
        .target(
            name: "CozeBridgeExports",
            dependencies: ["CCozeBridge", "CozeCore", "DiscordWire"],
            exclude: ["exports.map"],
            linkerSettings: [
                .unsafeFlags([
                    "-Xlinker", "-soname=libcozebridge.so.1",
                    "-Xlinker", "--version-script=Sources/CozeBridgeExports/exports.map",
                ])
            ]
        ),
        // The public headers as a module, for code that reaches the core through C only.
        .target(name: "CozeBridgeHeaders"),
        // The host reaches the core by dlopen(libcozebridge.so.1) and hands plugins a function
        // table; it links no CozeCore (one copy per process). The emulator is for `--demo`.
        .executableTarget(
            name: "host",
            dependencies: [
                "CozeBridgeHeaders",
                "CozeBridgePluginKit",
                "DiscordEmulator",
                "DiscordWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Swift plugins' view of the host's C function table (no CozeCore): HostAPI, streams as
        // AsyncThrowingStream, a swift-log handler, and the build fingerprint the host compares.
        .target(
            name: "CozeBridgePluginKit",
            dependencies: [
                "CozeBridgeHeaders",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // plugins-example/http: OpenAI-compatible API and the seed's API, on Hummingbird. Exports
        // only its entry symbol; reaches the core through the host's table. Its copies of
        // DiscordWire (JSON), swift-metrics and the rest are its own (no CozeCore).
        .target(
            name: "CozeBridgeHTTPPlugin",
            dependencies: [
                "CozeBridgeHeaders",
                "CozeBridgePluginKit",
                "DiscordWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "CozeBridgeHTTPRequests",
                "CozeBridgeEventLoopExecutor",
            ],
            path: "plugins-example/http",
            exclude: ["exports.map", "README.md", "Requests", "EventLoopExecutor"],
            linkerSettings: [
                .unsafeFlags(["-Xlinker", "--version-script=plugins-example/http/exports.map"])
            ]
        ),
        // What the http plugin does with request bodies before any turn (decoding and checking chat
        // and image requests, the seed API's parameters, the dialogue, prompt text, token counts):
        // no HTTP server, so that the fuzz target fuzz-http compiles it on its own.
        .target(
            name: "CozeBridgeHTTPRequests",
            dependencies: ["CozeBridgePluginKit", "DiscordWire"],
            path: "plugins-example/http/Requests"
        ),
        // The http plugin's event-loop pieces: the task executor that keeps a streamed response on
        // its connection's event loop, and the handler that sends a streamed response's head with
        // its first part. Their own module, so that a test target can link them without the
        // plugin's export list.
        .target(
            name: "CozeBridgeEventLoopExecutor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            path: "plugins-example/http/EventLoopExecutor"
        ),
        // Operator tool for the conversation store (list, legacy import) and the crash-test writer.
        .executableTarget(
            name: "cozebridge-store",
            dependencies: [
                "CozeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Operator chat tool (send a prompt, stream the answer; list conversations); also the
        // child process the crash-restart tests SIGKILL mid-turn.
        .executableTarget(
            name: "cozebridge-cli",
            dependencies: [
                "CozeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets: fuzz/run builds them with -DFUZZING -sanitize=fuzzer,address (main starts
        // libFuzzer's driver). Without -DFUZZING each is a replay tool: `fuzz-json FILE...`.
        .target(name: "FuzzDriver", path: "fuzz/driver"),
        .executableTarget(name: "fuzz-json", dependencies: ["FuzzDriver", "DiscordWire"], path: "fuzz/json"),
        .executableTarget(
            name: "fuzz-gateway", dependencies: ["FuzzDriver", "CozeCore", "DiscordWire"], path: "fuzz/gateway"),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzDriver", "CozeCore"], path: "fuzz/config"),
        .executableTarget(
            name: "fuzz-http", dependencies: ["FuzzDriver", "CozeBridgeHTTPRequests"], path: "fuzz/http"),
        // Helpers shared by test targets (test targets cannot depend on one another).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "CozeCoreTests",
            dependencies: [
                "CozeCore", "DiscordEmulator", "DiscordWire", "TestSupport",
                // Loopback HTTP CONNECT and SOCKS5 proxies for the gateway proxy tests.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["StoreFixtures"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "DiscordWireTests",
            dependencies: ["DiscordWire", "TestSupport"]
        ),
        .testTarget(
            name: "DiscordEmulatorTests",
            dependencies: [
                "DiscordEmulator",
                "DiscordWire",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "CozeBridgePluginKitTests",
            dependencies: ["CozeBridgePluginKit"]
        ),
        .testTarget(
            name: "CozeBridgeEventLoopExecutorTests",
            dependencies: [
                "CozeBridgeEventLoopExecutor",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
