import ArgumentParser
import Cairn
import Foundation

extension RunQuery.Status {
    /// The statuses named by `--status` words, refusing an unknown word with the list of known ones.
    static func parse(_ words: [String]) throws -> Set<Self> {
        try Set(words.map { word in
            guard let status = Self(word: word) else {
                throw ValidationError("Unknown status '\(word)': use one of \(Self.words.joined(separator: ", ")).")
            }
            return status
        })
    }
}

/// A point in time given on the command line: an ISO 8601 date (`2026-12-01`, midnight UTC) or date and time
/// (`2026-12-01T09:30:00Z`), or an age back from now (`90m`, `24h`, `7d`).
struct PointInTime: Sendable {
    let date: Date

    /// Parses an option's value (`@Option(transform: PointInTime.parse)`), saying what is allowed when it is not.
    static func parse(_ text: String) throws -> PointInTime {
        let styles = [Date.ISO8601FormatStyle(includingFractionalSeconds: text.contains(".")), Date.ISO8601FormatStyle().year().month().day()]
        if let date = styles.lazy.compactMap({ try? Date(text, strategy: $0) }).first {
            return PointInTime(date: date)
        }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()), count.isFinite, count >= 0,
           count * unit <= Seconds.longest {
            return PointInTime(date: Date().addingTimeInterval(-count * unit))
        }
        throw ValidationError("'\(text)' is not a time: give a date (2026-12-01), a date and time (2026-12-01T09:30:00Z), "
            + "or an age such as 90m, 24h or 7d")
    }
}
