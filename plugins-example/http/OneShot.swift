/// Hands a value that is not `Sendable` (an async iterator) from a request handler to the response
/// body closure that runs after it, exactly once. Safe because nothing else touches the value:
/// the handler gives it up when it builds the response.
final class OneShot<Value>: @unchecked Sendable {
    private var value: Value?

    init(_ value: Value) {
        self.value = value
    }

    /// The value; a second call is a programming error.
    func take() -> Value {
        defer { value = nil }
        guard let value else { preconditionFailure("OneShot taken twice") }
        return value
    }
}
