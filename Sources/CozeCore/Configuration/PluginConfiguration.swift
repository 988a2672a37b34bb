import DiscordWire

/// One entry of `Plugins:` (additive): a plugin the host loads, with settings only it understands.
public struct PluginConfiguration: Sendable, Hashable {
    /// The plugin's unique name (`Name`, or a bare list item).
    public var name: String
    /// The shared library to load (`Path`); `nil` lets the host look the name up in its plugin
    /// directory.
    public var path: String?
    /// Whether the host loads it (`Enabled`, default `true`), so a plugin can be switched off
    /// without losing its settings.
    public var isEnabled: Bool
    /// The plugin's own settings (`Settings`), kept as written. Always a JSON object, handed to the
    /// plugin's `init` as JSON text (``settingsJSON``). Integers too large for 64 bits stay strings
    /// so IDs keep every digit.
    public var settings: JSONValue

    public init(name: String, path: String? = nil, isEnabled: Bool = true, settings: JSONValue = .object([:])) {
        self.name = name
        self.path = path
        self.isEnabled = isEnabled
        self.settings = settings
    }

    /// ``settings`` serialized as the JSON text the plugin ABI passes to `init`.
    public var settingsJSON: String { settings.serialized() }
}
