/// The version of the core library.
public enum CozeCoreVersion {
    public static let string = "0.1.0"
}
