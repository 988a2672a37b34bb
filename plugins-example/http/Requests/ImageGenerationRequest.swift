import Foundation

/// The body of `POST /v1/images/generations` (the members the bridge uses; `model` and `size` are
/// accepted and ignored: the Coze bot decides).
package struct ImageGenerationRequest: Decodable, Sendable {
    package var prompt: String
    package var n: Int?
    package var responseFormat: String?
    package var model: String?
    package var size: String?

    enum CodingKeys: String, CodingKey {
        case prompt, n, model, size
        case responseFormat = "response_format"
    }

    /// How the images are returned.
    package enum ResponseFormat: String, Sendable {
        case url
        case b64JSON = "b64_json"
    }

    /// The most images one request may ask for.
    package static let maximumCount = 10

    /// A request checked for use: how many images, in which form, for which prompt.
    package struct Checked: Sendable, Equatable {
        package var count: Int
        package var format: ResponseFormat
        package var prompt: String
    }

    /// The request's values, or why they cannot be used (`n` out of 1...10, an unknown
    /// `response_format`, a blank prompt).
    package func checked() throws(RequestBodyError) -> Checked {
        let count = n ?? 1
        guard (1...Self.maximumCount).contains(count) else {
            throw RequestBodyError("n must be between 1 and \(Self.maximumCount), found \(count).", param: "n")
        }
        guard let format = ResponseFormat(rawValue: responseFormat ?? "url") else {
            throw RequestBodyError("response_format must be \"url\" or \"b64_json\".", param: "response_format")
        }
        guard !prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw RequestBodyError("The prompt is empty.", param: "prompt")
        }
        try CoreText.check(prompt, param: "prompt")
        return Checked(count: count, format: format, prompt: prompt)
    }
}
