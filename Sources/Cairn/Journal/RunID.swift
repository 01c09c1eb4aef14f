public import Foundation

/// A run's identity: a UUID written in lowercase, the way the journal stores and prints it.
public struct RunID: Hashable, Sendable, Codable, LosslessStringConvertible {
    /// The underlying UUID.
    public let uuid: UUID

    /// A new random run id.
    public init() { uuid = UUID() }

    public init(_ uuid: UUID) { self.uuid = uuid }

    /// Parses a UUID in any letter case.
    public init?(_ description: String) {
        guard let uuid = UUID(uuidString: description) else { return nil }
        self.uuid = uuid
    }

    /// `6f1c2d3e-…`, lowercase: what `uuid.uuidString.lowercased()` gives, written by hand — the journal writes a
    /// run's id into every row, and Foundation formats a UUID with a `snprintf` per byte.
    public var description: String {
        withUnsafeBytes(of: uuid.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                let digits: StaticString = "0123456789abcdef"
                var count = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[count] = UInt8(ascii: "-")
                        count += 1
                    }
                    text[count] = digits.utf8Start[Int(byte >> 4)]
                    text[count + 1] = digits.utf8Start[Int(byte & 0x0F)]
                    count += 2
                }
                return count
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = RunID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a run id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// An id derived from `run` and `label` alone (a version-8 UUID of their hash): a step that runs again
    /// names the same run again — the successor a run continues as, the child a step calls.
    static func derived(from run: RunID, _ label: String) -> RunID {
        let text = Array("\(run)/\(label)".utf8)
        let high = FNV1a.hash(text, from: FNV1a.basis), low = FNV1a.hash(text, from: FNV1a.basis ^ 0x9E37_79B9_7F4A_7C15)
        var bytes = withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) }
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8: a custom, derived UUID
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // the RFC 9562 variant
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return RunID(uuid)
    }

    /// The id of the child run that execution `execution` of `parent` calls with its side-effect key `call`
    /// (``WorkflowContext/call(_:input:)``): a re-run of the step re-attaches to the same child.
    public static func child(of parent: RunID, execution: Int, call: String) -> RunID {
        derived(from: parent, "\(execution)/\(call)")
    }
}
