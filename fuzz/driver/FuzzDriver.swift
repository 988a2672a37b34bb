// The `main` every fuzz target shares.
//
// Built with `-DFUZZING -sanitize=fuzzer,address` (fuzz/run), it starts libFuzzer's driver: SwiftPM
// links executables with `main` aliased to the module's entry point, so libFuzzer's own `main` is
// never used. Without FUZZING (a plain `swift build`) it replays the files named on the command line.
import Foundation

/// The target's check; libFuzzer's callback is a C function, so it reaches the check through here.
nonisolated(unsafe) private var currentCheck: (([UInt8]) -> Void)?

public enum FuzzDriver {
    /// Runs `check` on every input: libFuzzer's (FUZZING builds) or each file argument's bytes.
    public static func run(_ check: @escaping ([UInt8]) -> Void) throws -> Never {
        currentCheck = check
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(
            LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                currentCheck?(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                return 0
            })
        #else
        for path in CommandLine.arguments.dropFirst() {
            check(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
            print("ok \(path)")
        }
        exit(0)
        #endif
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif
