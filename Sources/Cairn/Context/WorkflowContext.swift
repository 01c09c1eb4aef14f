public import Foundation
public import Logging
import Synchronization

/// Everything one step execution may use: sending and streaming events, the run's store,
/// journaled `now`/`random`/`uuid`, and memoised side effects.
///
/// A context belongs to one attempt of one execution. Nothing it does is visible to other steps
/// until the step commits; then all of it is journaled together.
public final class WorkflowContext: Sendable {
    /// The run this execution belongs to.
    public let runID: RunID
    /// The step being executed.
    public let stepName: String
    /// Stable across attempts of the same execution.
    public let executionID: Int
    /// 1 for the first attempt.
    public let attempt: Int
    /// The events this execution handles (one, or a join's set): persisted name and seq.
    public let triggers: [(name: String, seq: Int)]
    /// A logger stamped with run, step, execution and attempt (stamped when asked for: most attempts never log).
    public var logger: Logger {
        var logger = runLogger
        logger[metadataKey: LoggingKeys.stepName] = "\(stepName)"
        logger[metadataKey: LoggingKeys.executionID] = "\(executionID)"
        logger[metadataKey: LoggingKeys.attempt] = "\(attempt)"
        return logger
    }
    /// The version of the workflow that started the run (``Workflow/version``), which may be older than
    /// the code running this step when the run was resumed under a compatible version.
    public let workflowVersion: String?

    private let runLogger: Logger
    private let runPatches: [String]
    /// How the run was started by another, if it was: the depth its own children are at.
    let runParent: ParentLink?
    /// The run's deadline: a child it calls gets none later.
    let runDeadline: Date?
    /// The engine that drives the run, to start the children its steps call; `nil` where none may start (replay).
    let engine: Engine?
    /// The event names the step declares it emits: a handful, looked up in place.
    private let declaredEmits: [String]
    let graph: WorkflowGraph
    private let committedStore: [String: Data]
    private let recordedSideEffects: [String: Data]
    /// The execution's waits as journaled: answers and deadlines a re-run gets back.
    private let recordedWaits: [String: RunStateMachine.WaitState]
    /// Opens a wait with the run's driver and returns its answer's payload; `nil` where nothing can answer
    /// (replay).
    private let waiter: (@Sendable (WaitRequest) async throws -> Data)?
    private let journalSideEffect: @Sendable (SideEffect) async throws -> Void
    let clock: any EngineClock
    let payloadLimit: PayloadLimit
    /// The append that journaled this attempt's trigger, when the attempt started before it was durable
    /// (pipelining): a side effect waits for it, so nothing reaches the outside on a trigger a crash may lose.
    private let triggerDurable: PendingAppend?
    /// The seed of the attempt's generator: worked out at the first draw, as most attempts draw nothing.
    private let randomSeed: @Sendable () -> UInt64
    private let state: Mutex<State>

    struct State {
        var effects = ExecutionEffects()
        var generator: SplitMix64?
        var sideEffectCalls: [String: Int] = [:]
        var sealed = false
        /// When replaying: the values the recorded attempt read, handed back in order.
        var replay: [RecordedValue]?
        /// When replaying: the first way this attempt strayed from the recorded one.
        var divergence: String?
    }

    init(
        runID: RunID,
        step: AnyStep,
        executionID: Int,
        attempt: Int,
        triggers: [(name: String, seq: Int)],
        run started: RunStarted?,
        graph: WorkflowGraph,
        randomSeed: @escaping @Sendable () -> UInt64,
        clock: any EngineClock,
        committedStore: [String: Data],
        recordedSideEffects: [String: Data],
        logger: Logger,
        payloadLimit: PayloadLimit,
        replaying recordedValues: [RecordedValue]? = nil,
        triggerDurable: PendingAppend? = nil,
        recordedWaits: [String: RunStateMachine.WaitState] = [:],
        waiter: (@Sendable (WaitRequest) async throws -> Data)? = nil,
        engine: Engine? = nil,
        journalSideEffect: @escaping @Sendable (SideEffect) async throws -> Void
    ) {
        self.runID = runID
        self.stepName = step.name
        self.executionID = executionID
        self.attempt = attempt
        self.triggers = triggers
        self.workflowVersion = started?.version
        self.runPatches = started?.patches ?? []
        self.runDeadline = started?.deadline
        self.runParent = started?.parent
        self.engine = engine
        self.declaredEmits = step.emittedNames
        self.graph = graph
        self.committedStore = committedStore
        self.recordedSideEffects = recordedSideEffects
        self.recordedWaits = recordedWaits
        self.waiter = waiter
        self.journalSideEffect = journalSideEffect
        self.clock = clock
        self.payloadLimit = payloadLimit
        self.runLogger = logger
        self.randomSeed = randomSeed
        self.triggerDurable = triggerDurable
        self.state = Mutex(State(replay: recordedValues))
    }

