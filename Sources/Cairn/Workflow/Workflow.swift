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
    /// An optional version you give; recorded on every run next to the fingerprint.
    var version: String? { get }
    /// Fingerprints of earlier versions whose runs this version may resume.
    var compatibleFingerprints: Set<String> { get }
    /// The steps, listed once.
    @StepsBuilder var steps: [AnyStep] { get }
}

extension Workflow {
    public var version: String? { nil }
    public var compatibleFingerprints: Set<String> { [] }

    /// The workflow's static graph: steps, event types and their links.
    public var graph: WorkflowGraph {
        WorkflowGraph(
            name: Self.name,
            steps: steps,
            startType: StartEvent<Input>.self,
            stopType: StopEvent<Output>.self
        )
    }
}
