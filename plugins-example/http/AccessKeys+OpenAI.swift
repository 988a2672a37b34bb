import Hummingbird

extension AccessKeys {
    /// The access key of an OpenAI request (nil for the open key); refusals as OpenAI's 401s.
    func openAIKey(for request: Request) throws(OpenAIError) -> String? {
        do {
            return try resolve(AccessKeys.presented(in: request))
        } catch .missing {
            throw OpenAIError.missingKey()
        } catch {
            throw OpenAIError.unknownKey()
        }
    }
}