    /// A key for making external calls idempotent: the same for every attempt of this execution.
    public var idempotencyKey: String { "\(runID)/\(executionID)" }

    // MARK: Events

    /// Emits `event` to every step subscribed to its type, at this step's commit.
    /// - Throws: ``CairnError/Code/undeclaredEvent`` when the step did not declare the type in its `Output`.
    public func send<E: Event>(_ event: E) throws {
        guard declaredEmits.contains(E.eventName) else {
            throw CairnError(
                .undeclaredEvent,
                "step '\(stepName)' sent '\(E.eventName)', which it does not declare: add \(String(reflecting: E.self)) to the step's Output",
                step: stepName,
                event: E.eventName
            )
        }
        let payload = try encode(event, "event '\(E.eventName)' sent by step '\(stepName)'")
        try mutate { $0.effects.sent.append(OutgoingEvent(name: E.eventName, payload: payload, value: event)) }
    }

    /// Sends `event` to another run, at this step's commit: it is written into that run's inbox in the same
    /// transaction as the commit (contract 11), so it is delivered exactly when the commit happens — once,
    /// whatever crashes — and that run's owner journals it like any event sent from outside. The other run's
    /// workflow must accept the type (``Workflow/accepts``); it is not an event of this run, so the step need not
    /// declare it.
    /// - Throws: the commit fails the attempt (retried per its policy) when the run is unknown, has ended, or
    ///   does not accept the type, naming which.
    public func send<E: Event>(_ event: E, to run: RunID) throws {
        let payload = try encode(event, "event '\(E.eventName)' sent by step '\(stepName)' to run \(run)")
        try mutate { state in
            let key = "\(runID)/\(executionID)/\(state.effects.messages.count + 1)"
            state.effects.messages.append(RunMessage(target: run, name: E.eventName, payload: payload, key: key))
        }
    }

    /// Emits `event` to every step subscribed to its type `delay` after this step's commit — a durable timer
    /// (contract 13): the due time is journaled with the commit, absolute, and the event is delivered then,
    /// once, by whichever process drives the run — late when none was alive at that time, never early.
    /// - Throws: ``CairnError/Code/undeclaredEvent`` when the step did not declare the type in its `Output`;
    ///   `invalid-input` for a delay that is not positive.
    public func send<E: Event>(_ event: E, after delay: Duration) throws {
        guard delay > .zero else {
            throw CairnError(.invalidInput, "step '\(stepName)' delayed '\(E.eventName)' by \(delay): a delay must be positive; "
                + "send it without one to deliver it at the commit", step: stepName, event: E.eventName)
        }
        try send(event, at: clock.now.addingTimeInterval(delay.seconds))
    }

    /// Emits `event` to every step subscribed to its type at `time` (at the commit if that has passed): a
    /// durable timer, like ``send(_:after:)``.
    public func send<E: Event>(_ event: E, at time: Date) throws {
        try send(event)
        try mutate { state in state.effects.sent[state.effects.sent.count - 1].deliverAt = time }
    }

