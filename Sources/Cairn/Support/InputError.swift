public import Foundation

/// Sentences for JSON that does not decode: which field, what was wrong, in words rather than Swift types.
public enum InputError {
    /// `type` decoded from `json`, or ``CairnError`` `invalid-input` saying what about `what` is wrong: a key
    /// given twice, a value that is not an object, a field of the wrong type or out of range.
    static func decode<T: Decodable>(_ type: T.Type, from json: Data, what: String) throws -> T {
        if let duplicate = JSONKeys.firstDuplicate(in: json) {
            throw CairnError(.invalidInput, "\(what) gives field '\(duplicate)' twice; give it once")
        }
        do {
            return try JSONDecoder().decode(T.self, from: json)
        } catch {
            throw CairnError(.invalidInput, "\(what) is not valid: \(describe(error, in: json))")
        }
    }

    /// What is wrong, naming the field; with the JSON at hand, also for the errors whose path Foundation loses.
    static func describe(_ error: any Error, in json: Data? = nil) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ keys: [any CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context):
            return "field '\(path(context.codingPath + [key]))' is missing"
        case .typeMismatch(let type, let context) where context.codingPath.isEmpty:
            return "it must be \(typeName(type))" + (json.flatMap(JSONValue.init(json:)).map { ", not \(kind(of: $0))" } ?? "")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(typeName(type))"
        case .dataCorrupted(let context):
            guard context.codingPath.isEmpty else { return context.debugDescription }
            // Foundation says "not valid JSON", naming nothing, for a number it cannot read as an integer.
            guard let json else { return "it is not valid JSON" }
            if JSONValue(json: json) != nil {
                let number = JSONKeys.nonIntegerNumbers(in: json).first
                return number.map { "field '\($0.path)' must be an integer; \($0.value) is not one" } ?? context.debugDescription
            }
            return syntaxProblem(in: json) ?? context.debugDescription
        @unknown default:
            return String(describing: error)
        }
    }

    /// `nil` when `json` parses; else where the parser gave up, as it says it: "it is not valid JSON
    /// (invalid value around character 5)".
    public static func syntaxProblem(in json: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
            return nil
        } catch {
            let said = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "it does not parse"
            return "it is not valid JSON (" + (said.prefix(1).lowercased() + said.dropFirst()).trimmingCharacters(in: CharacterSet(charactersIn: ".")) + ")"
        }
    }

    /// What a value of `type` is in JSON, in words.
    static func kindName(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is UInt64.Type, is Int64.Type, is Int32.Type, is UInt.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        case is any DescribedInput.Type: "a JSON object"
        default: "JSON"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is UInt64.Type, is Int64.Type, is Int32.Type, is UInt.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        case is [String: Any].Type: "a JSON object ({…})"
        case is [Any].Type: "a JSON array ([…])"
        default: "a \(type)"
        }
    }

    private static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "true or false"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
