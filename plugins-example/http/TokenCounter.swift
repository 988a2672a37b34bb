import CozeBridgeHTTPRequests
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The token counts of `usage`: exact cl100k_base counts (``CL100KTokenizer``) when a rank file is
/// at hand, else ``TokenEstimate``'s estimate (Coze reports no tokens).
///
/// The rank file (`TokenizerRanks`, else `cl100k_base.tiktoken` next to the plugin's shared
/// object) is read on first use; a file that cannot be read or is not cl100k_base's is reported
/// once and the estimate is used from then on.
final class TokenCounter: Sendable {
    /// The rank file's name next to the plugin.
    static let ranksFileName = "cl100k_base.tiktoken"

    /// cl100k_base's ids of a sentence, to tell its rank file from any other.
    private static let check = (text: " naïve café 😀 12345\n\n", tokens: [95980, 588, 53050, 91416, 220, 4513, 1774, 271])

    private enum State {
        case unloaded(path: String)
        case loaded(CL100KTokenizer)
        case unavailable
    }

    private let state: Mutex<State>
    private let logger: Logger

    /// Counts with the rank file at `ranksPath`, or estimates when it is nil.
    init(ranksPath: String?, logger: Logger) {
        state = Mutex(ranksPath.map { .unloaded(path: $0) } ?? .unavailable)
        self.logger = logger
    }

    /// The rank file next to the plugin's shared object, when there is one.
    static func ranksNextToPlugin() -> String? {
        guard let image = pluginImagePath() else { return nil }
        let path = URL(fileURLWithPath: image).deletingLastPathComponent().appendingPathComponent(ranksFileName).path
        return FileManager.default.isReadableFile(atPath: path) ? path : nil
    }

    /// The file this image (the plugin) was loaded from: dladdr() of its own `#dsohandle`. Swift's
    /// Glibc module declares neither dladdr nor Dl_info (they need _GNU_SOURCE): dladdr is looked up
    /// with dlsym, and Dl_info is four pointers, the file name first.
    private static func pluginImagePath() -> String? {
        typealias DladdrFunction = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32
        // RTLD_DEFAULT is the null handle.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "dladdr") else { return nil }
        let dladdr = unsafeBitCast(symbol, to: DladdrFunction.self)
        return withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: 4) { info in
            info.initialize(repeating: nil)
            guard dladdr(#dsohandle, UnsafeMutableRawPointer(info.baseAddress)) != 0, let file = info[0] else { return nil }
            return String(cString: file)
        }
    }

    /// The tokenizer, loading the rank file on the first call; nil when counts are estimates.
    var tokenizer: CL100KTokenizer? {
        state.withLock { state in
            switch state {
            case .loaded(let tokenizer): return tokenizer
            case .unavailable: return nil
            case .unloaded(let path):
                do {
                    let tokenizer = CL100KTokenizer(ranks: try BytePairRanks(contentsOf: path))
                    guard tokenizer.encode(Self.check.text) == Self.check.tokens else {
                        throw BytePairRanks.Invalid(description: "\(path) is not cl100k_base's rank file")
                    }
                    logger.info("usage: exact cl100k_base token counts (\(tokenizer.ranks.count) tokens from \(path)).")
                    state = .loaded(tokenizer)
                    return tokenizer
                } catch {
                    logger.warning("usage: estimated token counts: \(error)")
                    state = .unavailable
                    return nil
                }
            }
        }
    }

    /// The tokens of a text.
    func count(_ text: String) -> Int {
        tokenizer?.count(text) ?? TokenEstimate.count(text)
    }

    /// The prompt tokens of a chat request, as OpenAI documents the accounting of gpt-3.5-turbo
    /// and gpt-4 chats: 3 per message, plus the tokens of its role, its text (the text parts of a
    /// content array joined by line breaks; images are not counted) and its name with 1 more, plus
    /// 3 that prime the reply.
    func count(messages: [ChatMessage]) -> Int {
        let tokenizer = tokenizer
        let count = { (text: String) in tokenizer?.count(text) ?? TokenEstimate.count(text) }
        return messages.reduce(3) { total, message in
            total + 3 + count(message.role) + count(message.content?.text ?? "") + (message.name.map { count($0) + 1 } ?? 0)
        }
    }
}
