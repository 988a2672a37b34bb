import CozeBridgePluginKit
import Foundation

/// The text a chat completion shows for an answer: Coze's text, then a markdown link for every
/// image that is not already a link in the text (embeds and attachments), so chat clients show
/// them. The links carry the title "coze", which lets ``removingImageLinks(_:)`` take them off
/// again when the client sends the answer back as history.
package enum ChatAnswerText {
    private static let linkStart = "\n\n![image]("
    private static let linkEnd = " \"coze\")"

    /// The links to append for `answer`'s images ("" when there are none to add).
    package static func imageLinks(for answer: Answer) -> String {
        answer.images.filter { $0.source != "markdown" && !answer.text.contains($0.url) }
            .map { linkStart + $0.url + linkEnd }.joined()
    }

    /// The full text for a non-streamed answer.
    package static func text(for answer: Answer) -> String {
        answer.text + imageLinks(for: answer)
    }

    /// `text` without the trailing links ``imageLinks(for:)`` appended.
    package static func removingImageLinks(_ text: String) -> String {
        var result = Substring(text)
        while result.hasSuffix(linkEnd), let start = result.range(of: linkStart, options: .backwards) {
            let url = result[start.upperBound..<result.index(result.endIndex, offsetBy: -linkEnd.count)]
            guard !url.isEmpty, !url.contains(where: { $0 == " " || $0 == "\n" || $0 == ")" }) else { break }
            result = result[..<start.lowerBound]
        }
        return String(result)
    }
}

