import Foundation

/// The largest JSON payload a run may journal — its input, an event, a store value, a side effect's
/// result. A payload over it is refused with `invalid-input`, naming what it was and its largest field,
/// before anything is journaled: one 10 MB SKU would otherwise grow the journal by hundreds of MB (it is
/// copied into every event that carries it) and pad every table that shows it.
public struct PayloadLimit: Sendable, Equatable {
    /// The default: 1 MiB.
    public static let standard = PayloadLimit(bytes: 1 << 20)

    public let bytes: Int

    public init(bytes: Int) {
        self.bytes = bytes
    }

    /// Throws when `payload`, the JSON of `what`, is over the limit. Fields are named from the member
    /// `within`, when the payload wraps the value the user gave (a start event wraps the input).
    func check(_ payload: Data, _ what: @autoclosure () -> String, within: String? = nil) throws {
        guard payload.count > bytes else { return }
        let field = Self.largestField(of: payload, within: within).map { " (its field '\($0.path)' alone is \(Self.size($0.bytes)))" } ?? ""
        throw CairnError(.invalidInput, "\(what()) is \(Self.size(payload.count))\(field), over the payload limit of \(Self.size(bytes)); "
            + "make it smaller, or raise the limit (EngineConfiguration.payloadLimit; cairn --max-payload)")
    }

    /// The dotted path of the largest member, descending into the largest object member at each level.
    static func largestField(of payload: Data, within: String? = nil) -> (path: String, bytes: Int)? {
        guard case .object(var members)? = JSONValue(json: payload) else { return nil }
        if let within {
            guard case .object(let inner)? = members[within] else { return nil }
            members = inner
        }
        var path: [String] = [], size = 0
        while let (key, value, bytes) = members.map({ ($0.key, $0.value, (try? JSONEncoder().encode($0.value).count) ?? 0) })
            .max(by: { $0.2 < $1.2 }) {
            path.append(key)
            size = bytes
            guard case .object(let inner) = value else { break }
            members = inner
        }
        return path.isEmpty ? nil : (path.joined(separator: "."), size)
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
            : bytes >= 1024 ? String(format: "%.1f KiB", Double(bytes) / 1024) : "\(bytes) bytes"
    }
}
