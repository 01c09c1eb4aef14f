/// Helpers for workflow inputs that refuse what they do not know, naming the field.
public enum StrictInput {
    /// Throws a `DecodingError` naming the first key of the decoder's object that is not in `allowed`.
    ///
    /// Call it first in an input type's `init(from:)`, so `{"sku": "Apple", "cycle": 3}` is refused
    /// with "unknown field 'cycle'" instead of silently running with the default.
    public static func rejectUnknownKeys(in decoder: any Decoder, allowed: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys.map(\.stringValue).sorted() where !allowed.contains(key) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath + [AnyKey(stringValue: key)],
                debugDescription: "unknown field '\(key)'; the fields are \(allowed.map { "'\($0)'" }.joined(separator: ", "))"))
        }
    }

    /// Throws a `DecodingError` naming `field` when `valid` is false.
    public static func require(_ valid: Bool, field: String, in decoder: any Decoder, _ message: String) throws {
        guard !valid else { return }
        throw DecodingError.dataCorrupted(.init(
            codingPath: decoder.codingPath + [AnyKey(stringValue: field)], debugDescription: "field '\(field)' \(message)"))
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
