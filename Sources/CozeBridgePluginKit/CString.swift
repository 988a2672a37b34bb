/// Copying C strings and arrays out of the core's borrowed memory, and lending Swift strings to it.
enum CString {
    /// `length` bytes at `text` as UTF-8 ("" for NULL).
    static func string(_ text: UnsafePointer<CChar>?, length: Int) -> String {
        guard let text, length > 0 else { return "" }
        return text.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// A NUL-terminated string, or nil for NULL.
    static func optional(_ text: UnsafePointer<CChar>?) -> String? {
        text.map { String(cString: $0) }
    }

    /// `count` elements at `items` (none for NULL).
    static func buffer<Element>(_ items: UnsafePointer<Element>?, count: Int) -> UnsafeBufferPointer<Element> {
        guard let items, count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: items, count: count)
    }

    /// `count` NUL-terminated strings (a NULL entry becomes "").
    static func strings(_ items: UnsafePointer<UnsafePointer<CChar>?>?, count: Int) -> [String] {
        buffer(items, count: count).map { $0.map { String(cString: $0) } ?? "" }
    }

    /// Calls `body` with a C string for `text`, or NULL when it is nil.
    static func withOptional<R, E: Error>(
        _ text: String?, _ body: (UnsafePointer<CChar>?) throws(E) -> R
    ) throws(E) -> R {
        guard let text else { return try body(nil) }
        return try text.withCString { pointer in Result { () throws(E) -> R in try body(pointer) } }.get()
    }

    /// A copy allocated with malloc (the caller, or the host, releases it with free()).
    static func malloced(_ text: String) -> UnsafeMutablePointer<CChar>? {
        strdup(text)
    }

    /// Calls `body` with an array of C strings (valid during the call only).
    static func withArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws -> R) rethrows -> R {
        if strings.isEmpty { return try body(nil) }
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer<CChar>($0) }
        return try pointers.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
