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
        derived(from: run, "continued-as-new")
    }
}
