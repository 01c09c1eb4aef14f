/// A step written as a closure or a free function, possibly from another module
/// (the article's "unbound" steps).
///
/// ## Usage
/// ```swift
/// FunctionStep("order") { (event: OrderEvent, context) -> LoopEvent? in
///     LoopEvent(round: event.round)
/// }
/// FunctionStep("clear", run: Ledger.clear)   // a static or free function
/// ```
public struct FunctionStep<Input: EventSet, Output: EventSet>: Step {
    public let name: String
    public let options: StepOptions
    private let body: @Sendable (Input, WorkflowContext) async throws -> Output?

    public init(
        _ name: String,
        workers: Int = 1,
        retry: RetryPolicy = .standard,
        timeout: Duration? = nil,
        run: @escaping @Sendable (Input, WorkflowContext) async throws -> Output?
    ) {
        self.name = name
        self.options = StepOptions(workers: workers, retry: retry, timeout: timeout)
        self.body = run
    }

    public func run(_ input: Input, context: WorkflowContext) async throws -> Output? {
        try await body(input, context)
    }
}
