/// Why a ``ConversationStore`` operation was refused or failed.
public enum ConversationStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No conversation of that name under that access key.
    case conversationNotFound(accessKey: String, name: String)
    /// The conversation was deleted (or never existed) while a caller still held its ID.
    case conversationIDNotFound(ConversationID)
    /// Creating or renaming would give an access key two conversations with one name.
    case nameAlreadyExists(accessKey: String, name: String)
    /// The name cannot name a conversation (it is empty).
    case invalidName(String)
    /// The file was written by a newer cozebridge; opening it could corrupt what that version
    /// expects, so it is refused rather than downgraded.
    case schemaTooNew(path: String, fileVersion: Int32, supportedVersion: Int32)
    /// SQLite itself failed (disk full, permissions, a corrupt file, a lock held too long).
    case database(SQLiteError)

    public var description: String {
        switch self {
        case .conversationNotFound(let accessKey, let name):
            return "no conversation named \"\(name)\" for key \"\(accessKey)\""
        case .conversationIDNotFound(let id):
            return "conversation #\(id) no longer exists"
        case .nameAlreadyExists(let accessKey, let name):
            return "key \"\(accessKey)\" already has a conversation named \"\(name)\""
        case .invalidName(let name):
            return "\"\(name)\" is not a valid conversation name: names must not be empty"
        case .schemaTooNew(let path, let fileVersion, let supportedVersion):
            return "\(path) has store schema version \(fileVersion), but this cozebridge understands "
                + "versions up to \(supportedVersion); run a newer cozebridge or point Store_path at another file"
        case .database(let error):
            return error.description
        }
    }
}
