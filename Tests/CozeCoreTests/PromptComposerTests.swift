import DiscordWire
import Foundation
import Testing

@testable import CozeCore

@Suite struct PromptComposerTests {
    static let coze = Snowflake(4_000)
    static let composer = PromptComposer(cozeBotUserID: coze)
    /// `<@4000> ` — 8 UTF-16 code units before the prompt.
    static let prefix = "<@4000> "
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3]
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46, 0x49, 0x46, 0, 1]
    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    @Test func shortPromptMentionsTheBotAndPingsOnlyIt() throws {
        let composed = try Self.composer.compose(prompt: "Hello @everyone <@123>")
        #expect(composed.content == "<@4000> Hello @everyone <@123>")
        #expect(composed.files == [])
        #expect(!composed.promptIsAttached)
        #expect(composed.allowedMentions == ["parse": [], "users": ["4000"], "replied_user": false])
        #expect(composed.payload() == ["content": "<@4000> Hello @everyone <@123>", "allowed_mentions": composed.allowedMentions])
        #expect(composed.payload(nonce: "n1")["enforce_nonce"] == true)
        guard case .json(let json) = composed.body() else {
            Issue.record("expected a JSON body")
            return
        }
        #expect(json["content"] == "<@4000> Hello @everyone <@123>")
    }

    @Test func exactly2000FitsAnd2001GoesAsAFile() throws {
        let fits = String(repeating: "a", count: 2000 - 8)
        let composed = try Self.composer.compose(prompt: fits)
        #expect(composed.content == Self.prefix + fits)
        #expect(composed.content.utf16.count == 2000)
        #expect(!composed.promptIsAttached)

        let over = fits + "b"
        let attached = try Self.composer.compose(prompt: over)
        #expect(attached.promptIsAttached)
        #expect(attached.content == Self.prefix + PromptComposer.Options().effectivePromptFileInstruction)
        #expect(attached.content.contains("prompt.txt"))
        #expect(attached.files == [DiscordFileUpload(filename: "prompt.txt", contentType: "text/plain; charset=utf-8", bytes: Array(over.utf8))])
        guard case .multipart(let body) = attached.body() else {
            Issue.record("expected multipart")
            return
        }
        let text = String(decoding: body.bytes, as: UTF8.self)
        #expect(text.contains("name=\"files[0]\"; filename=\"prompt.txt\""))
        #expect(text.contains("\"filename\":\"prompt.txt\""))
    }

    /// Emoji are two UTF-16 code units each: the conservative count sends 997 of them (1005
    /// scalars with the mention, 2002 code units) as a file, 996 (2000 code units) inline.
    @Test func lengthIsCountedInUTF16CodeUnits() throws {
        let fits = String(repeating: "😀", count: 996)
        #expect(try !Self.composer.compose(prompt: fits).promptIsAttached)
        let over = String(repeating: "😀", count: 997)
        #expect((Self.prefix + over).unicodeScalars.count == 1005)
        let attached = try Self.composer.compose(prompt: over)
        #expect(attached.promptIsAttached)
        #expect(attached.files.first?.bytes == Array(over.utf8))
        // A skin-tone emoji is one character, two scalars, four code units.
        #expect(PromptComposer.length("👍🏽") == 4)
        let skin = String(repeating: "👍🏽", count: 498)  // 1992 code units
        #expect(try !Self.composer.compose(prompt: skin).promptIsAttached)
        #expect(try Self.composer.compose(prompt: skin + "x").promptIsAttached)
    }

    @Test func longPromptsCanBeRefused() {
        var options = PromptComposer.Options()
        options.refusesLongPrompts = true
        let composer = PromptComposer(cozeBotUserID: Self.coze, options: options)
        #expect(throws: PromptCompositionError.promptTooLong(length: 2001, limit: 2000)) {
            try composer.compose(prompt: String(repeating: "a", count: 1993))
        }
        #expect(throws: PromptCompositionError.emptyPrompt) { try Self.composer.compose(prompt: " \n ") }
    }

    @Test func dataURIImagesBecomeAttachmentsOfTheSameMessage() throws {
        let composed = try Self.composer.compose(
            prompt: "What is this?",
            imageReferences: ["data:image/png;base64," + Self.base64(Self.png), "DATA:image/jpeg;name=x.jpg;BASE64," + Self.base64(Self.jpeg)])
        #expect(composed.content == "<@4000> What is this?")
        #expect(composed.files == [
            DiscordFileUpload(filename: "image-1.png", contentType: "image/png", bytes: Self.png),
            DiscordFileUpload(filename: "image-2.jpg", contentType: "image/jpeg", bytes: Self.jpeg),
        ])
    }

    @Test func bareBase64IsSniffedAndWrongLabelsLoseToTheBytes() throws {
        let bare = try PromptImage(reference: Self.base64(Self.png), maxBytes: 100)
        #expect(bare.content == .data(bytes: Self.png, contentType: "image/png", fileExtension: "png"))
        // Labelled PNG, actually JPEG; URL-safe alphabet without padding, with line breaks.
        var encoded = Self.base64(Self.jpeg).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while encoded.hasSuffix("=") { encoded.removeLast() }
        encoded.insert("\n", at: encoded.index(encoded.startIndex, offsetBy: 4))
        let relabelled = try PromptImage(reference: "data:image/png;base64," + encoded, maxBytes: 100)
        #expect(relabelled.content == .data(bytes: Self.jpeg, contentType: "image/jpeg", fileExtension: "jpg"))
        // A known label is trusted for bytes we cannot recognise.
        let webp = try PromptImage(reference: "data:image/webp;base64," + Self.base64([1, 2, 3]), maxBytes: 100)
        #expect(webp.content == .data(bytes: [1, 2, 3], contentType: "image/webp", fileExtension: "webp"))
    }

    @Test func badImagesAreTypedErrors() {
        #expect(throws: PromptCompositionError.invalidImage(index: 1, .invalidBase64(position: 4))) {
            try Self.composer.compose(prompt: "x", imageReferences: ["https://example.com/a.png", "data:image/png;base64,iVBO*w0K"])
        }
        #expect(throws: PromptCompositionError.invalidImage(index: 0, .invalidBase64(position: nil))) {
            try Self.composer.compose(prompt: "x", imageReferences: ["iVBORw0KG"])
        }
        #expect(throws: PromptCompositionError.invalidImage(index: 0, .invalidDataURI("only base64-encoded data URIs are supported"))) {
            try Self.composer.compose(prompt: "x", imageReferences: ["data:image/png,%89PNG"])
        }
        #expect(throws: PromptCompositionError.invalidImage(index: 0, .unsupportedType("image/svg+xml"))) {
            try Self.composer.compose(prompt: "x", imageReferences: ["data:image/svg+xml;base64," + Self.base64(Array("<svg/>".utf8))])
        }
        #expect(throws: PromptCompositionError.invalidImage(index: 0, .unsupportedType("text/plain"))) {
            try Self.composer.compose(prompt: "x", imageReferences: ["data:text/plain;base64,aGVsbG8="])
        }
        #expect(throws: PromptCompositionError.invalidImage(index: 0, .unrecognizedData)) {
            try Self.composer.compose(prompt: "x", imageReferences: ["aGVsbG8gd29ybGQ="])
        }
        #expect(throws: PromptCompositionError.invalidImage(index: 0, .unsupportedReference("ftp://example.com/a.png"))) {
            try Self.composer.compose(prompt: "x", imageReferences: ["ftp://example.com/a.png"])
        }
        #expect(throws: PromptCompositionError.invalidImage(index: 0, .empty)) {
            try Self.composer.compose(prompt: "x", imageReferences: ["data:image/png;base64,"])
        }
    }

    @Test func oversizeImagesAreRefusedBeforeDecoding() {
        var options = PromptComposer.Options()
        options.maxFileBytes = 16
        let composer = PromptComposer(cozeBotUserID: Self.coze, options: options)
        let big = Self.png + [UInt8](repeating: 0, count: 20)
        #expect(throws: PromptCompositionError.invalidImage(index: 0, .tooLarge(bytes: 39, limit: 16))) {
            try composer.compose(prompt: "x", imageReferences: ["data:image/png;base64," + Self.base64(big)])
        }
        #expect(throws: PromptCompositionError.invalidImage(index: 0, .tooLarge(bytes: 39, limit: 16))) {
            try composer.compose(prompt: "x", images: [PromptImage(content: .data(bytes: big, contentType: "image/png", fileExtension: "png"))])
        }
        #expect(throws: PromptCompositionError.promptFileTooLarge(bytes: 2001, limit: 16)) {
            try composer.compose(prompt: String(repeating: "a", count: 2001))
        }
    }

    @Test func urlImagesAreAppendedAsText() throws {
        let composed = try Self.composer.compose(
            prompt: "Describe these", imageReferences: [" https://example.com/a.png ", "http://example.com/b.jpg"])
        #expect(composed.content == "<@4000> Describe these\nhttps://example.com/a.png\nhttp://example.com/b.jpg")
        #expect(composed.files == [])
        // Images alone are a prompt.
        let only = try Self.composer.compose(prompt: "", imageReferences: ["https://example.com/a.png"])
        #expect(only.content == "<@4000> https://example.com/a.png")
        let data = try Self.composer.compose(prompt: "", imageReferences: [Self.base64(Self.png)])
        #expect(data.content == "<@4000>")
        #expect(data.files.count == 1)
    }

    @Test func longPromptKeepsURLsInTheContentAndImagesAfterThePromptFile() throws {
        let long = String(repeating: "word ", count: 500)
        let composed = try Self.composer.compose(
            prompt: long, imageReferences: ["https://example.com/a.png", "data:image/png;base64," + Self.base64(Self.png)])
        #expect(composed.promptIsAttached)
        #expect(composed.content == Self.prefix + PromptComposer.Options().effectivePromptFileInstruction + "\nhttps://example.com/a.png")
        #expect(composed.files.map(\.filename) == ["prompt.txt", "image-1.png"])
        #expect(composed.files[0].bytes == Array((long + "\nhttps://example.com/a.png").utf8))
    }

    @Test func attachmentCountIsLimited() {
        let references = Array(repeating: Self.base64(Self.png), count: 11)
        #expect(throws: PromptCompositionError.tooManyAttachments(count: 11, limit: 10)) {
            try Self.composer.compose(prompt: "x", imageReferences: references)
        }
    }

    @Test func base64DecoderMatchesFoundation() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let encoded = Self.base64(bytes)
            #expect(try Base64.decode(Substring(encoded).utf8) == bytes)
            #expect(Base64.decodedCount(Substring(encoded).utf8) == bytes.count)
        }
        #expect(throws: Base64.DecodingError(position: 3)) { try Base64.decode(Substring("QQ=A").utf8) }
        #expect(throws: Base64.DecodingError(position: 0)) { try Base64.decode(Substring("=QQA").utf8) }
    }
}
