import CozeBridgeHeaders

/// A status code of the core's C API (`COZE_OK` or one of the `COZE_E*` codes of cozebridge.h).
public struct CozeStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Success.
    public static let ok = CozeStatus(rawValue: COZE_OK)
    /// A NULL, empty or malformed argument.
    public static let invalidArgument = CozeStatus(rawValue: COZE_EINVAL)
    /// The configuration was refused.
    public static let config = CozeStatus(rawValue: COZE_ECONFIG)
    /// No configured bot has this access key.
    public static let unknownKey = CozeStatus(rawValue: COZE_ENOKEY)
    /// The access key has no conversation of this name.
    public static let notFound = CozeStatus(rawValue: COZE_ENOTFOUND)
    /// The access key already has a conversation of this name.
    public static let exists = CozeStatus(rawValue: COZE_EEXISTS)
    /// No bot can take the turn.
    public static let unavailable = CozeStatus(rawValue: COZE_EUNAVAILABLE)
    /// The prompt cannot be sent (e.g. a malformed image data URI).
    public static let badPrompt = CozeStatus(rawValue: COZE_EPROMPT)
    /// Discord refused a request.
    public static let discord = CozeStatus(rawValue: COZE_EDISCORD)
    /// The Coze bot never answered.
    public static let noReply = CozeStatus(rawValue: COZE_ENOREPLY)
    /// Coze answered with its quota text.
    public static let quota = CozeStatus(rawValue: COZE_EQUOTA)
    /// Coze answered with one of its error texts.
    public static let coze = CozeStatus(rawValue: COZE_ECOZE)
    /// A timeout passed.
    public static let timeout = CozeStatus(rawValue: COZE_ETIMEOUT)
    /// A message or the channel of the turn was deleted during it.
    public static let gone = CozeStatus(rawValue: COZE_EGONE)
    /// The stream was cancelled, or its bridge destroyed.
    public static let cancelled = CozeStatus(rawValue: COZE_ECANCELLED)
    /// The conversation store failed.
    public static let store = CozeStatus(rawValue: COZE_ESTORE)
    /// The bridge is being destroyed.
    public static let closed = CozeStatus(rawValue: COZE_ECLOSED)
    /// Called from a callback where that would deadlock.
    public static let reentrant = CozeStatus(rawValue: COZE_EREENTRANT)
    /// A bug in libcozebridge.
    public static let `internal` = CozeStatus(rawValue: COZE_EINTERNAL)

    /// The C name of the code ("COZE_ENOKEY"), or "COZE_E?(n)" for a code this module does not know.
    public var name: String {
        switch rawValue {
        case COZE_OK: "COZE_OK"
        case COZE_EINVAL: "COZE_EINVAL"
        case COZE_ECONFIG: "COZE_ECONFIG"
        case COZE_ENOKEY: "COZE_ENOKEY"
        case COZE_ENOTFOUND: "COZE_ENOTFOUND"
        case COZE_EEXISTS: "COZE_EEXISTS"
        case COZE_EUNAVAILABLE: "COZE_EUNAVAILABLE"
        case COZE_EPROMPT: "COZE_EPROMPT"
        case COZE_EDISCORD: "COZE_EDISCORD"
        case COZE_ENOREPLY: "COZE_ENOREPLY"
        case COZE_EQUOTA: "COZE_EQUOTA"
        case COZE_ECOZE: "COZE_ECOZE"
        case COZE_ETIMEOUT: "COZE_ETIMEOUT"
        case COZE_EGONE: "COZE_EGONE"
        case COZE_ECANCELLED: "COZE_ECANCELLED"
        case COZE_ESTORE: "COZE_ESTORE"
        case COZE_ECLOSED: "COZE_ECLOSED"
        case COZE_EREENTRANT: "COZE_EREENTRANT"
        case COZE_EINTERNAL: "COZE_EINTERNAL"
        default: "COZE_E?(\(rawValue))"
        }
    }

    public var description: String { name }
}
