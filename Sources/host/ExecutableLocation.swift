import Foundation

/// Where this program's file is, for finding the library and plugins installed beside it.
enum ExecutableLocation {
    /// The directory of the running executable (symlinks resolved).
    static var directory: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    }
}
