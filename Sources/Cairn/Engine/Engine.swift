import Foundation
public import Logging

/// Starts and resumes workflow runs over a ``Journal``.
///
/// ## Usage
/// ```swift
/// let engine = Engine()                       // in-memory journal
/// let handle = try await engine.start(Hello(), input: Greeting(name: "Ada"))
/// for try await progress in handle.events { print(progress.name) }
/// print(try await handle.result)
/// ```
public final class Engine: Sendable {
    /// Where runs are recorded.
    public let journal: any Journal
    /// Engine-wide settings.
    public let configuration: EngineConfiguration
    /// Where runs read the time and wait for it.
    public let clock: any EngineClock
    let logger: Logger
    /// The runs this engine drives.
    let live = LiveRuns()
    /// The runs it drives because its runs' commits started them.
    let started = StartedRuns()
    /// The workflows it knows by name: the children its runs may start, the subscribers their publications start.
    let registry: [String: WorkflowRegistration]
    /// The registered workflows that start on each published event name, by name.
    private let subscribersByTopic: [String: [WorkflowRegistration]]

    /// - Parameter workflows: the workflows this engine's runs may start as children or subscribers (the CLI
    ///   passes its registered ones). Empty, the default: a run may start any child it names, and a publication
    ///   starts nothing.
    public init(
        journal: any Journal = InMemoryJournal(),
        configuration: EngineConfiguration = EngineConfiguration(),
        clock: any EngineClock = SystemClock(),
        logger: Logger = Logger(label: "cairn", factory: { _ in SwiftLogNoOpLogHandler() }),
        workflows: [WorkflowRegistration] = []
    ) {
        self.journal = journal
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        registry = Dictionary(workflows.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        subscribersByTopic = Dictionary(grouping: registry.values.filter { $0.topic != nil }, by: { $0.topic! })
            .mapValues { $0.sorted { $0.name < $1.name } }
    }

    /// The registered workflows a publication of `event` starts, by name.
    func subscribers(of event: String) -> [WorkflowRegistration] {
        subscribersByTopic[event] ?? []
    }

    /// Validates `workflow`, journals a new run with `input` (and its store seeded with `store`), and starts
    /// driving it.
    /// - Throws: ``WorkflowValidationError`` listing every problem; ``CairnError`` when the id exists, or a
    ///   seeded store key has another type than the workflow declares.
    public func start<W: Workflow>(
        _ workflow: W, input: W.Input, options: RunOptions = RunOptions(), store: StoreValues = StoreValues()
    ) async throws -> RunHandle<W.Output> {
        let graph = workflow.graph
        try graph.validate()
        for key in store.declared { try graph.checkStoreKey(key, usedBy: "the start of the run") }
        for write in store.writes { try configuration.payloadLimit.check(write.value, "store key '\(write.key)' seeded at the start") }
        if let problem = options.timeout?.limitProblem("the run timeout") { throw CairnError(.invalidInput, problem) }
        let runID = options.id ?? RunID()
        if try await journal.contains(runID) {
            throw CairnError(.runExists, "run \(runID) exists already: resume it, or start with another id")
        }
        let now = clock.now
        let record = try RunStarted.beginning(
            workflow, graph: graph, input: input, id: runID, at: now, deadline: options.timeout.map { now.addingTimeInterval($0.seconds) },
            payloadLimit: configuration.payloadLimit, seed: options.seed, store: store.writes, parent: options.parent)
        var machine = RunStateMachine(graph: graph)
        guard let inbox = live.claim(runID) else {
            throw CairnError(.runExists, "run \(runID) exists already: this engine is driving it")
        }
        do {
            try await journal.append([.runStarted(record)], for: runID)
            try machine.apply(.runStarted(record))
            RunMetrics.started(W.name)
        } catch {
            live.release(runID)
            throw error
        }
        return launch(machine, runID: runID, inbox: inbox)
    }

    /// Starts a run and waits for its result.
    public func run<W: Workflow>(_ workflow: W, input: W.Input, options: RunOptions = RunOptions()) async throws -> W.Output {
        try await start(workflow, input: input, options: options).result
    }

    /// Rebuilds a run from its journal records alone and drives it to its end.
    ///
    /// Executions that started and never committed run again as their next attempt; committed ones never
    /// run again. A run that already ended returns a handle whose result is the recorded outcome.
    /// - Throws: ``CairnError`` when the run is unknown or was started by an incompatible workflow version;
    ///   `run-owned` when this engine (or, on a leasing journal, another live process) drives it already.
    ///
    /// A run whose journal this binary cannot rebuild (an undecodable payload, an unknown event, a record out
    /// of order, no start) becomes a dead letter: it is journaled `failed` with code
    /// ``CairnError/Code/unrebuildable`` and the precise reason, once, and this throws that error. With
    /// `retryingDeadLetter`, a dead letter that this binary can rebuild is reopened and driven on. With
    /// `unfinishedOnly` (a worker claiming runs), a run that has ended is refused with `run-ended` instead.
    public func resume<W: Workflow>(_ workflow: W, run runID: RunID, retryingDeadLetter: Bool = false, unfinishedOnly: Bool = false)
        async throws -> RunHandle<W.Output> {
        let graph = workflow.graph
        try graph.validate()
        guard let inbox = live.claim(runID) else {
            throw CairnError(.runOwned, "run \(runID) is being driven by this engine already: use the handle that started "
                + "or resumed it, or wait for its result")
        }
        let leasing = journal as? any LeasingJournal
        do {
            try await leasing?.takeOver(runID)
        } catch {
            live.release(runID)
            throw error
        }
        CrashPoint.reach("during-resume")
        do {
            var machine = try await rebuildOrBury(runID, graph: graph) { started in
                try workflow.checkCanDrive(started, graph: graph, doing: "resumed")
            }
            if let finished = machine.finished, unfinishedOnly, !(retryingDeadLetter && finished.isDeadLetter) {
                throw CairnError(.runEnded, "run \(runID) has ended \(finished.status.rawValue)")
            }
            // Driving a run another run's commit started, for the first time, is its start, not a resume.
            if !machine.onlyStarted && (machine.finished == nil || (retryingDeadLetter && machine.finished?.isDeadLetter == true)) {
                let resumed = JournalRecord.runResumed(RunResumed(at: clock.now))
                try await journal.append([resumed], for: runID)
                try machine.apply(resumed)
            }
            return launch(machine, runID: runID, inbox: inbox)
        } catch {
            await leasing?.releaseLease(of: runID)
            live.release(runID)
            throw error
        }
    }

    /// Cancels a run and its unfinished child runs: terminal and journaled. A run this engine drives is cancelled
    /// by its driver (its handle ends `cancelled`), and this returns once that is journaled; a run another live process owns is
    /// cancelled by that process (``RunHandle/cancel()``, or a cancel request through a leasing journal).
    /// - Throws: ``CairnError`` `run-owned` when another live process owns it, `run-ended` when it has ended already.
    public func cancel(run runID: RunID) async throws {
        if let driver = live.driver(of: runID) {
            driver.inbox.send(.control(.cancel))
            if case .finished(let finished)? = await driver.task?.value, finished.status != .cancelled {
                throw CairnError(.runEnded, "run \(runID) has already ended \(finished.status.rawValue); there is nothing to cancel")
            }
            return
        }
        let leasing = journal as? any LeasingJournal
        try await leasing?.takeOver(runID)
        do {
            let records = try await journal.records(for: runID)
            if case .runFinished(let finished)? = records.last {
                throw CairnError(.runEnded, "run \(runID) has already ended \(finished.status.rawValue); there is nothing to cancel")
            }
            try await journal.append([.runFinished(RunFinished(status: .cancelled, result: nil, error: .cancelled, at: clock.now))], for: runID)
            if case .runStarted(let started)? = records.first { wakeParent(of: started) }
        } catch {
            await leasing?.releaseLease(of: runID)
            throw error
        }
        await leasing?.releaseLease(of: runID)
        await cancelChildren(of: runID)
    }

    /// The run's state machine, fed every record of its journal.
    /// - Throws: ``CairnError`` `unrebuildable` naming the record that could not be read or applied.
    func rebuild(_ runID: RunID, graph: WorkflowGraph) async throws -> RunStateMachine {
        try await Self.rebuild(runID, graph: graph, from: journal)
    }

    /// The run's machine from its latest snapshot, the side effects its unfinished executions journaled before
    /// it, and the records after it; `nil` — logged — when it has none or it cannot be used: then the log is
    /// read whole (contract 3: a snapshot is a cache). One that does not continue its log's event seqs is
    /// not used.
    static func restored(_ runID: RunID, graph: WorkflowGraph, from reader: any SnapshotReader, logger: Logger?) async -> RunStateMachine? {
        do {
            return try await restoring(runID, graph: graph, from: reader, logger: logger)
        } catch {
            logger?.warning("the snapshot of run \(runID) could not be used (\(error)); its journal is read whole instead")
            return nil
        }
    }

    private static func restoring(_ runID: RunID, graph: WorkflowGraph, from reader: any SnapshotReader, logger: Logger?) async throws
        -> RunStateMachine? {
        guard let (position, state) = try await reader.latestSnapshot(of: runID) else { return nil }
        let snapshot = try RunSnapshot.decoded(state)
        let lastSeq = try await reader.lastSeq(of: runID, through: position)
        guard lastSeq == snapshot.nextSeq - 1 else {
            throw CairnError(.journalDamaged, "it does not match its log: it continues from seq \(snapshot.nextSeq - 1), the log from seq \(lastSeq)")
        }
        var machine = try RunStateMachine(graph: graph, restoring: snapshot)
        let (sideEffects, records) = try await reader.records(for: runID, after: position, sideEffectsOf: snapshot.unfinishedExecutions)
        for record in sideEffects + records { try machine.apply(try decoded(record, graph: graph)) }
        logger?.debug("run \(runID) rebuilt from its snapshot at record \(position) and the \(records.count) record(s) after it")
        return machine
    }

    /// Why the run's snapshot does not give the state its log gives, or `nil` when it does or there is none
    /// (`cairn db check`).
    public static func snapshotProblem(of runID: RunID, graph: WorkflowGraph, in reader: any SnapshotReader) async -> String? {
        do {
            guard let restored = try await restoring(runID, graph: graph, from: reader, logger: nil) else { return nil }
            let rebuilt = try await rebuild(runID, graph: graph, from: reader)
            return restored.snapshot().agrees(with: rebuilt.snapshot())
                ? nil : "run \(runID): its snapshot does not match its log, which is the truth: delete the snapshot "
                    + "(DELETE FROM snapshot WHERE run_id = '\(runID)', in the sqlite3 shell) and resume reads the log whole"
        } catch {
            return "run \(runID): its snapshot cannot be used (\(error)); resume reads its log whole"
        }
    }

    /// Why the run's journal cannot be rebuilt into a run of `graph`, or `nil` when it can (`cairn db check`).
    public static func rebuildProblem(of runID: RunID, graph: WorkflowGraph, in reader: any JournalReader) async -> String? {
        do {
            _ = try await rebuild(runID, graph: graph, from: reader)
            return nil
        } catch {
            return (error as? CairnError)?.message ?? String(describing: error)
        }
    }

    static func rebuild(_ runID: RunID, graph: WorkflowGraph, from reader: any JournalReader) async throws -> RunStateMachine {
        try rebuild(runID, graph: graph, records: try await startedRecords(of: runID, from: reader).records)
    }

    /// A run's records, which must begin with its start.
    /// - Throws: ``CairnError`` `unrebuildable` when they cannot be read or do not begin with the start.
    static func startedRecords(of runID: RunID, from reader: any JournalReader) async throws -> (started: RunStarted, records: [JournalRecord]) {
        let records: [JournalRecord]
        do {
            records = try await reader.records(for: runID)
        } catch let error as CairnError where error.code == .journalDamaged {
            throw CairnError(.unrebuildable, "run \(runID) cannot be rebuilt: \(error.message)")
        }
        guard case .runStarted(let started)? = records.first else {
            throw CairnError(.unrebuildable, "run \(runID) cannot be rebuilt: its journal does not begin with its start (it has \(records.count) records)")
        }
        return (started, records)
    }

    /// A state machine fed `records`, decoding their events as `graph`'s types.
    /// - Throws: ``CairnError`` `unrebuildable` naming the record that could not be decoded or applied.
    static func rebuild(_ runID: RunID, graph: WorkflowGraph, records: [JournalRecord]) throws -> RunStateMachine {
        var machine = RunStateMachine(graph: graph)
        for (index, record) in records.enumerated() {
            do {
                try machine.apply(try Self.decoded(record, graph: graph))
            } catch {
                let reason = (error as? CairnError)?.message ?? String(describing: error)
                throw CairnError(.unrebuildable, "run \(runID) cannot be rebuilt at its journal record \(index + 1) of \(records.count): \(reason)")
            }
        }
        return machine
    }

    /// ``rebuild(_:graph:)`` after `check` accepted the run's start, journaling an unfinished run that cannot
    /// be rebuilt as a dead letter. A run that has ended (a dead letter already, or one damaged after it
    /// ended) is left as it is; a run `check` refuses is left untouched.
    private func rebuildOrBury(_ runID: RunID, graph: WorkflowGraph, check: (RunStarted) throws -> Void) async throws -> RunStateMachine {
        if let snapshots = journal as? any SnapshotReader, let machine = await Self.restored(runID, graph: graph, from: snapshots, logger: logger),
           let started = machine.started {
            try check(started)
            return machine
        }
        do {
            let (started, records) = try await Self.startedRecords(of: runID, from: journal)
            try check(started)
            return try Self.rebuild(runID, graph: graph, records: records)
        } catch let error as CairnError where error.code == .unrebuildable {
            if try await hasEnded(runID) { throw error }
            let message = error.message + "; it is marked failed (a dead letter): fix the cause, then "
                + "`cairn resume \(runID) --retry-broken`, or fork it before the damage"
            let burial = RunFinished(status: .failed, result: nil, error: RunError(.unrebuildable, message), at: clock.now)
            try await journal.append([.runFinished(burial)], for: runID)
            throw CairnError(.unrebuildable, message)
        }
    }

    /// Whether the run has ended, read from the run's summary where the journal keeps one (its records may
    /// be what cannot be read).
    private func hasEnded(_ runID: RunID) async throws -> Bool {
        if let inspectable = journal as? any InspectableJournal, let summary = try await inspectable.summary(of: runID) {
            return summary.finishedAt != nil
        }
        if case .runFinished? = try? await journal.records(for: runID).last { return true }
        return false
    }

    static func decoded(_ record: JournalRecord, graph: WorkflowGraph) throws -> JournalRecord {
        func decode(_ event: JournaledEvent) throws -> JournaledEvent {
            guard event.value == nil, !event.published else { return event }
            var event = event
            do {
                event.value = try graph.decode(event.name, from: event.payload)
            } catch let error as CairnError {
                throw CairnError(error.code, "seq \(event.seq): \(error.message)")
            }
            return event
        }
        return try record.mapEvents(decode)
    }

    /// Starts the driver of a run claimed in ``live`` with `inbox`; the claim is given up when it stops. A run
    /// that continues as new hands over to its successor, which joins `chain`.
    func launch<Output>(_ machine: RunStateMachine, runID: RunID, inbox: DriverInbox, chain: RunChain = RunChain()) -> RunHandle<Output> {
        var logger = logger
        logger[metadataKey: LoggingKeys.runID] = "\(runID)"
        logger[metadataKey: LoggingKeys.workflow] = "\(machine.graph.name)"
        let signal = ChangeSignal()
        let driver = RunDriver(
            machine: machine, runID: runID, journal: journal, configuration: configuration, clock: clock,
            logger: logger, signal: signal, inbox: inbox, onWaiting: { [chain] in chain.reportWaiting($0, of: runID) },
            onMessagesSent: { [live] runs in for run in runs { live.driver(of: run)?.inbox.send(.inboxChanged) } }, engine: self)
        let live = live
        chain.advance(to: RunChain.Link(runID: runID, inbox: inbox, signal: signal))
        let task = Task {
            let outcome = await driver.drive()
            live.release(runID)
            if case .finished(let finished) = outcome, finished.status == .cancelled {
                await cancelChildren(of: runID)
            }
            if case .finished = outcome { wakeParent(of: machine.started) }
            if case .finished(let finished) = outcome, let successor = finished.successor {
                launchSuccessor(successor, graph: machine.graph, chain: chain)
            }
            return outcome
        }
        live.driving(runID, task: task)
        chain.started(task, for: runID)
        return RunHandle(runID: runID, task: task, journal: journal, chain: chain)
    }

    /// Drives the successor a run continued as (journaled with its end, and leased to this process) in `chain`;
    /// when it cannot be driven here, it stays in the journal, resumable.
    private func launchSuccessor(_ successor: RunStarted, graph: WorkflowGraph, chain: RunChain) {
        guard let inbox = live.claim(successor.runID) else { return }
        var machine = RunStateMachine(graph: graph)
        do {
            try machine.apply(Self.decoded(.runStarted(successor), graph: graph))
        } catch {
            logger.error("run \(successor.runID), which its predecessor continued as, cannot start here: \(error); resume it")
            live.release(successor.runID)
            return
        }
        let _: RunHandle<Empty> = launch(machine, runID: successor.runID, inbox: inbox, chain: chain)
    }
}
