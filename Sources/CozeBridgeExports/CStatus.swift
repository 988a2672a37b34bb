import CCozeBridge
import CozeCore

/// A failure on its way out through the C API: the status code a function returns and the
/// sentence `coze_last_error()` gives.
struct CFailure: Error {
    let status: Int32
    let message: String

    init(_ status: Int32, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Maps every error the core throws or reports to its `COZE_E*` code, keeping the core's own
    /// explanation (it already says what happened and what to do).
    init(_ error: any Error) {
        switch error {
        case let failure as CFailure:
            self = failure
        case let error as ConfigurationError:
            self.init(COZE_ECONFIG, error.description)
        case let error as CozeBridgeError:
            self.init(Self.status(of: error), error.description)
        case let error as TurnError:
            self.init(Self.status(of: error), error.description)
        case is CancellationError:
            self.init(COZE_ECANCELLED, "The request was cancelled.")
        default:
            self.init(COZE_EINTERNAL, "Unexpected error in libcozebridge: \(error)")
        }
    }

    static func status(of error: CozeBridgeError) -> Int32 {
        switch error {
        case .unknownAccessKey: return COZE_ENOKEY
        case .conversationNotFound: return COZE_ENOTFOUND
        case .conversationExists: return COZE_EEXISTS
        case .conversationBotMissing, .botUnavailable, .noBotAvailable: return COZE_EUNAVAILABLE
        case .invalidPrompt: return COZE_EPROMPT
        case .discord: return COZE_EDISCORD
        case .store: return COZE_ESTORE
        case .invalidConfiguration: return COZE_ECONFIG
        case .notRunning: return COZE_ECLOSED
        }
    }

    static func status(of error: TurnError) -> Int32 {
        switch error {
        case .quotaExhausted: return COZE_EQUOTA
        case .cozeError: return COZE_ECOZE
        case .noReply: return COZE_ENOREPLY
        case .idleTimeout, .overallTimeout: return COZE_ETIMEOUT
        case .replyDeleted, .promptDeleted, .channelDeleted: return COZE_EGONE
        case .discord: return COZE_EDISCORD
        case .cancelled: return COZE_ECANCELLED
        }
    }

    static func invalid(_ message: String) -> CFailure { CFailure(COZE_EINVAL, message) }
}

/// Runs the body of a C entry point: success clears the thread's last error, a failure records
/// it. Nothing thrown escapes into C.
func cEntry(_ body: () throws -> Void) -> Int32 {
    do {
        try body()
        czb_set_last_error(COZE_OK, nil)
        return COZE_OK
    } catch {
        let failure = CFailure(error)
        czb_set_last_error(failure.status, failure.message)
        return failure.status
    }
}
