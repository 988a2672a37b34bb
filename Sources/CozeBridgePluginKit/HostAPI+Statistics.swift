import CozeBridgeHeaders
import Foundation

extension HostAPI {
    /// The core's monitoring counters (REST attempts and 429s, gateway connections and resumes…)
    /// per bot; nil when the host's table has no `statistics_json` (an older host). Does not block.
    public func statistics() throws(CozeError) -> BridgeStatistics? {
        guard has(\.statistics_json), let get = table.pointee.statistics_json else { return nil }
        var out: UnsafeMutablePointer<CChar>?
        try check(get(&out, bridge))
        guard let out else { throw CozeError(.internal, "statistics_json returned COZE_OK without JSON.") }
        defer { table.pointee.free?(out) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(BridgeStatistics.self, from: Data(bytes: out, count: strlen(out)))
        } catch {
            throw CozeError(.internal, "statistics_json is not the documented JSON: \(error)")
        }
    }
}
