/// A join that fires once per complete set of one event of each listed type — the article's
/// `collect_events`, made a step kind so that the scheduler, not the step body, gathers the set.
///
/// Events that arrive while a set is incomplete wait in the journal; surplus events queue, in
/// arrival order, for the next set and are never dropped. With `by:`, events are grouped by a
/// correlation key (for example the loop round) so one round's early arrivals never mix with another's.
/// The closure receives the context first: Swift requires a parameter pack to come last.
///
/// ## Usage
/// ```swift
/// JoinStep("decide", OnlineFeedback.self, OfflineFeedback.self, TrendPrediction.self,
///          by: \.round, \.round, \.round) { (context, online, offline, trend) -> TradeEvent? in
///     …
/// }
/// ```
public struct JoinStep<each E: Event, Output: EventSet>: StepConvertible {
    public let anyStep: AnyStep

    /// A join over one event of each type, not grouped.
    public init(
        _ name: String,
        _ types: repeat (each E).Type,
        workers: Int = 1,
        retry: RetryPolicy = .standard,
        timeout: Duration? = nil,
        run: @escaping @concurrent @Sendable (WorkflowContext, repeat each E) async throws -> Output?
    ) {
        self.init(name, keys: nil, workers: workers, retry: retry, timeout: timeout, run: run)
    }

    /// A join over one event of each type, grouped by a correlation key read from each event.
    public init<Key: Hashable & Sendable>(
        _ name: String,
        _ types: repeat (each E).Type,
        by key: repeat @escaping @Sendable (each E) -> Key,
        workers: Int = 1,
        retry: RetryPolicy = .standard,
        timeout: Duration? = nil,
        run: @escaping @concurrent @Sendable (WorkflowContext, repeat each E) async throws -> Output?
    ) {
        var keys: [String: @Sendable (any Event) -> JoinKey] = [:]
        func register<T: Event>(_ type: T.Type, _ key: @escaping @Sendable (T) -> Key) {
            keys[T.eventName] = { event in JoinKey(key(event as! T)) }
        }
        repeat register((each E).self, each key)
        self.init(name, keys: keys, workers: workers, retry: retry, timeout: timeout, run: run)
    }

    private init(
        _ name: String,
        keys: [String: @Sendable (any Event) -> JoinKey]?,
        workers: Int,
        retry: RetryPolicy,
        timeout: Duration?,
        run: @escaping @concurrent @Sendable (WorkflowContext, repeat each E) async throws -> Output?
    ) {
        var consumes: [any Event.Type] = []
        repeat consumes.append((each E).self)
        anyStep = AnyStep(
            name: name,
            consumes: consumes,
            emits: Output.eventTypes,
            options: StepOptions(workers: workers, retry: retry, timeout: timeout),
            join: JoinSpec(required: consumes.map { ($0.eventName, 1) }, keys: keys),
            body: { events, context in try await Self.invoke(run, events, context)?.event }
        )
    }

    // A separate function: building the pack inside the closure crashes the 6.3 compiler.
    private static func invoke(
        _ run: @Sendable (WorkflowContext, repeat each E) async throws -> Output?,
        _ events: [any Event],
        _ context: WorkflowContext
    ) async throws -> Output? {
        let set = (repeat pick((each E).self, from: events))
        return try await run(context, repeat each set)
    }

    private static func pick<T: Event>(_ type: T.Type, from events: [any Event]) -> T {
        events.lazy.compactMap { $0 as? T }.first!
    }
}

/// A join that fires once per `count` events of one type, handed over in arrival order.
///
/// ## Usage
/// ```swift
/// CountedJoinStep("sum", count: 1_000, of: Part.self) { (parts, context) -> StopEvent<Int>? in
///     StopEvent(parts.map(\.value).reduce(0, +))
/// }
/// ```
public struct CountedJoinStep<E: Event, Output: EventSet>: StepConvertible {
    public let anyStep: AnyStep

    /// A counted join, optionally grouped by a correlation key read from each event.
    public init(
        _ name: String,
        count: Int,
        of type: E.Type,
        by key: (@Sendable (E) -> any Hashable & Sendable)? = nil,
        workers: Int = 1,
        retry: RetryPolicy = .standard,
        timeout: Duration? = nil,
        run: @escaping @concurrent @Sendable ([E], WorkflowContext) async throws -> Output?
    ) {
        let keys = key.map { key -> [String: @Sendable (any Event) -> JoinKey] in
            [E.eventName: { @Sendable event in JoinKey(key(event as! E)) }]
        }
        anyStep = AnyStep(
            name: name,
            consumes: [E.self],
            emits: Output.eventTypes,
            options: StepOptions(workers: workers, retry: retry, timeout: timeout),
            join: JoinSpec(required: [(E.eventName, count)], keys: keys),
            body: { events, context in try await run(events.map { $0 as! E }, context)?.event }
        )
    }
}
