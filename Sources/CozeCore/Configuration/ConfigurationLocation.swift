/// Where in a configuration source a value (or a problem) sits.
///
/// Every error and warning carries one, so a host can print `Config.yml:12:5: Bots[1].Server_id: …`
/// and the user can jump straight to the line.
public struct ConfigurationLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file the configuration came from, or a label such as `<string>` or `<environment>`
    /// when it did not come from a file.
    public var source: String
    /// The key path inside the document, e.g. `Bots[1].Server_id`. Empty for the document itself.
    public var keyPath: String
    /// 1-based line, when the position is known.
    public var line: Int?
    /// 1-based column (in Unicode scalars, as libyaml counts), when the position is known.
    public var column: Int?

    public init(source: String, keyPath: String, line: Int? = nil, column: Int? = nil) {
        self.source = source
        self.keyPath = keyPath
        self.line = line
        self.column = column
    }

    /// `source:line:column: keyPath` — the shape compilers use, so editors can link it.
    public var description: String {
        var text = source
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        if !keyPath.isEmpty { text += ": \(keyPath)" }
        return text
    }
}
