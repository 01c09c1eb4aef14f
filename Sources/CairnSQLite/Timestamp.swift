public import Foundation

/// Times in the journal: ISO-8601 UTC text with milliseconds, readable in `cairn sql` and sortable as text.
public enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func text(_ date: Date) -> String { date.formatted(style) }

    static func date(_ text: String) throws -> Date {
        try Date(text, strategy: style)
    }

    static func date(_ text: String?) throws -> Date? {
        try text.map { try date($0) }
    }
}
