import DiscordWire

/// An error answer in Discord's shape: `{"code": …, "message": …, "errors"?: …}` with its HTTP status.
struct DiscordAPIError: Error, Sendable {
    var status: Int
    var code: Int
    var message: String
    var errors: JSONValue? = nil

    var json: JSONValue {
        var object: [String: JSONValue] = ["code": JSONValue(code), "message": .string(message)]
        if let errors { object["errors"] = errors }
        return .object(object)
    }

    static let unauthorized = DiscordAPIError(status: 401, code: 0, message: "401: Unauthorized")
    static let missingAccess = DiscordAPIError(status: 403, code: 50001, message: "Missing Access")
    static let missingPermissions = DiscordAPIError(status: 403, code: 50013, message: "Missing Permissions")
    static let unknownChannel = DiscordAPIError(status: 404, code: 10003, message: "Unknown Channel")
    static let unknownGuild = DiscordAPIError(status: 404, code: 10004, message: "Unknown Guild")
    static let unknownMessage = DiscordAPIError(status: 404, code: 10008, message: "Unknown Message")
    static let unknownUser = DiscordAPIError(status: 404, code: 10013, message: "Unknown User")
    static let unknownMember = DiscordAPIError(status: 404, code: 10007, message: "Unknown Member")
    static let notFound = DiscordAPIError(status: 404, code: 0, message: "404: Not Found")
    static let methodNotAllowed = DiscordAPIError(status: 405, code: 0, message: "405: Method Not Allowed")
    static let emptyMessage = DiscordAPIError(status: 400, code: 50006, message: "Cannot send an empty message")
    static let editOthersMessage = DiscordAPIError(
        status: 403, code: 50005, message: "Cannot edit a message authored by another user")
    static let tooLarge = DiscordAPIError(status: 413, code: 40005, message: "Request entity too large")
    static let cannotSendInChannel = DiscordAPIError(
        status: 400, code: 50008, message: "Cannot send messages in a non-text channel")

    static func maximumChannels(_ limit: Int) -> DiscordAPIError {
        DiscordAPIError(status: 400, code: 30013, message: "Maximum number of guild channels reached (\(limit))")
    }

    /// 50035 Invalid Form Body with one field error, as Discord nests it.
    static func invalidFormBody(field: String, code: String, message: String) -> DiscordAPIError {
        var errors: JSONValue = ["_errors": [["code": .string(code), "message": .string(message)]]]
        for component in field.split(separator: ".").reversed() {
            errors = [String(component): errors]
        }
        return DiscordAPIError(status: 400, code: 50035, message: "Invalid Form Body", errors: errors)
    }

    static func invalidBody(_ reason: String) -> DiscordAPIError {
        DiscordAPIError(
            status: 400, code: 50035, message: "Invalid Form Body",
            errors: ["_errors": [["code": "MODEL_TYPE_CONVERT", "message": .string(reason)]]])
    }
}
