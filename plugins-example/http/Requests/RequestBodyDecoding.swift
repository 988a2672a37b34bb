import Foundation

/// Why a request body cannot be used, in the terms of an OpenAI error: a sentence, the member at
/// fault and a machine-readable code (the plugin answers it as a 400).
package struct RequestBodyError: Error, Equatable, CustomStringConvertible {
    package var message: String
    package var param: String?
    package var code: String?

    package init(_ message: String, param: String? = nil, code: String? = nil) {
        self.message = message
        self.param = param
        self.code = code
    }

    package var description: String { "\(code ?? "-") \(param ?? "-"): \(message)" }
}

/// Decoding the JSON body of an OpenAI endpoint. Kept apart from the HTTP layer so that the fuzz
/// target `fuzz-http` runs exactly the code the routes run on untrusted bytes.
package enum RequestBodyDecoding {
    /// `bytes` decoded as `Body`, or an `invalid_json` error saying what is wrong and where.
    package static func decode<Body: Decodable>(_ type: Body.Type, from bytes: some Collection<UInt8>) throws(RequestBodyError) -> Body {
        do {
            return try JSONDecoder().decode(Body.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw invalidJSON(describe(error))
        } catch {
            throw invalidJSON("\(error)")
        }
    }

    static func invalidJSON(_ detail: String) -> RequestBodyError {
        RequestBodyError("The body is not valid JSON for this endpoint: \(detail)", code: "invalid_json")
    }

    /// A decoding error in a sentence: what is wrong and where.
    package static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "the body" : String(keys.drop { $0 == "." })
        }
        switch error {
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context): return "\(path(context)): missing member `\(key.stringValue)`"
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(type), found null"
        @unknown default: return "\(error)"
        }
    }
}
