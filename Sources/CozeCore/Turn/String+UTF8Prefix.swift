#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// Whether this string's UTF-8 bytes begin with all of `prefix`'s: byte-exact, where
    /// `hasPrefix` compares by canonical equivalence.
    ///
    /// One `memcmp` over the native storage: the generic `utf8.starts(with:)` walked the
    /// UTF-8 view index by index and was the biggest single cost of a streamed edit.
    func utf8HasPrefix(_ prefix: String) -> Bool {
        let length = prefix.utf8.count
        guard utf8.count >= length else { return false }
        guard length > 0 else { return true }
        let compared = utf8.withContiguousStorageIfAvailable { mine in
            prefix.utf8.withContiguousStorageIfAvailable { theirs in
                memcmp(mine.baseAddress!, theirs.baseAddress!, length) == 0
            }
        }
        if let compared, let compared { return compared }
        return utf8.starts(with: prefix.utf8)
    }

    /// Whether the two strings have the same UTF-8 bytes (`==` compares by canonical equivalence).
    func utf8Equals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && utf8HasPrefix(other)
    }
}
