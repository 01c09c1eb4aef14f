package import Foundation

/// JSON text with its object keys sorted, so that equal JSON compares equal as text (replay checks, diffs).
package enum CanonicalJSON {
    /// The canonical text of `data`; the text itself when it is not JSON.
    package static func text(_ data: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let canonical = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return String(decoding: data, as: UTF8.self) }
        return String(decoding: canonical, as: UTF8.self)
    }

    /// Whether two payloads are the same JSON, whatever their key order.
    package static func same(_ a: Data?, _ b: Data?) -> Bool {
        guard let a, let b else { return a == b }
        return text(a) == text(b)
    }
}
