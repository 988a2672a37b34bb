import CCozeBridge
import CozeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Allocation of what the library hands to C callers. Everything is malloc/strdup so that the C
/// free functions (Sources/CCozeBridge/cozebridge_support.c) release it with libc `free`.
enum CMemory {
    /// A malloc'd NUL-terminated copy of `text`.
    static func string(_ text: String) -> UnsafeMutablePointer<CChar> {
        text.withCString { strdup($0)! }
    }

    static func string(_ text: String?) -> UnsafeMutablePointer<CChar>? {
        text.map { string($0) }
    }

    /// A malloc'd array of `count` values (never NULL, even for zero).
    static func array<T>(of _: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = malloc(max(1, count) * MemoryLayout<T>.stride)!
        return raw.bindMemory(to: T.self, capacity: max(1, count))
    }

    static func one<T>(_ value: T) -> UnsafeMutablePointer<T> {
        let pointer = array(of: T.self, count: 1)
        pointer.initialize(to: value)
        return pointer
    }

    static func image(_ image: TurnImage) -> coze_image {
        coze_image(
            url: string(image.url), source: string(image.source.rawValue), filename: string(image.filename),
            content_type: string(image.contentType), width: Int32(clamping: image.width ?? 0),
            height: Int32(clamping: image.height ?? 0))
    }

    /// An answer whose members are all malloc'd; the caller frees it with `coze_answer_free`.
    static func answer(_ result: TurnResult) -> UnsafeMutablePointer<coze_answer> {
        let images = array(of: coze_image.self, count: result.images.count)
        for (index, image) in result.images.enumerated() { (images + index).initialize(to: self.image(image)) }
        let suggestions = array(of: UnsafePointer<CChar>?.self, count: result.suggestions.count)
        for (index, label) in result.suggestions.enumerated() {
            (suggestions + index).initialize(to: UnsafePointer(string(label)))
        }
        return one(
            coze_answer(
                text: UnsafePointer(string(result.text)), text_length: result.text.utf8.count,
                images: UnsafePointer(images), image_count: result.images.count,
                suggestions: UnsafePointer(suggestions), suggestion_count: result.suggestions.count,
                completion: UnsafePointer(string(result.completion.rawValue))))
    }

    /// `text` as a Swift string; a NULL pointer is an `EINVAL` naming the argument.
    static func required(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
        guard let pointer else { throw CFailure.invalid("\(name) is NULL.") }
        return String(cString: pointer)
    }

    /// Like ``required(_:_:)`` but an empty string is refused too.
    static func nonEmpty(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
        let text = try required(pointer, name)
        guard !text.isEmpty else { throw CFailure.invalid("\(name) is empty.") }
        return text
    }

    /// The access key of a request: NULL or "" is the open key (bots configured without a key).
    static func accessKey(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer, pointer.pointee != 0 else { return BotConfiguration.openAccessKey }
        return String(cString: pointer)
    }
}