    /// Emits `event` to the step named `step` alone (LlamaIndex's `send_event(ev, step=…)`), at this step's
    /// commit: other steps subscribed to its type do not receive it.
    /// - Throws: ``CairnError/Code/undeclaredEvent`` when this step did not declare the type in its `Output`,
    ///   or `step` is not a step of the workflow that consumes it (the sentence lists those that do).
    public func send<E: Event>(_ event: E, to step: String) throws {
        guard declaredEmits.contains(E.eventName) else { return try send(event) }  // says what is undeclared
        let consumers = graph.consumersByEvent[E.eventName] ?? []
        guard consumers.contains(step) else {
            throw CairnError(
                .undeclaredEvent,
                "step '\(stepName)' sent '\(E.eventName)' to step '\(step)', which " + (consumers.isEmpty
                    ? "no step consumes" : "does not consume it: send it to " + consumers.map { "'\($0)'" }.joined(separator: " or ")),
                step: stepName, event: E.eventName)
        }
        let payload = try encode(event, "event '\(E.eventName)' sent by step '\(stepName)' to step '\(step)'")
        try mutate { $0.effects.sent.append(OutgoingEvent(name: E.eventName, payload: payload, value: event, target: step)) }
    }

    /// Ends the run as `continued` at this step's commit and starts its successor with `input`, in the same
    /// transaction: a run that loops for ever continues as new every so often, so that no run's history —
    /// nor the memory and time its resume takes — grows without bound. The successor is a new run of the same
    /// workflow, with an id derived from this run's (``RunID/successor(of:)``), linked both ways (`list`,
    /// `show`); it starts with an empty store and this run's seed. A run being cancelled is cancelled: no
    /// successor starts.
    /// - Throws: ``CairnError`` `invalid-input` when `input` is not the workflow's input type, or the run
    ///   was continued already by this attempt.
    public func continueAsNew<Input: Codable & Sendable>(_ input: Input) throws {
        let event = ContinueAsNew(input)
        let payload = try encode(event, "the input step '\(stepName)' continued the run with")
        do {
            _ = try graph.decode(ContinueAsNew<Input>.eventName, from: payload)
        } catch {
            throw CairnError(.invalidInput, "step '\(stepName)' continued the run with \(Input.self), which is not the input of "
                + "workflow '\(graph.name)': pass the workflow's Input", step: stepName)
        }
        try mutate { state in
            guard !state.effects.sent.contains(where: { $0.name == ContinueAsNew<Input>.eventName }) else {
                throw CairnError(.invalidInput, "step '\(stepName)' continued the run twice: a run has one successor", step: stepName)
            }
            state.effects.sent.append(OutgoingEvent(name: ContinueAsNew<Input>.eventName, payload: payload, value: event))
        }
    }

    /// Writes `event` to the run's progress stream (`RunHandle.events`), at this step's commit.
    public func writeToStream<E: Event>(_ event: E) throws {
        let payload = try encode(event, "progress event '\(E.eventName)' written by step '\(stepName)'")
        try mutate { $0.effects.streamed.append((E.eventName, payload)) }
    }

    /// Adds a database write to this step's commit: the journal applies it in the same transaction as
    /// the step's completion, so it happens exactly once even if the process dies and the run resumes.
    public func commit(_ effect: some CommitEffect) throws {
        try mutate { $0.effects.commitEffects.append(effect) }
    }

    // MARK: Store

    /// The run's store as this execution sees it.
    public var store: Store { Store(context: self) }

    func storeValue<Value>(for key: StoreKey<Value>) throws -> Value? {
        try graph.checkStoreKey(AnyStoreKey(key), usedBy: "step '\(stepName)'")
        let data = state.withLock { $0.effects.storeWrites[key.name] } ?? committedStore[key.name]
        guard let data, data != Data("null".utf8) else { return nil }
        return try Self.decode(Value.self, from: data, what: "store key '\(key.name)'")
    }

    func setStoreValue<Value>(_ value: Value, for key: StoreKey<Value>) throws {
        try graph.checkStoreKey(AnyStoreKey(key), usedBy: "step '\(stepName)'")
        try write(try encode(value, "store key '\(key.name)' set by step '\(stepName)'"), to: key.name)
    }

    func removeStoreValue<Value>(for key: StoreKey<Value>) throws {
        try graph.checkStoreKey(AnyStoreKey(key), usedBy: "step '\(stepName)'")
        try write(Data("null".utf8), to: key.name)
    }

