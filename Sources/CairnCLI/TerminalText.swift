import Cairn
/// Workflow data made safe for a terminal: control characters (C0, DEL, C1 — ESC among them) shown as
/// visible escapes, so an SKU holding `ESC]0;…BEL` cannot retitle or clear the terminal; and widths
/// measured in terminal columns, so tables stay aligned with wide (CJK, emoji) and combining characters.
/// `--json` and `--csv` print data exactly; only human-readable text goes through here.
enum TerminalText {
    /// `text` with every control character escaped (`\u{1b}`, `\t`, and `\n` unless `newlines` are kept).
    static func safe(_ text: String, keepingNewlines newlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) && !(newlines && $0 == "\n") }) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n" where newlines: escaped.unicodeScalars.append(scalar)
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            case "\r": escaped += "\\r"
            case _ where isControl(scalar): escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// The columns `text` takes on a terminal.
    static func width(_ text: String) -> Int {
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return utf8.count }  // printable ASCII: a column a byte
        return text.unicodeScalars.reduce(0) { $0 + width($1) }
    }

    /// `text` cut to at most `limit` columns, ending in `…` when it was longer.
    static func abbreviated(_ text: String, to limit: Int) -> String {
        guard width(text) > limit else { return text }
        var kept = "", used = 0
        for character in text {
            let columns = width(String(character))
            if used + columns > limit - 1 { break }
            kept.append(character)
            used += columns
        }
        return kept + "…"
    }

    /// The most characters of a run's result or input the text output prints (`--json` prints it whole).
    static let valueLimit = 300

    /// A run's result or input for a text line: whole when short, else its beginning and how long it is.
    static func value(_ value: JSONValue) -> String {
        let text = value.text
        guard text.count > valueLimit else { return text }
        return abbreviated(text, to: valueLimit) + " (\(text.count) characters; --json prints it whole)"
    }

    /// `text` padded with spaces to `columns`.
    static func padded(_ text: String, to columns: Int) -> String {
        text + String(repeating: " ", count: max(0, columns - width(text)))
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func width(_ scalar: Unicode.Scalar) -> Int {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if scalar.value == 0x200B || (0xFE00...0xFE0F).contains(scalar.value) { return 0 }
        return wide.contains { $0.contains(scalar.value) } ? 2 : 1
    }

    /// East Asian Wide and Fullwidth ranges, and the emoji blocks terminals draw two columns wide.
    private static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
