/// A set of steps that turns a typed input into a typed result.
///
/// A run starts with `StartEvent<Input>` and ends when a step emits `StopEvent<Output>`.
///
/// ## Usage
/// ```swift
/// struct Hello: Workflow {
///     static let name = "hello"
///     var steps: [AnyStep] {
///         FunctionStep("greet") { (start: StartEvent<Greeting>, context) -> StopEvent<String>? in
///             StopEvent("Hello, \(start.input.name)!")
///         }
///     }
/// }
/// ```
public protocol Workflow: Sendable {
    associatedtype Input: Codable & Sendable
    associatedtype Output: Codable & Sendable

    /// The persisted workflow name; keep it stable once runs exist.
    static var name: String { get }
    /// An optional version you give; recorded on every run next to the fingerprint. A run started by another
    /// version is resumed or forked only when that version is in ``compatibleVersions``; steps read the
    /// run's version as ``WorkflowContext/workflowVersion``.
    var version: String? { get }
    /// Fingerprints of earlier shapes (steps and the event names they consume and emit) whose runs this code
    /// may resume and fork.
    var compatibleFingerprints: Set<String> { get }
    /// Earlier versions whose runs this code may resume and fork.
    var compatibleVersions: Set<String> { get }
    /// The patches this code has: recorded on every run it starts, so ``WorkflowContext/patched(_:)`` is true
    /// for those runs and false for runs that older code started. Keep an id listed until no run without
    /// it is left.
    var patches: Set<String> { get }
    /// How many step failures a failure handler (a step consuming ``StepFailed``) may recover in one run;
    /// the next failure fails the run. Default 3.
    var recoveryBudget: Int { get }
    /// The store keys the steps use, with their value types: validation refuses one name with two types, and
    /// a step that reads or writes a declared name as another type fails with a sentence. Optional.
    var storeKeys: [AnyStoreKey] { get }
    /// The event types a run accepts from outside (``Engine/send(_:to:key:)``, `cairn send`, another run):
    /// validation counts them as produced, and a run with steps subscribed to them waits for them rather than
    /// stall. Empty by default.
    var accepts: [any Event.Type] { get }
    /// The steps, listed once.
    @StepsBuilder var steps: [AnyStep] { get }
}

extension Workflow {
    public var version: String? { nil }
    public var compatibleFingerprints: Set<String> { [] }
    public var compatibleVersions: Set<String> { [] }
    public var patches: Set<String> { [] }
    public var recoveryBudget: Int { 3 }
    public var storeKeys: [AnyStoreKey] { [] }
    public var accepts: [any Event.Type] { [] }

    /// The workflow's static graph: steps, event types and their links.
    public var graph: WorkflowGraph {
        WorkflowGraph(
            name: Self.name,
            steps: steps,
            startType: StartEvent<Input>.self,
            stopType: StopEvent<Output>.self,
            continueType: ContinueAsNew<Input>.self,
            accepted: accepts,
            recoveryBudget: recoveryBudget,
            storeKeys: storeKeys,
            version: version,
            patches: patches.sorted()
        )
    }
}
