/// One field of a workflow's input, as help text and `cairn workflows` show it.
public struct InputField: Sendable, Codable, Equatable {
    /// The JSON key.
    public let name: String
    /// What it holds, in words: `string`, `integer 1…10000`, `true or false`.
    public let kind: String
    /// Whether the input must give it.
    public let required: Bool
    /// The value taken when the input leaves it out, as JSON text.
    public let defaultValue: String?
    /// What it means.
    public let summary: String

    public init(_ name: String, _ kind: String, required: Bool = false, default defaultValue: String? = nil, _ summary: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.defaultValue = defaultValue
        self.summary = summary
    }

    private enum CodingKeys: String, CodingKey { case name, kind, required, defaultValue = "default", summary }
}

/// An input type that describes its fields, so `cairn run --help` and `cairn workflows` can list them.
public protocol DescribedInput {
    static var fields: [InputField] { get }
}
