import DiscordWire

/// A file the simulated Coze bot attaches to one of its messages.
struct AttachmentUpload: Sendable, Equatable {
    var filename: String
    var contentType: String
    var bytes: [UInt8]
}

/// A message that mentioned the simulated Coze bot, as the bot sees it.
struct CozePrompt: Sendable, Equatable {
    /// A file attached to the prompt, with its bytes already read.
    struct Attachment: Sendable, Equatable {
        var filename: String
        var contentType: String?
        var bytes: [UInt8]
    }

    var messageID: Snowflake
    var channelID: Snowflake
    var authorID: Snowflake
    var authorIsBot: Bool
    /// The text of the message, mention included.
    var content: String
    var attachments: [Attachment]
}

/// What the simulated Coze bot can do in the emulated guild. Every action goes through the same
/// state store and gateway dispatch as REST requests do, so clients see exactly what Discord emits.
protocol CozeBotWorld: AnyObject, Sendable {
    /// Base URL of the emulator (`http://127.0.0.1:P`), for URLs inside answers.
    var publicBaseURL: String { get }

    /// Dispatches TYPING_START for the Coze bot in `channelID`.
    func cozeStartTyping(channelID: Snowflake)

    /// Creates a message authored by the Coze bot. With `replyTo` it is an inline reply (type 19,
    /// `message_reference` and `referenced_message` to that message, which mentions its author).
    /// Returns `nil` when the channel no longer exists.
    func cozeCreateMessage(
        channelID: Snowflake,
        content: String,
        replyTo: Snowflake?,
        embeds: [JSONValue],
        attachments: [AttachmentUpload],
        components: [JSONValue]
    ) -> Snowflake?

    /// Edits a message of the Coze bot: `nil` fields are left as they are; `newAttachments` are
    /// added. Dispatches MESSAGE_UPDATE. Returns `false` when the message no longer exists.
    func cozeEditMessage(
        channelID: Snowflake,
        messageID: Snowflake,
        content: String?,
        embeds: [JSONValue]?,
        newAttachments: [AttachmentUpload],
        components: [JSONValue]?
    ) -> Bool
}
