import Foundation
import Logging

/// What a run's caller can ask of its driver.
enum RunControl: Sendable {
    /// Terminal: journal the run as cancelled.
    case cancel
    /// Stop work, let in-flight steps commit for a grace period, leave the run resumable.
    case interrupt
}

/// How a driver stopped.
enum DriverOutcome: Sendable {
    /// The run ended; its end is journaled.
    case finished(RunFinished)
    /// The run was interrupted and stays resumable.
    case interrupted
    /// The journal refused a write; the run stays as the journal last recorded it.
    case journalFailed(any Error)
}

/// Drives one run: performs what the state machine decides — journals its records, runs step attempts
/// concurrently, sets its timers — and feeds back what happened. The machine belongs to the driver alone, and
/// holds all of the run's state, the lifecycle included; the driver holds only I/O handles.
///
/// No task of its own waits for work: whoever sends the driver a message while nobody drains its inbox runs
/// ``drain(continuing:)`` (see ``DriverInbox``). Attempts run in lanes (``AttemptLane``) rather than in a
/// task group: Swift cannot pre-empt a task, so an attempt that ignores cancellation past its timeout and
/// grace period must be abandoned — the run goes on without it, and its late result is fenced out by
/// (execution, attempt).
actor RunDriver {
    /// An attempt to run: what ``runAttempt(_:)`` needs.
    struct Launch: Sendable {
        let step: AnyStep
        let events: [any Event]
        let context: WorkflowContext
    }

    private(set) var machine: RunStateMachine
    let runID: RunID
    let journal: any Journal
    let configuration: EngineConfiguration
    let clock: any EngineClock
    let logger: Logger
    let signal: ChangeSignal
    let inbox: DriverInbox
    /// Told each time the run starts waiting (``RunHandle/waits``).
    let onWaiting: @Sendable (RunWaiting) -> Void
    /// Told the runs a commit sent messages to, so that those this engine drives take them at once.
    let onMessagesSent: @Sendable ([RunID]) -> Void
    /// The engine, to start the children the run's steps call and drive the runs their commits start.
    let engine: Engine?
    /// The journal's optional capabilities, cast once (a cast to an existential costs more than a commit).
    private let leasing: (any LeasingJournal)?
    private let pipelining: (any PipeliningJournal)?
    private let snapshots: (any SnapshottingJournal)?
    /// The run's inbox, when the journal keeps one and the workflow accepts events from outside.
    private let inboxes: (any InboxJournal)?
    /// The journal's keeping of the run's lease, when it keeps leases itself.
    private var leaseKeeping: LeaseKeeping?
    /// The waits steps have open, by execution: each attempt waits for one thing at a time.
    var liveWaits: [Int: DriverInbox.WaitCall] = [:]
    /// The watch on the run's inbox for events sent by other processes, while the run is driven.
    private var inboxWatch: InboxWatch?
    /// Commit records journaled since the last snapshot.
    private var recordsSinceSnapshot = 0

    /// The lanes and contexts of attempts the machine has running, to cancel and seal them.
    private var handles: [Int: (lane: AttemptLane, context: WorkflowContext)] = [:]
    private var timers: [Task<Void, Never>] = []
    private var timerAt: Date?
    private var outcome: DriverOutcome?
    private var outcomeWaiter: CheckedContinuation<DriverOutcome, Never>?
    /// The last append this driver made (pipelined or awaited): the next is taken after it.
    private var lastAppend: PendingAppend?
    /// What its durable appends tell the process's metrics.
    private let metrics: RunMetrics

    init(machine: RunStateMachine, runID: RunID, journal: any Journal, configuration: EngineConfiguration, clock: any EngineClock,
         logger: Logger, signal: ChangeSignal, inbox: DriverInbox, onWaiting: @escaping @Sendable (RunWaiting) -> Void = { _ in },
         onMessagesSent: @escaping @Sendable ([RunID]) -> Void = { _ in }, engine: Engine? = nil) {
        self.machine = machine
        self.runID = runID
        self.journal = journal
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.signal = signal
        self.inbox = inbox
        self.onWaiting = onWaiting
        self.onMessagesSent = onMessagesSent
        self.engine = engine
        leasing = journal as? any LeasingJournal
        pipelining = journal as? any PipeliningJournal
        snapshots = journal as? any SnapshottingJournal
        inboxes = machine.graph.accepted.isEmpty ? nil : journal as? any InboxJournal
        metrics = RunMetrics(workflow: machine.graph.name)
    }

    /// Drives the run until it stops, and returns how it stopped.
    func drive() async -> DriverOutcome {
        if let finished = machine.finished {
            stop(.finished(finished))
        } else {
            if let leasing {
                leaseKeeping = leasing.keepLease(of: runID) { [inbox] event in
                    switch event {
                    case .cancelRequested: inbox.send(.control(.cancel))
                    case .lost(let error): inbox.send(.appendFailed(error))
                    }
                }
                if leaseKeeping == nil { scheduleRenewal(every: leasing.leaseRenewalInterval) }
            }
            inbox.attach(self)
            inboxWatch = inboxes?.watchInbox(of: runID) { [inbox] in inbox.send(.inboxChanged) }
            do {
                try await receive()  // what was sent while nobody drove the run
            } catch {
                stop(.journalFailed(error))
            }
            _ = await drain(continuing: nil)
        }
        let outcome = await stopped()
        leaseKeeping?.cancel()
        inboxWatch?.cancel()
        cancelWaits { _ in true }  // the run stopped
        for (lane, _) in handles.values { lane.cancel() }
        for timer in timers { timer.cancel() }
        await leasing?.releaseLease(of: runID)
        signal.close()
        return outcome
    }

    private func stopped() async -> DriverOutcome {
        if let outcome { return outcome }
        return await withCheckedContinuation { outcomeWaiter = $0 }
    }

    /// The run stopped: nothing more is drained, and ``drive()`` cleans up.
    private func stop(_ outcome: DriverOutcome) {
        guard self.outcome == nil else { return }
        self.outcome = outcome
        inbox.close()
        outcomeWaiter?.resume(returning: outcome)
        outcomeWaiter = nil
    }

    /// Performs the machine's decisions and feeds it what arrived, until nothing has. Returns an attempt this
    /// drain started for `lane` (the caller's) to run next; the others it started run in lanes of their own.
    func drain(continuing lane: AttemptLane?) async -> Launch? {
        var starts: [ExecutionStarted] = []
        do {
            while outcome == nil {
                if let stopped = try await performDecision(launching: &starts) {
                    stop(stopped)
                    break
                }
                let messages = inbox.take()
                if messages.isEmpty { break }
                starts += try await handle(messages)
            }
        } catch {
            logger.debug("run stopped: the journal refused a write: \(error)")
            stop(.journalFailed(error))
        }
        guard outcome == nil else { return nil }
        var inline: Launch?
        for start in starts {
            guard let launch = launch(start) else { continue }
            if inline == nil, let lane {
                handles[start.executionID] = (lane, launch.context)
                inline = launch
            } else {
                handles[start.executionID] = (AttemptLane.start(launch, inbox: inbox), launch.context)
            }
        }
        return inline
    }

    /// Performs the machine's decision: journals what it decided, collects the starts it journaled. Returns
    /// the outcome once the run stops.
    private func performDecision(launching starts: inout [ExecutionStarted]) async throws -> DriverOutcome? {
        let decision = machine.decide(at: clock.now)
        if !decision.closes.isEmpty {
            try await journal(decision.closes.map { .executionFinished($0) })
            return try await performDecision(launching: &starts)
        }
        if let due = decision.due {
            CrashPoint.reach("before-timers")
            try await journal([.timersFired(due)])
            resumeTimedOut(due)
            return try await performDecision(launching: &starts)
        }
        if let finish = decision.finish {
            try await journal(machine.abandonRecords(at: finish.at).map { .executionFinished($0) } + [.runFinished(finish)])
            logger.debug("run \(finish.status.rawValue)")
            return .finished(finish)
        }
        if let interrupted = decision.interrupt {
            try await journal([.runInterrupted(interrupted)])
            logger.debug("run interrupted; \(interrupted.abandoned.count) attempt(s) abandoned, resumable")
            return .interrupted
        }
        if !decision.starts.isEmpty {
            try await journalAhead(decision.starts.map { .executionStarted($0) })
            starts += decision.starts
        }
        if let waiting = decision.waiting, !machine.isWaiting {
            let record = RunWaiting(reasons: waiting.reasons, events: waiting.events, wakeAt: decision.wakeAt, at: clock.now)
            try await journal([.runWaiting(record)])
            CrashPoint.reach("after-waiting")
            onWaiting(record)
            logger.debug("run waiting for \(waiting.reasons.joined(separator: "; "))")
        }
        if let wake = decision.wakeAt, timerAt.map({ wake < $0 }) ?? true {
            timerAt = wake
            schedule(.timer, at: wake)
        }
        return nil
    }

    /// Feeds the machine what arrived; everything that finished meanwhile commits in one append (one
    /// transaction on a durable journal), with the executions it makes due. Returns those.
    private func handle(_ messages: [DriverInbox.Message]) async throws -> [ExecutionStarted] {
        var finished: [AttemptResult] = []
        for message in messages {
            switch message {
            case .attempt(let result):
                if let accepted = machine.accept(result) { finished.append(accepted) }
            case .timer:
                timerAt = nil
            case .renewLease:
                guard let leasing else { continue }
                if try await leasing.renewLease(of: runID) { machine.requestCancel() }
                scheduleRenewal(every: leasing.leaseRenewalInterval)
            case .attemptTimedOut(let id, let attempt):
                guard machine.attemptOutlivedTimeout(execution: id, attempt: attempt) else { continue }
                handles[id]?.lane.cancel()
                schedule(.attemptAbandoned(executionID: id, attempt: attempt), after: configuration.cancellationGrace)
            case .attemptAbandoned(let id, let attempt):
                guard machine.isAbandonable(execution: id, attempt: attempt), let context = handles[id]?.context else { continue }
                let sealed = context.seal()
                let abandoned = AttemptResult(executionID: id, attempt: attempt, outcome: .timedOut, sideEffects: sealed.sideEffects,
                                              recorded: sealed.recorded)
                if let accepted = machine.accept(abandoned) { finished.append(accepted) }
            case .control(.cancel):
                machine.requestCancel()
            case .control(.interrupt):
                if let deadline = machine.requestInterrupt(at: clock.now, grace: configuration.interruptGrace) {
                    schedule(.timer, at: deadline)
                }
            case .appendFailed(let error):
                throw error
            case .inboxChanged:
                try await receive()
            case .sent(let entry):
                try await receive(entry)
            case .openWait(let call):
                try await openWait(call)
            case .waitCancelled(let id, let attempt):
                cancelWaits { $0.executionID == id && $0.attempt == attempt }
            }
        }
        return try await commit(finished)
    }

    /// Commit records staged on a copy of the machine, so each record's seqs follow the previous one's, with
    /// the starts of the executions they make due.
    private struct Batch {
        var machine: RunStateMachine
        var records: [JournalRecord] = []
        private(set) var starts: [ExecutionStarted] = []

        /// Stages every result's commit on `machine`, then the starts they make due.
        init(staging results: [AttemptResult], on machine: consuming RunStateMachine, at now: Date) throws {
            self.machine = machine
            for result in results { try stage(result, at: now) }
            starts = try startDue(at: now)
        }

        /// Stages an attempt's commit record (its side effects are journaled already).
        private mutating func stage(_ result: AttemptResult, at now: Date) throws {
            for effect in result.sideEffects { try machine.apply(.sideEffect(effect)) }
            let record = try machine.finishRecord(for: result, at: now)
            try machine.apply(.executionFinished(record))
            records.append(.executionFinished(record))
        }

        /// Stages the starts of every execution now due; none when the run is about to end or stop.
        private mutating func startDue(at now: Date) throws -> [ExecutionStarted] {
            let decision = machine.decide(at: now)
            guard decision.finish == nil, decision.interrupt == nil else { return [] }
            for start in decision.starts {
                try machine.apply(.executionStarted(start))
                records.append(.executionStarted(start))
            }
            return decision.starts
        }
    }

    /// Stages the results on a copy of the machine and journals them in one append, with the starts they
    /// make due; only then does the copy become the run's machine. When the journal refuses an attempt's
    /// commit effect, that attempt becomes a failed one (retried per its policy) and the batch is staged
    /// again: nothing of the refused commit is journaled.
    private func commit(_ results: [AttemptResult]) async throws -> [ExecutionStarted] {
        guard !results.isEmpty else { return [] }
        if let pipelining, !results.contains(where: \.hasCommitEffects) {
            return try pipelinedCommit(results, into: pipelining)
        }
        var results = results
        while true {
            let batch = try Batch(staging: results, on: machine, at: clock.now)
            do {
                try await append(batch.records)
            } catch let refused as CommitEffectError {
                guard let index = results.firstIndex(where: { $0.executionID == refused.executionID && $0.attempt == refused.attempt }),
                      case .returned = results[index].outcome else { throw refused }
                results[index] = AttemptResult(
                    executionID: refused.executionID, attempt: refused.attempt, outcome: .threw(refused), sideEffects: results[index].sideEffects,
                    recorded: results[index].recorded)
                continue
            }
            adopt(batch, committing: results)
            signal.notify()
            let targets = batch.records.compactMap(\.finishedExecution).flatMap(\.messages).map(\.target)
            if !targets.isEmpty { onMessagesSent(Array(Set(targets))) }
            engine?.drive(started: results.flatMap(\.startedRuns))
            return batch.starts
        }
    }

    /// Pipelining (contract 2): takes the commit for the journal and goes on at once — the executions it
    /// makes due start before it is durable, and their own commits are taken after it, so a crash loses a
    /// suffix of commits, never one without its trigger. Nothing reaches the outside before then: progress
    /// readers are woken at durability, a side effect waits for its trigger's, and the run's end is awaited.
    /// A commit with database effects is not pipelined, so that a refused effect can fail its attempt alone.
    private func pipelinedCommit(_ results: [AttemptResult], into journal: any PipeliningJournal) throws -> [ExecutionStarted] {
        // Staged in place: nothing is rolled back here (a record the machine refuses stops the driver), so
        // the machine is handed to the batch whole rather than copied collection by collection.
        let staged = machine
        machine = RunStateMachine(graph: staged.graph)
        let batch = try Batch(staging: results, on: consume staged, at: clock.now)
        appendAhead(batch.records, into: journal)
        adopt(batch, committing: results)
        return batch.starts
    }

    /// Makes a staged batch the run's machine, and leaves a snapshot when one is due.
    private func adopt(_ batch: Batch, committing results: [AttemptResult]) {
        machine = batch.machine
        // The lanes of committed attempts go on (they may be handed the next attempt): not cancelled. A commit
        // ends no other attempt, so the other handles stand.
        for result in results { handles[result.executionID] = nil }
        for case .executionFinished(let record) in batch.records { logFinish(record) }
        snapshotIfDue(after: batch.records.count)
    }

    /// Every ``EngineConfiguration/snapshotEvery`` commit records, a snapshot of the machine, taken by the
    /// journal after the commit that made this state (a cache: its failure stops nothing). When the machine
    /// holds more entries than that (``RunStateMachine/liveEntries``: 1,000 steps running, a store of 5,000
    /// keys), a snapshot waits for as many records as it holds: its cost per record stays bounded, and a resume
    /// still reads no more records past it than the run's live state holds entries.
    private func snapshotIfDue(after records: Int) {
        guard let snapshots, configuration.snapshotEvery > 0 else { return }
        recordsSinceSnapshot += records
        guard recordsSinceSnapshot >= configuration.snapshotEvery, machine.finished == nil,
              recordsSinceSnapshot >= machine.liveEntries else { return }
        recordsSinceSnapshot = 0
        do {
            snapshots.saveSnapshot(try machine.snapshot().encoded(), of: runID, after: lastAppend)
        } catch {
            logger.debug("no snapshot of the run: its state did not encode: \(error)")
        }
    }


    /// Appends to the journal, then applies to the machine: nothing is applied that is not journaled.
    func journal(_ records: [JournalRecord]) async throws {
        guard !records.isEmpty else { return }
        try await append(records)
        for record in records { try machine.apply(record) }
        pruneHandles()
        signal.notify()
    }

    /// Pipelining (contract 2) for records that reach nothing outside the run — starts, events received that
    /// answer no wait: applied and taken for the journal at once, ordered after every earlier append, and not
    /// waited for; what they make due starts meanwhile, its side effects waiting for their durability.
    private func journalAhead(_ records: [JournalRecord]) async throws {
        guard let pipelining else { return try await journal(records) }
        for record in records { try machine.apply(record) }
        appendAhead(records, into: pipelining)
        pruneHandles()
    }

    /// Takes `records` for the journal after every earlier append, without waiting: progress readers are woken
    /// when they are durable, and a failure stops the driver (resume reads what is durable).
    private func appendAhead(_ records: [JournalRecord], into journal: any PipeliningJournal) {
        let taken = ContinuousClock.now
        let pending = journal.appendPipelined(records, for: runID, after: lastAppend)
        lastAppend = pending
        pending.observe { [signal, inbox, metrics] result in
            switch result {
            case .success:
                signal.notify()
                metrics.appended(records, nanoseconds: Self.nanoseconds(since: taken))
            case .failure(let error): inbox.send(.appendFailed(error))
            }
        }
    }

    /// Appends `records` after every earlier append and waits for them to be durable, trying again when the
    /// journal was busy (nothing written) per the configured policy.
    private func append(_ records: [JournalRecord]) async throws {
        let policy = configuration.journalRetry
        let previous = lastAppend
        var attempt = 1
        let taken = ContinuousClock.now
        while true {
            do {
                guard let pipelining else {
                    try await journal.append(records, for: runID)
                    return metrics.appended(records, nanoseconds: Self.nanoseconds(since: taken))
                }
                let pending = pipelining.appendPipelined(records, for: runID, after: previous)
                lastAppend = pending
                do {
                    try await pending.durable()
                    return metrics.appended(records, nanoseconds: Self.nanoseconds(since: taken))
                } catch {
                    lastAppend = previous  // nothing of it was written: what comes next follows what came before
                    throw error
                }
            } catch let error as CairnError where error.code == .journalBusy && attempt < policy.maxAttempts {
                let delay = policy.backoff(after: attempt)
                logger.warning("the journal refused an append (try \(attempt) of \(policy.maxAttempts)); trying again in \(delay): \(error.message)")
                attempt += 1
                try await clock.sleep(until: clock.now.addingTimeInterval(delay.seconds))
            }
        }
    }

    private static func nanoseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }

    /// Journals the events the run's inbox holds past the last one journaled, in inbox order, as one record;
    /// an entry whose payload does not decode as the workflow's type of its name is journaled as refused. An
    /// entry sent from this process and next in line is taken as it is, without reading the inbox again.
    private func receive(_ sent: InboxEntry? = nil) async throws {
        guard let inboxes, outcome == nil, machine.finished == nil else { return }
        let entries: [InboxEntry]
        if let sent, sent.inboxSeq == machine.lastInboxSeq + 1 {
            entries = [sent]
        } else if let sent, sent.inboxSeq <= machine.lastInboxSeq {
            return  // journaled already, with the entries read before it
        } else {
            entries = try await inboxes.inbox(of: runID, after: machine.lastInboxSeq)
        }
        guard !entries.isEmpty else { return }
        var events: [JournaledEvent] = [], refused: [EventsReceived.Refused] = []
        for entry in entries {
            do {
                let value = try machine.graph.decode(entry.name, from: entry.payload)
                events.append(JournaledEvent(seq: machine.nextSeq + events.count, name: entry.name, payload: entry.payload, executionID: nil,
                                             inboxSeq: entry.inboxSeq, value: value))
            } catch {
                let reason = (error as? CairnError)?.message ?? "\(error)"
                logger.warning("event '\(entry.name)' sent to the run (inbox \(entry.inboxSeq)) is refused: \(reason)")
                refused.append(EventsReceived.Refused(inboxSeq: entry.inboxSeq, name: entry.name, reason: reason))
            }
        }
        events = answering(events)
        CrashPoint.reach("before-receive")
        let record = JournalRecord.eventsReceived(EventsReceived(events: events, refused: refused, at: clock.now))
        if events.contains(where: { $0.answers != nil }) {
            try await journal([record])  // a wait's answer reaches its step only once durable
        } else {
            try await journalAhead([record])
        }
        CrashPoint.reach("after-receive")
        resumeAnswered(by: events)
        logger.debug("received \(events.map { "'\($0.name)'#\($0.seq)" }.joined(separator: ", "))")
    }

    /// Drops the handles of attempts the machine no longer has running, cancelling any still at work (an
    /// attempt abandoned as its run ended).
    private func pruneHandles() {
        cancelWaits { machine.running[$0.executionID]?.attempt != $0.attempt }  // attempts that no longer run
        for (id, handle) in handles where machine.running[id]?.attempt != handle.context.attempt { handle.lane.cancel() }
        handles = handles.filter { machine.running[$0.key]?.attempt == $0.value.context.attempt }
    }

    private func schedule(_ message: DriverInbox.Message, at date: Date) {
        timers.removeAll { $0.isCancelled }
        timers.append(Task { [inbox, clock] in
            guard (try? await clock.sleep(until: date)) != nil else { return }
            _ = await inbox.deliver(message, continuing: nil)
        })
    }

    /// The next lease renewal, at the next multiple of `interval` on the clock: every run a process drives renews
    /// in the same instant, so the journal commits their renewals together — a thousand idle runs cost a
    /// transaction or two per interval, not a thousand.
    private func scheduleRenewal(every interval: Duration) {
        let seconds = interval.seconds, now = clock.now.timeIntervalSince1970
        schedule(.renewLease, at: Date(timeIntervalSince1970: ((now / seconds).rounded(.down) + 1) * seconds))
    }

    private func schedule(_ message: DriverInbox.Message, after delay: Duration) {
        schedule(message, at: clock.now.addingTimeInterval(delay.seconds))
    }

    /// What runs the started execution's attempt; `nil` when the machine does not have it running.
    private func launch(_ start: ExecutionStarted) -> Launch? {
        guard let (step, triggers, attempt) = machine.runningExecution(start.executionID) else { return nil }
        logger.debug("step '\(step.name)' started on \(triggers.map { "'\($0.name)'#\($0.seq)" }.joined(separator: ", "))",
                     metadata: [LoggingKeys.executionID: "\(start.executionID)", LoggingKeys.attempt: "\(attempt)"])
        let triggerDurable = lastAppend?.isPending == true ? lastAppend : nil
        if triggerDurable != nil { CrashPoint.reach("pipelined-start") }
        let context = WorkflowContext(
            runID: runID,
            step: step,
            executionID: start.executionID,
            attempt: attempt,
            triggers: triggers.map { ($0.name, $0.seq) },
            run: machine.started,
            graph: machine.graph,
            randomSeed: { [runID, seed = machine.started?.seed] in
                Self.randomSeed(runID: runID, seed: seed, step: step, triggers: triggers, execution: start.executionID, attempt: attempt)
            },
            clock: clock,
            committedStore: machine.store,
            recordedSideEffects: machine.sideEffects[start.executionID] ?? [:],
            logger: logger,
            payloadLimit: configuration.payloadLimit,
            triggerDurable: triggerDurable,
            recordedWaits: machine.waits[start.executionID] ?? [:],
            waiter: Self.waiter(execution: start.executionID, attempt: attempt, inbox: inbox),
            engine: engine,
            journalSideEffect: { [journal, runID, inbox] effect in
                // A side effect the journal did not take stops the run as a refused commit does: the journal failed,
                // not the step, so the attempt is not journaled as failed (a resume runs it again).
                do {
                    try await journal.append([.sideEffect(effect)], for: runID)
                } catch {
                    inbox.send(.appendFailed(error))
                    throw error
                }
            }
        )
        if let timeout = step.options.timeout {
            schedule(.attemptTimedOut(executionID: start.executionID, attempt: attempt), after: timeout)
        }
        return Launch(step: step, events: triggers.compactMap(\.value), context: context)
    }

    /// Runs one attempt's body and seals its context.
    nonisolated static func runAttempt(_ launch: Launch) async -> AttemptResult {
        let (step, context) = (launch.step, launch.context)
        let result: Result<(any Event)?, any Error>
        do {
            result = .success(try await step.body(launch.events, context))
        } catch {
            result = .failure(error)
        }
        let effects = context.seal()
        let outcome: AttemptResult.Outcome
        switch result {
        case .success(let event):
            do {
                outcome = .returned(try event.map { event in
                    let name = event.eventNameOfInstance
                    return OutgoingEvent(name: name, payload: try context.encode(event, "event '\(name)' returned by step '\(step.name)'"), value: event)
                }, effects)
            } catch {
                outcome = .threw(error)
            }
        case .failure(let error):
            outcome = .threw(error)
        }
        return AttemptResult(executionID: context.executionID, attempt: context.attempt, outcome: outcome, sideEffects: effects.sideEffects,
                             recorded: effects.recorded)
    }

    /// Seeded runs: the same seed, step and trigger payloads give the same values. Unseeded runs: a seed
    /// unique to the run, execution and attempt (every value drawn is journaled either way).
    private static func randomSeed(runID: RunID, seed: UInt64?, step: AnyStep, triggers: [JournaledEvent], execution: Int, attempt: Int)
        -> UInt64 {
        guard let seed else {
            return SplitMix64.seed(UInt64(truncatingIfNeeded: runID.hashValue), mixing: [Array("\(runID)/\(execution)/\(attempt)".utf8)])
        }
        return SplitMix64.seed(seed, mixing: [Array(step.name.utf8)] + triggers.map { Array($0.payload) })
    }

    private func logFinish(_ record: ExecutionFinished) {
        guard logger.logLevel <= .info else { return }
        let metadata: Logger.Metadata = [LoggingKeys.executionID: "\(record.executionID)", LoggingKeys.attempt: "\(record.attempt)"]
        switch record.outcome {
        case .completed:
            let emitted = record.emitted.map { "'\($0.name)'#\($0.seq)" }.joined(separator: ", ")
            logger.debug("step '\(record.step)' completed, emitted \(emitted.isEmpty ? "nothing" : emitted)",
                         metadata: metadata)
        case .failed(let message, let retryAt):
            logger.info("step '\(record.step)' failed: \(message)\(retryAt.map { "; retry at \($0)" } ?? "")", metadata: metadata)
        case .timedOut(let retryAt):
            logger.info("step '\(record.step)' timed out\(retryAt.map { "; retry at \($0)" } ?? "")", metadata: metadata)
        case .abandoned:
            logger.debug("step '\(record.step)' abandoned: its run ended while it ran", metadata: metadata)
        }
    }
}

extension Event {
    /// The persisted name of this value's dynamic type.
    var eventNameOfInstance: String { Self.eventName }
}
