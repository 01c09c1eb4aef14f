import Foundation

/// The end of a child run, delivered to its parent as an event (``WorkflowContext/start(_:input:detached:)``):
/// a parent with a step that consumes `ChildRunEnded<Child>` gets one for each `Child` run it started, through
/// its inbox, in the child's last commit — exactly once, whichever process drives either run.
///
/// ## Usage
/// ```swift
/// FunctionStep("settled") { (ended: ChildRunEnded<OrderStation>, context) -> StopEvent<Int>? in
///     StopEvent(try ended.get().units)
/// }
/// ```
public struct ChildRunEnded<Child: Workflow>: Event, RunEndReport {
    public static var eventName: String { childEndedEventName(of: Child.name) }
    /// The child run.
    public let run: RunID
    /// How it ended: `completed`, `failed`, `cancelled` or `timed_out`.
    public let status: RunStatus
    /// Why it did not complete, when it did not.
    public let error: RunError?
    private let stop: StopEvent<Child.Output>?

    /// The child's result when it completed.
    public var result: Child.Output? { stop?.result }

    /// The child's result.
    /// - Throws: ``ChildRunFailed`` when it did not complete.
    public func get() throws -> Child.Output {
        if let stop { return stop.result }
        throw ChildRunFailed(run: run, workflow: Child.name, error: error ?? RunError(.internalInconsistency, "child run \(run) ended \(status.rawValue) without an error"))
    }
}

/// Lets a graph recognise a consumed ``ChildRunEnded`` of any child as an event its runs accept from outside. Not API.
public protocol RunEndReport {}

/// The name a child's end is delivered to its parent under.
func childEndedEventName(of workflow: String) -> String { "cairn.child-ended." + workflow }

extension RunFinished {
    /// The ``ChildRunEnded`` payload that tells `parent` of this end of run `run`, written into the parent's inbox
    /// in the transaction that journals the end; `nil` when the parent does not take it, or the run goes on as
    /// its successor (whose end is reported instead).
    public func endReport(of run: RunID, to parent: ParentLink?) -> InboxMessage? {
        guard let parent, let name = parent.reportsEndAs, status != .continued else { return nil }
        var object: [String: JSONValue] = ["run": .string(run.description), "status": .string(status.rawValue)]
        if let result, let stop = try? JSONDecoder().decode(JSONValue.self, from: result) { object["stop"] = stop }
        if let error, let data = try? JSONEncoder().encode(error), let value = try? JSONDecoder().decode(JSONValue.self, from: data) {
            object["error"] = value
        }
        guard let payload = try? JSONEncoder().encode(JSONValue.object(object)) else { return nil }
        return InboxMessage(name: name, payload: payload, key: "ended:\(run)", sender: "run \(run)")
    }
}
