/// Text the plugin hands to the core. The host's function table takes NUL-terminated C strings,
/// so a NUL character (U+0000) would silently cut a prompt or a name short there (an image prompt
/// lost its suffix that way); such text is refused as a bad request instead.
package enum CoreText {
    /// Throws when `text` cannot reach the core whole; `param` names where it came from.
    package static func check(_ text: String, param: String) throws(RequestBodyError) {
        guard text.utf8.contains(0) else { return }
        throw RequestBodyError(
            "\(param) contains a NUL character (U+0000), which the bridge cannot send.", param: param, code: "invalid_text")
    }
}
