import Foundation

/// Checks on JSON text that Foundation's decoder does not make: a key given twice in one object (the decoder
/// keeps one silently), and which number it could not read (it reports "not valid JSON", naming no field).
enum JSONKeys {
    /// The path (`a.b`, `items[2].c`) of the first key that appears twice in one object, or `nil`. Text that
    /// is not JSON has none (the decoder says what is wrong with it).
    static func firstDuplicate(in data: Data) -> String? {
        var scanner = Scanner(bytes: Array(data))
        return try? scanner.value(at: "")
    }

    /// The paths of the numbers a decoder may refuse as integers (fractions, or past 64 bits), in key order.
    static func nonIntegerNumbers(in data: Data) -> [(path: String, value: Double)] {
        guard let root = JSONValue(json: data) else { return [] }
        var found: [(path: String, value: Double)] = []
        func visit(_ value: JSONValue, _ path: String) {
            switch value {
            case .object(let members):
                for (key, member) in members.sorted(by: { $0.key < $1.key }) { visit(member, path.isEmpty ? key : "\(path).\(key)") }
            case .array(let members):
                for (index, member) in members.enumerated() { visit(member, "\(path)[\(index)]") }
            case .number(let number):
                found.append((path, number))
            case .null, .bool, .integer, .string:
                break
            }
        }
        visit(root, "")
        return found
    }

    /// A minimal JSON reader that only follows structure: strings, objects and arrays; any other token is
    /// skipped up to its end. Returns the first duplicate key's path.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        struct NotJSON: Error {}

        mutating func value(at path: String) throws -> String? {
            skipSpace()
            guard index < bytes.count else { throw NotJSON() }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var keys: Set<String> = []
                skipSpace()
                if peek(UInt8(ascii: "}")) { index += 1; return nil }
                while true {
                    skipSpace()
                    let key = try string()
                    let keyPath = path.isEmpty ? key : "\(path).\(key)"
                    if !keys.insert(key).inserted { return keyPath }
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    if let duplicate = try value(at: keyPath) { return duplicate }
                    skipSpace()
                    if peek(UInt8(ascii: ",")) { index += 1; continue }
                    try expect(UInt8(ascii: "}"))
                    return nil
                }
            case UInt8(ascii: "["):
                index += 1
                skipSpace()
                if peek(UInt8(ascii: "]")) { index += 1; return nil }
                var position = 0
                while true {
                    if let duplicate = try value(at: "\(path)[\(position)]") { return duplicate }
                    position += 1
                    skipSpace()
                    if peek(UInt8(ascii: ",")) { index += 1; continue }
                    try expect(UInt8(ascii: "]"))
                    return nil
                }
            case UInt8(ascii: "\""):
                _ = try string()
                return nil
            default:
                let ends: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D]
                while index < bytes.count, !ends.contains(bytes[index]) { index += 1 }
                return nil
            }
        }

        /// A string token's raw text (escapes kept: two spellings of one key are not caught, which is rare).
        mutating func string() throws -> String {
            try expect(UInt8(ascii: "\""))
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard index < bytes.count else { throw NotJSON() }
            defer { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

        mutating func expect(_ byte: UInt8) throws {
            guard peek(byte) else { throw NotJSON() }
            index += 1
        }
    }
}
