import CozeCore

/// NUL-terminated and static, as the header promises (Swift string literals are emitted with a NUL).
private let versionString: StaticString = "0.1.0"

/// `const char *coze_version(void)` — see include/cozebridge.h.
@_cdecl("coze_version")
public func coze_version() -> UnsafePointer<CChar> {
    UnsafeRawPointer(versionString.utf8Start).assumingMemoryBound(to: CChar.self)
}
