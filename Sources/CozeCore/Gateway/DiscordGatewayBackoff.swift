/// Exponential backoff with jitter for gateway reconnects.
///
/// Attempt `n` (0 for the first retry after a stable session) waits a random time between half
/// and all of `min(maximum, initial × multiplierⁿ)`: the random half spreads many bots that lost
/// the same network apart, the fixed half keeps the growth.
public struct DiscordGatewayBackoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(60), multiplier: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = max(1, multiplier)
    }

    /// The delay before retry `attempt`, with `random` in 0...1 (a parameter so tests can pin it).
    public func delay(attempt: Int, random: Double) -> Duration {
        // Computed in seconds as Double: the power overflows no integer and `min` caps it.
        let initialSeconds = Self.seconds(initial)
        let cap = Self.seconds(maximum)
        let exponent = Double(min(max(attempt, 0), 64))
        let base = min(cap, initialSeconds * pow2(multiplier, exponent))
        let jittered = base * (0.5 + 0.5 * min(max(random, 0), 1))
        return .nanoseconds(Int64((jittered * 1e9).rounded()))
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    private func pow2(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var remaining = Int(exponent)
        while remaining > 0 {
            result *= base
            if result > 1e12 { return result }
            remaining -= 1
        }
        return result
    }
}
