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
///
/// Step bodies are `@concurrent`: they run on the global executor, concurrently with other steps,
/// whatever the defaults of the module that wrote them.
public struct FunctionStep<Input: EventSet, Output: EventSet>: Step {
    public let name: String
    public let options: StepOptions
    private let body: @concurrent @Sendable (Input, WorkflowContext) async throws -> Output?

    public init(
        _ name: String,
        workers: Int = 1,
        retry: RetryPolicy = .standard,
        timeout: Duration? = nil,
        run: @escaping @concurrent @Sendable (Input, WorkflowContext) async throws -> Output?
    ) {
        self.name = name
        self.options = StepOptions(workers: workers, retry: retry, timeout: timeout)
        self.body = run
    }

    public func run(_ input: Input, context: WorkflowContext) async throws -> Output? {
        try await body(input, context)
    }
}
