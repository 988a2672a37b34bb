// libFuzzer target: the Config.yml loader (YAML of every era the old bridge wrote, plus ours).
//
// Any input must end in a LoadedConfiguration or a typed ConfigurationError, never a trap.
//
// Built with `-DFUZZING -sanitize=fuzzer,address` by fuzz/run, it runs libFuzzer's driver; otherwise
// (a plain `swift build`) it is a replay tool: `fuzz-config FILE...`.
import CozeCore
import Foundation
import FuzzDriver

@main struct FuzzConfigMain {
    static func main() throws { try FuzzDriver.run(checkConfig) }
}

func checkConfig(_ bytes: [UInt8]) {
    let yaml = String(decoding: bytes, as: UTF8.self)
    let loader = ConfigurationLoader(environment: ["COZE_TOKEN": "t", "HOME": "/nonexistent"])
    do {
        let loaded = try loader.load(yaml: yaml, source: "<fuzz>")
        _ = loaded.warnings.map(\.description)
    } catch {
        _ = error.description
    }
}