    private func write(_ data: Data, to key: String) throws {
        try mutate { state in
            if state.effects.storeWrites.updateValue(data, forKey: key) == nil {
                state.effects.storeWriteOrder.append(key)
            }
        }
    }

    // MARK: Journaled values

    /// The current time, journaled.
    public var now: Date {
        let fresh = clock.now
        if case .now(let date) = journaled({ _ in .now(fresh) }) { return date }
        return fresh
    }

    /// A new UUID, journaled.
    public func uuid() -> UUID {
        if case .uuid(let uuid) = journaled({ _ in .uuid(UUID()) }) { return uuid }
        return UUID()
    }

    /// A random 64-bit value, journaled. Seeded runs draw the same values for the same step and event.
    public func randomBits() -> UInt64 {
        let draw = { (state: inout State) -> RecordedValue in
            var generator = state.generator ?? SplitMix64(seed: self.randomSeed())
            defer { state.generator = generator }
            return .random(generator.next())
        }
        if case .random(let bits) = journaled(draw) { return bits }
        return 0
    }

    /// Draws a fresh value and records it; when replaying, hands back the recorded value instead.
    ///
    /// A `patched` answer follows from the run's start record alone, so replay does not hold code to the
    /// patch checks its recorded attempt made: code that added a check replays an older attempt (whose record
    /// has none) clean, and code that dropped one skips the recorded answer.
    private func journaled(_ fresh: (inout State) -> RecordedValue) -> RecordedValue {
        state.withLock { state in
            var value = fresh(&state)
            if var replay = state.replay {
                let isPatch = if case .patch = value { true } else { false }
                if !isPatch { while case .patch? = replay.first { replay.removeFirst() } }
                if let recorded = replay.first, recorded.slot == value.slot {
                    value = recorded
                    replay.removeFirst()
                } else if !isPatch, state.divergence == nil {
                    state.divergence = "read \(value.slot) where the recorded attempt read \(replay.first.map(\.slot) ?? "nothing more")"
                }
                state.replay = replay
            }
            state.effects.recorded.append(value)
            return value
        }
    }

    /// Whether the run was started by code that has the patch `id` (listed in ``Workflow/patches``): true for
    /// runs started since the patch shipped, false for older runs still in flight, so one binary can serve
    /// both. The answer is journaled with the step's commit and handed back on resume and replay.
    ///
    /// ```swift
    /// let price = context.patched("vat-included") ? gross : net * 1.2
    /// ```
    public func patched(_ id: String) -> Bool {
        if case .patch(_, let applied) = journaled({ _ in .patch(id: id, applied: runPatches.contains(id)) }) { return applied }
        return false
    }

    /// A random number in `0..<1`, journaled.
    public func random() -> Double {
        Double(randomBits() >> 11) * 0x1.0p-53
    }

