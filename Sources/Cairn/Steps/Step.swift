/// A unit of work subscribed to one or more event types.
///
/// `Input` is the event (or `OneOfN` union) the step consumes; `Output` the events it may emit,
/// checked by the compiler for the returned value and at run time for ``WorkflowContext/send(_:)``.
/// Return `nil` to emit nothing.
///
/// ## Usage
/// ```swift
/// struct Greet: Step {
///     let name = "greet"
///     func run(_ event: StartEvent<Empty>, context: WorkflowContext) async throws -> StopEvent<String>? {
///         StopEvent("hello")
///     }
/// }
/// ```
public protocol Step: StepConvertible {
    associatedtype Input: EventSet
    associatedtype Output: EventSet

    /// The persisted step name; keep it stable once runs exist.
    var name: String { get }
    /// Workers, retries and timeout. Defaults to one worker, ``RetryPolicy/standard``, no timeout.
    var options: StepOptions { get }

    /// Handles one event.
    func run(_ input: Input, context: WorkflowContext) async throws -> Output?
}

extension Step {
    public var name: String { String(describing: Self.self) }
    public var options: StepOptions { StepOptions() }

    public var anyStep: AnyStep {
        AnyStep(
            name: name,
            consumes: Input.eventTypes,
            emits: Output.eventTypes,
            options: options,
            join: nil,
            body: { events, context in
                guard let first = events.first, let input = Input(first) else {
                    throw CairnError(.internalInconsistency, "step '\(name)' was handed an event it does not consume")
                }
                return try await run(input, context: context)?.event
            }
        )
    }
}

/// Anything that can be listed in a workflow's `steps`: a ``Step``, a ``JoinStep`` or a ``CountedJoinStep``.
public protocol StepConvertible: Sendable {
    /// The type-erased step the engine schedules.
    var anyStep: AnyStep { get }
}
