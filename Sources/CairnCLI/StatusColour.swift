import Foundation

/// Colours for status words on a terminal: green completed, red failed or timed out, yellow cancelled or
/// interrupted, blue running or waiting. The word itself stays, so nothing depends on the colour.
enum StatusColour {
    static func paint(_ padded: String) -> String {
        let word = padded.trimmingCharacters(in: .whitespaces)
        let code = switch word {
        case "completed": "32"
        case "failed", "timed_out": "31"
        case "cancelled", "interrupted": "33"
        case "running", "waiting", "pending": "34"
        default: ""
        }
        guard !code.isEmpty, let range = padded.range(of: word) else { return padded }
        return padded.replacingCharacters(in: range, with: "\u{1b}[\(code)m\(word)\u{1b}[0m")
    }
}