    /// A random integer in `range`, journaled.
    public func random(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) &+ 1
        return range.lowerBound + Int(width == 0 ? randomBits() : randomBits() % width)
    }

    // MARK: Side effects

    /// Runs `body` once per execution: its result is journaled the moment it returns, and a retried,
    /// resumed or replayed attempt gets the recorded result instead of calling `body` again.
    ///
    /// Use it for the API or LLM call that must not be paid twice. Calls are told apart by `name` and
    /// by their order within the execution.
    public func run<T: Codable & Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        try await memoised(try nextKey(name), body)
    }

    /// The side-effect key of the next call named `name` in this execution: `name#n`.
    func nextKey(_ name: String) throws -> String {
        try mutate { state -> String in
            let call = state.sideEffectCalls[name, default: 0] + 1
            state.sideEffectCalls[name] = call
            return "\(name)#\(call)"
        }
    }

    /// `body`'s result, journaled under `key` the moment it returns; the journaled one when there is.
    func memoised<T: Codable & Sendable>(_ key: String, _ body: () async throws -> T) async throws -> T {
        if let recorded = recordedSideEffects[key] {
            logger.trace("side effect '\(key)' replayed from the journal")
            return try Self.decode(T.self, from: recorded, what: "side effect '\(key)'")
        }
        if state.withLock({ $0.replay != nil }) {
            let divergence = "called side effect '\(key)', which the recorded attempt did not"
            state.withLock { $0.divergence = $0.divergence ?? divergence }
            throw CairnError(.internalInconsistency, "replay: step '\(stepName)' \(divergence)", step: stepName)
        }
        try await triggerDurable?.durable()
        let result = try await body()
        CrashPoint.reach("in-side-effect")
        let effect = SideEffect(executionID: executionID, attempt: attempt, key: key, result: try encode(result, "side effect '\(key)' of step '\(stepName)'"), at: clock.now)
        try await journalSideEffect(effect)
        CrashPoint.reach("after-side-effect")
        state.withLock { $0.effects.sideEffects.append(effect) }
        return result
    }

    /// Sleeps for `duration`, durably (contract 13): the wake time is journaled when the sleep begins (a
    /// memoised `cairn.sleep` side effect), so an attempt re-run after a crash or an interrupt sleeps only what
    /// is left of it. The attempt stays open while it sleeps; for long waits with nothing to hold, send a
    /// delayed event instead (``send(_:after:)``), which holds no attempt.
    /// - Throws: `invalid-input` for a duration that is not positive; `CancellationError` when the run is
    ///   interrupted or cancelled meanwhile.
    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else {
            throw CairnError(.invalidInput, "step '\(stepName)' asked to sleep for \(duration): a sleep must be positive", step: stepName)
        }
        let wake = try await run("cairn.sleep") { [clock] in clock.now.addingTimeInterval(duration.seconds) }
        try await clock.sleep(until: wake)
    }

    // MARK: Waits

    /// Waits for an event of type `E` sent to the run from outside (``Engine/send(_:to:key:sender:)``, `cairn
    /// send`) that `predicate` accepts — the human in the loop inside a step. The open wait is journaled (so
    /// `show` and `list --status waiting` show the question); the event that answers it is journaled as its
    /// answer and goes to no subscribing step; an event of the type that arrived earlier and that nothing took
    /// answers it at once. When the attempt re-runs (a crash, an interrupt, a retry), an answered wait returns
    /// its journaled answer and an open one keeps its first deadline: no question is asked twice.
    ///
    /// ```swift
    /// let approval = try await context.waitFor(Approval.self, where: { $0.order == order.id }, timeout: .seconds(86_400))
    /// ```
    /// - Throws: ``WaitTimedOut`` when `timeout` passes unanswered (an absolute deadline in the journal);
    ///   `invalid-input` when the workflow does not accept `E` (``Workflow/accepts``) or the timeout is not
    ///   positive; `CancellationError` when the run is interrupted or cancelled meanwhile.
    public func waitFor<E: Event>(_ type: E.Type, where predicate: @escaping @Sendable (E) -> Bool = { _ in true },
                                  timeout: Duration? = nil) async throws -> E {
        guard graph.acceptedNames.contains(E.eventName) else {
            throw CairnError(.invalidInput, "step '\(stepName)' waits for '\(E.eventName)', which workflow '\(graph.name)' does not accept "
                + "from outside: add \(String(reflecting: E.self)) to the workflow's accepts", step: stepName, event: E.eventName)
        }
        if let timeout, timeout <= .zero {
            throw CairnError(.invalidInput, "step '\(stepName)' waits for '\(E.eventName)' with a timeout of \(timeout): a timeout must be "
                + "positive", step: stepName, event: E.eventName)
        }
        let key = try mutate { state -> String in
            let call = state.sideEffectCalls["wait:" + E.eventName, default: 0] + 1
            state.sideEffectCalls["wait:" + E.eventName] = call
            return "wait:\(E.eventName)#\(call)"
        }
        let recorded = recordedWaits[key]
        if let answer = recorded?.answer { return try Self.decode(E.self, from: answer, what: "the answer of \(key)") }
        if recorded?.timedOut == true, let deadline = recorded?.deadline { throw WaitTimedOut(event: E.eventName, deadline: deadline) }
        guard let waiter else {
            let divergence = "waited for '\(E.eventName)' (\(key)), which the recorded attempt did not get an answer for"
            state.withLock { $0.divergence = $0.divergence ?? divergence }
            throw CairnError(.internalInconsistency, "replay: step '\(stepName)' \(divergence)", step: stepName)
        }
        try await triggerDurable?.durable()
        let deadline = recorded?.deadline ?? timeout.map { clock.now.addingTimeInterval($0.seconds) }
        let payload = try await waiter(WaitRequest(key: key, name: E.eventName, deadline: deadline, matches: { ($0 as? E).map(predicate) ?? false }))
        return try Self.decode(E.self, from: payload, what: "the answer of \(key)")
    }

    // MARK: Commit

    /// When replaying: how the attempt strayed from the recorded one, if it did (values it read).
    var replayDivergence: String? {
        state.withLock { state in
            let unread = state.replay?.filter { if case .patch = $0 { false } else { true } } ?? []
            return state.divergence ?? (unread.isEmpty ? nil : "read fewer journaled values than the recorded attempt")
        }
    }

    /// Hands over everything the attempt did and refuses any later change.
    func seal() -> ExecutionEffects {
        state.withLock { state in
            state.sealed = true
            return state.effects
        }
    }

    func mutate<R>(_ body: (inout State) throws -> R) throws -> R {
        try state.withLock { state in
            guard !state.sealed else {
                throw CairnError(
                    .runEnded,
                    "step '\(stepName)' (execution \(executionID), attempt \(attempt)) was abandoned; its late effects are discarded",
                    step: stepName
                )
            }
            return try body(&state)
        }
    }

    /// `value` as JSON, refused when over the run's payload limit.
    func encode(_ value: some Encodable, _ what: @autoclosure () -> String) throws -> Data {
        let data = try Self.encode(value)
        try payloadLimit.check(data, what())
        return data
    }

    /// One encoder for every payload: its options never change, and making one per event costs more than the event.
    private static let encoder = JSONEncoder()

    static func encode(_ value: some Encodable) throws -> Data {
        do {
            return try encoder.encode(value)
        } catch {
            throw CairnError(.codingFailed, "could not encode \(type(of: value)) as JSON: \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw CairnError(.codingFailed, "could not decode \(what) as \(T.self): \(error)")
        }
    }
}

