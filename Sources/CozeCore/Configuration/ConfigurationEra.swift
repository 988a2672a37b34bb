/// Which generation of the seed's `Config.yml` a file follows, detected from the keys it uses.
///
/// All three load; the era is reported so the host can tell the user what it understood.
public enum ConfigurationEra: String, Sendable, Hashable, CaseIterable {
    /// Seed 1.0.0201 and older: one bot in flat top-level keys (`Discord_Bot_Token`, `APIKey`,
    /// `CozeBot_InServer_id`, `Discord_CreateChannel_Category`, `CozeBot_id`).
    case a = "A"
    /// Seed 1.0.0203–1.0.0213: a `Bots:` list of bot-token entries (`Discord_Bot_Token`).
    case b = "B"
    /// Seed 1.0.0222 to HEAD: `Bots:` entries with `Protocol` and user `Token`s.
    case c = "C"
}
