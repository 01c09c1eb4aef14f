import ArgumentParser

/// A number of seconds given on the command line or in a variable: finite, within a range, and so safe to
/// turn into a `Duration` (`inf`, `nan` and `1e30` are refused with a sentence, not a trap).
struct Seconds: Sendable {
    /// The longest duration any option takes: a year.
    static let longest = 366.0 * 24 * 3600

    let value: Double

    init?(_ argument: String) {
        guard let value = Double(argument), value.isFinite, value >= 0.001, value <= Self.longest else { return nil }
        self.value = value
    }

    /// Parses an option's value (`@Option(transform: Seconds.parse)`), saying what is allowed when it is not.
    static func parse(_ text: String) throws -> Seconds {
        guard let seconds = Seconds(text) else { throw ValidationError(rule()) }
        return seconds
    }

    var duration: Duration { .milliseconds(Int64((value * 1000).rounded())) }

    /// The sentence for a value that is not one.
    static func invalid(_ text: String, for name: String, least: Double = 0.001) -> ValidationError {
        ValidationError("\(name) must be \(rule(least: least)); '\(text)' is not")
    }

    private static func rule(least: Double = 0.001) -> String {
        "a number of seconds from \(text(least)) to \(text(longest)) (a year)"
    }

    private static func text(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}
