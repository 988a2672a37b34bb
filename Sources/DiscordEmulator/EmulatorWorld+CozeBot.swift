import DiscordWire

extension EmulatorWorld: CozeBotWorld {
    /// The prompt the Coze bot sees for `record`, or `nil` when the message does not mention it.
    /// Caller holds the lock.
    func cozePromptLocked(for record: MessageRecord) -> CozePrompt? {
        guard record.authorID != cozeBot.id, record.mentions(cozeBot.id), let author = user(id: record.authorID) else {
            return nil
        }
        return CozePrompt(
            messageID: record.id, channelID: record.channelID, authorID: author.id, authorIsBot: author.isBot,
            content: record.content,
            attachments: record.attachments.map {
                CozePrompt.Attachment(filename: $0.filename, contentType: $0.contentType, bytes: blobs[$0.id] ?? [])
            })
    }

    func cozeStartTyping(channelID: Snowflake) {
        try? startTyping(by: cozeBot, channelID: channelID)
    }

    func cozeCreateMessage(
        channelID: Snowflake, content: String, replyTo: Snowflake?, embeds: [JSONValue],
        attachments: [AttachmentUpload], components: [JSONValue]
    ) -> Snowflake? {
        var body: [String: JSONValue] = [
            "content": .string(content), "embeds": .array(embeds), "components": .array(components),
        ]
        if let replyTo {
            body["message_reference"] = ["message_id": JSONValue(replyTo), "fail_if_not_exists": false]
        }
        let files = attachments.enumerated().map {
            UploadedFile(index: $0.offset, filename: $0.element.filename, contentType: $0.element.contentType, bytes: $0.element.bytes)
        }
        guard let json = try? createMessage(by: cozeBot, channelID: channelID, .object(body), files: files) else {
            return nil
        }
        return json["id"]?.snowflakeValue
    }

    func cozeEditMessage(
        channelID: Snowflake, messageID: Snowflake, content: String?, embeds: [JSONValue]?,
        newAttachments: [AttachmentUpload], components: [JSONValue]?
    ) -> Bool {
        var body: [String: JSONValue] = [:]
        if let content { body["content"] = .string(content) }
        if let embeds { body["embeds"] = .array(embeds) }
        if let components { body["components"] = .array(components) }
        let files = newAttachments.enumerated().map {
            UploadedFile(index: $0.offset, filename: $0.element.filename, contentType: $0.element.contentType, bytes: $0.element.bytes)
        }
        return (try? editMessage(by: cozeBot, channelID: channelID, messageID: messageID, .object(body), files: files)) != nil
    }
}
