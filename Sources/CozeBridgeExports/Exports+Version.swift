import CCozeBridge
import CozeCore

// Every `coze_` function of this target is `public`: an optimised build internalises an internal
// `@c` function and drops it from the library's exports (a release libcozebridge.so then had
// only the C half's functions).

/// NUL-terminated and static, as the header promises (Swift string literals are emitted with a NUL).
private let versionString: StaticString = "0.1.0"

@c @implementation
public func coze_version() -> UnsafePointer<CChar>! {
    UnsafeRawPointer(versionString.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func coze_version_number() -> Int32 {
    COZE_VERSION_MAJOR * 10000 + COZE_VERSION_MINOR * 100 + COZE_VERSION_PATCH
}
