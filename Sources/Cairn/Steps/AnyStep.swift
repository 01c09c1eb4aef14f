/// A type-erased step: what the scheduler needs to validate, draw and run it.
public struct AnyStep: StepConvertible {
    /// The persisted step name.
    public let name: String
    /// Event types the step subscribes to.
    public let consumes: [any Event.Type]
    /// Event types the step may emit.
    public let emits: [any Event.Type]
    /// Workers, retry and timeout.
    public let options: StepOptions
    /// Set for join steps: what makes a complete set.
    let join: JoinSpec?
    /// Runs one execution on its trigger events (one event, or a join's complete set).
    let body: @Sendable ([any Event], WorkflowContext) async throws -> (any Event)?

    public var anyStep: AnyStep { self }

    /// Whether the step fires once per complete set rather than once per event.
    public var isJoin: Bool { join != nil }

    /// The names of the consumed event types.
    public var consumedNames: [String] { consumes.map { $0.eventName } }
    /// The names of the emitted event types.
    public var emittedNames: [String] { emits.map { $0.eventName } }
}

/// What a join waits for: how many events of each type make a set, and how events are grouped.
struct JoinSpec: Sendable {
    /// Required count per event name, in declaration order.
    let required: [(name: String, count: Int)]
    /// Correlation key per event name; `nil` when the join is not grouped.
    let keys: [String: @Sendable (any Event) -> JoinKey]?

    func key(of event: any Event) -> JoinKey {
        keys?[type(of: event).eventName]?(event) ?? JoinKey(0)
    }
}

/// A join's correlation key: any sendable hashable value, such as a loop round.
struct JoinKey: Hashable, Sendable, CustomStringConvertible {
    let base: any Hashable & Sendable

    init(_ base: any Hashable & Sendable) { self.base = base }

    static func == (lhs: JoinKey, rhs: JoinKey) -> Bool { AnyHashable(lhs.base) == AnyHashable(rhs.base) }
    func hash(into hasher: inout Hasher) { AnyHashable(base).hash(into: &hasher) }
    var description: String { String(describing: base) }
}
