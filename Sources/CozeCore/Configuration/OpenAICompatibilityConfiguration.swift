/// Settings of the OpenAI-compatible endpoints (`/v1/chat/completions`, `/v1/images/generations`).
public struct OpenAICompatibilityConfiguration: Sendable, Hashable {
    /// How an OpenAI chat request becomes a prompt and a conversation
    /// (`OpenAPI_Chat_Default_Models2Conversation`, 0–3).
    public enum ConversationMapping: Int, Sendable, Hashable, CaseIterable {
        /// 0: the last `user` message, sent to the default conversation.
        case lastUserMessageToDefault = 0
        /// 1: the whole history flattened (with prefix/suffix), sent to a conversation named after
        /// the model (well-known OpenAI model names go to the default conversation).
        case historyToModelConversation = 1
        /// 2: the last message of any role, sent to a conversation named after the model.
        case lastMessageToModelConversation = 2
        /// 3: the whole history flattened (with prefix/suffix), sent to the default conversation.
        case historyToDefault = 3
    }

    /// Request → conversation mapping (`OpenAPI_Chat_Default_Models2Conversation`).
    public var conversationMapping: ConversationMapping
    /// The default conversation for chat (`OpenAPI_Chat_Default_Channel`).
    public var defaultConversation: String
    /// Text put before a flattened history (`OpenAPI_Chat_MsgForward_Prefix`).
    public var historyPrefix: String
    /// Text put after a flattened history (`OpenAPI_Chat_MsgForward_Suffix`).
    public var historySuffix: String
    /// The conversation image generation uses (`OpenAPI_ImageGenerate_Default_Channel`).
    public var imageConversation: String
    /// Text put before an image prompt (`OpenAI_ImageGenerate_Prompt_Prefix`, a seed key that its
    /// shipped file never showed).
    public var imagePromptPrefix: String
    /// Text put after an image prompt (`OpenAI_ImageGenerate_Prompt_Suffix`, likewise hidden).
    public var imagePromptSuffix: String

    public init(
        conversationMapping: ConversationMapping = .lastUserMessageToDefault,
        defaultConversation: String = "default",
        historyPrefix: String = "",
        historySuffix: String = "",
        imageConversation: String = "default",
        imagePromptPrefix: String = "画图",
        imagePromptSuffix: String = ""
    ) {
        self.conversationMapping = conversationMapping
        self.defaultConversation = defaultConversation
        self.historyPrefix = historyPrefix
        self.historySuffix = historySuffix
        self.imageConversation = imageConversation
        self.imagePromptPrefix = imagePromptPrefix
        self.imagePromptSuffix = imagePromptSuffix
    }
}
