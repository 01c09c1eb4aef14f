import Foundation

/// The event that ends a run as `continued` and starts its successor with `input`: what
/// ``WorkflowContext/continueAsNew(_:)`` journals. Its payload is the successor's start event's.
/// Journaled as `cairn.continue-as-new`.
public struct ContinueAsNew<Input: Codable & Sendable>: Event {
    public static var eventName: String { continueAsNewEventName }
    /// The successor's input.
    public var input: Input

    public init(_ input: Input) { self.input = input }
}

/// The journaled name of every ``ContinueAsNew``, whatever its input.
let continueAsNewEventName = "cairn.continue-as-new"

extension RunID {
    /// The id of the run that `run` continues as: derived from `run` alone, so a re-executed step that
    /// continues the run again names the same successor.
    public static func successor(of run: RunID) -> RunID {
        let text = Array("\(run)/continued-as-new".utf8)
        let high = FNV1a.hash(text, from: FNV1a.basis), low = FNV1a.hash(text, from: FNV1a.basis ^ 0x9E37_79B9_7F4A_7C15)
        var bytes = withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) }
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8: a custom, derived UUID
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // the RFC 9562 variant
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return RunID(uuid)
    }
}
