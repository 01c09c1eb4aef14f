import Cairn
import Foundation

/// The part of JSON Schema (2020-12) that `Schemas/cairn.schema.json` uses: `type`, `properties`, `required`,
/// `additionalProperties: false`, `items`, `enum`, `const`, `oneOf`, `$ref` to `#/$defs/…`, `pattern`,
/// `minimum` and `format: date-time`. Enough to hold every command's `--json` to one vocabulary without a
/// dependency; a keyword it does not know is a test failure, not a silent pass.
struct JSONSchema {
    let root: [String: Any]

    init(contentsOf url: URL) throws {
        root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    /// The problems of `value` against definition `name` (empty when it conforms), each with its JSON path.
    func problems(_ value: JSONValue, against name: String) -> [String] {
        check(value, ["$ref": "#/$defs/\(name)"], at: "$")
    }

    private static let known: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "oneOf", "$ref", "pattern", "minimum",
        "format", "description", "title",
    ]

    private func check(_ value: JSONValue, _ schema: [String: Any], at path: String) -> [String] {
        if let unknown = schema.keys.first(where: { !Self.known.contains($0) }) { return ["\(path): the schema uses '\(unknown)', which this checker does not know"] }
        if let reference = schema["$ref"] as? String {
            let name = String(reference.dropFirst("#/$defs/".count))
            guard let definition = (root["$defs"] as? [String: Any])?[name] as? [String: Any] else { return ["\(path): no definition \(reference)"] }
            return check(value, definition, at: path)
        }
        if let options = schema["oneOf"] as? [[String: Any]] {
            let matching = options.filter { check(value, $0, at: path).isEmpty }.count
            return matching == 1 ? [] : ["\(path): matches \(matching) of the oneOf choices, not exactly one"]
        }
        var problems: [String] = []
        if let type = schema["type"] as? String, !Self.has(value, type: type) { return ["\(path): is not \(type): \(value.text)"] }
        if let allowed = schema["enum"] as? [String], !allowed.contains(value.string ?? "\u{0}") { problems.append("\(path): \(value.text) is not one of \(allowed)") }
        if let constant = schema["const"] as? String, value.string != constant { problems.append("\(path): \(value.text) is not \(constant)") }
        if let pattern = schema["pattern"] as? String, let text = value.string, text.range(of: pattern, options: .regularExpression) == nil {
            problems.append("\(path): '\(text)' does not match \(pattern)")
        }
        if let minimum = schema["minimum"] as? Int, case .integer(let number) = value, number < minimum { problems.append("\(path): \(number) < \(minimum)") }
        if schema["format"] as? String == "date-time", let text = value.string,
           text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) == nil {
            problems.append("\(path): '\(text)' is not an ISO 8601 time with milliseconds")
        }
        if case .object(let object) = value {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("\(path): '\(key)' is missing") }
            for (key, member) in object {
                if let property = properties[key] as? [String: Any] {
                    problems += check(member, property, at: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path): '\(key)' is not in the schema")
                }
            }
        }
        if case .array(let array) = value, let items = schema["items"] as? [String: Any] {
            for (index, member) in array.enumerated() { problems += check(member, items, at: "\(path)[\(index)]") }
        }
        return problems
    }

    private static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("integer", .integer), ("null", .null),
             ("number", .integer), ("number", .number):
            true
        default:
            false
        }
    }
}

extension JSONValue {
    /// The string, when the value is one.
    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