/// A wait a step opens (``WorkflowContext/waitFor(_:where:timeout:)``), as its driver gets it.
struct WaitRequest: Sendable {
    let key: String
    let name: String
    let deadline: Date?
    /// Whether an event answers it: its type and the step's predicate.
    let matches: @Sendable (any Event) -> Bool
}

/// An event a step emits, before its commit gives it a seq.
struct OutgoingEvent: Sendable {
    let name: String
    let payload: Data
    /// The event itself; `nil` for one read back from the journal and not decoded.
    let value: (any Event)?
    /// The one step it goes to; `nil`: every subscriber.
    var target: String? = nil
    /// When it is delivered; `nil`: at the commit.
    var deliverAt: Date? = nil
    /// Published to other workflows (``WorkflowContext/publish(_:)``), not an event for this run's steps.
    var published = false
}

/// A run a step starts at its commit (``WorkflowContext/start(_:input:detached:)``, ``WorkflowContext/publish(_:)``).
struct OutgoingRun: Sendable {
    var record: RunStarted
    /// Drives it in this process once the commit is durable.
    let registration: WorkflowRegistration
    /// For a subscriber run: the place in ``ExecutionEffects/sent`` of the event it was published with, whose seq
    /// its link records.
    let publication: Int?
}

/// What one attempt did, handed to the scheduler at its commit.
struct ExecutionEffects: Sendable {
    var sent: [OutgoingEvent] = []
    var streamed: [(name: String, payload: Data)] = []
    var storeWrites: [String: Data] = [:]
    var storeWriteOrder: [String] = []
    var recorded: [RecordedValue] = []
    var commitEffects: [any CommitEffect] = []
    /// Events sent to other runs.
    var messages: [RunMessage] = []
    /// Runs started at the commit.
    var starts: [OutgoingRun] = []
    /// Side effects journaled during the attempt, whatever its outcome: a retry must not pay for them again.
    var sideEffects: [SideEffect] = []
}
