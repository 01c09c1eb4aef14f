public import Foundation

/// Times in the journal: ISO-8601 UTC text with milliseconds, readable in `cairn sql` and sortable as text.
public enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `2026-12-06T07:30:00.123Z`: the text `Date.ISO8601FormatStyle(includingFractionalSeconds: true)` writes,
    /// made by hand — every commit writes several, and the format style cost more than the rows they go in.
    /// Milliseconds are truncated, as the style does; years outside 1600…9999 (before them the style counts in
    /// the Julian calendar) fall back to the style.
    public static func text(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        guard whole.magnitude < 2.5e11, let epoch = Int(exactly: whole) else { return date.formatted(style) }
        var time = time_t(epoch), parts = tm()
        guard gmtime_r(&time, &parts) != nil, (1600...9999).contains(Int(parts.tm_year) + 1900) else { return date.formatted(style) }
        let millis = min(999, Int((seconds - whole) * 1000))
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, _ width: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, 4, at: 0)
        bytes[4] = UInt8(ascii: "-")
        put(Int(parts.tm_mon) + 1, 2, at: 5)
        bytes[7] = UInt8(ascii: "-")
        put(Int(parts.tm_mday), 2, at: 8)
        bytes[10] = UInt8(ascii: "T")
        put(Int(parts.tm_hour), 2, at: 11)
        bytes[13] = UInt8(ascii: ":")
        put(Int(parts.tm_min), 2, at: 14)
        bytes[16] = UInt8(ascii: ":")
        put(Int(parts.tm_sec), 2, at: 17)
        bytes[19] = UInt8(ascii: ".")
        put(millis, 3, at: 20)
        bytes[23] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func date(_ text: String) throws -> Date {
        try Date(text, strategy: style)
    }

    package static func date(_ text: String?) throws -> Date? {
        try text.map { try date($0) }
    }
}
