import DiscordWire
import Hummingbird

/// JSON bodies for every response the plugin writes.
enum JSONResponse {
    /// The compact JSON text of `value` (slashes unescaped: URLs stay readable).
    static func encode(_ value: JSONValue) -> ByteBuffer {
        ByteBuffer(bytes: value.serializedBytes())
    }

    /// A complete JSON response.
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: encode(value)))
    }
}
