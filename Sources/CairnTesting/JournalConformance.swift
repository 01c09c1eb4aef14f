public import Cairn
import Foundation
public import Testing

/// The journal contract as tests: one body per rule of ``Journal`` and ``InspectableJournal`` (and of
/// ``LeasingJournal`` where the backend has leases). A backend is done when it passes every one.
///
/// ## Usage
/// ```swift
/// @Test(arguments: JournalConformance.Rule.allCases)
/// func conformance(rule: JournalConformance.Rule) async throws {
///     try await JournalConformance.check(rule) { try MyJournal(path: temporaryFile()) }
/// }
/// ```
public enum JournalConformance {
    /// A journal to test: a fresh, empty one per call.
    public typealias Factory = @Sendable () async throws -> any Journal & InspectableJournal

    public enum Rule: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case roundTrip = "records read back as they were appended, in order"
        case atomicAppend = "an append is all or nothing"
        case unknownRunRefused = "an append to a run that has no start is refused, creating nothing"
        case duplicateStartRefused = "a second start of a run is refused, appending nothing"
        case gaplessSeqsKept = "event seqs and stream positions come back as given, and stream pages cut by position"
        case listingFiltersBeforePaging = "listing filters by status and workflow before paging, over more than 1,000 runs"
        case summariesFromRecords = "a summary says what the records say: status, input, result, error, origin, resumes"

        public var testDescription: String { rawValue }
    }

    /// Checks one rule against journals made by `make`.
    public static func check(_ rule: Rule, _ make: Factory) async throws {
        let journal = try await make()
        switch rule {
        case .roundTrip: try await roundTrip(journal)
        case .atomicAppend: try await atomicAppend(journal)
        case .unknownRunRefused: try await unknownRunRefused(journal)
        case .duplicateStartRefused: try await duplicateStartRefused(journal)
        case .gaplessSeqsKept: try await gaplessSeqsKept(journal)
        case .listingFiltersBeforePaging: try await listingFiltersBeforePaging(journal)
        case .summariesFromRecords: try await summariesFromRecords(journal)
        }
    }

    /// Journals over one store, as separate processes would open it: each call a new owner, with the lease
    /// duration given.
    public typealias LeasingFactory = @Sendable (_ leaseTTL: Duration) async throws -> any LeasingJournal

    /// The rules of ``LeasingJournal``, for backends that share a run between processes.
    public enum LeaseRule: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case liveLeaseRefusesTakeover = "a live lease refuses another owner's takeover with runOwned, changing nothing"
        case fencing = "an owner whose lease was taken over can append and renew nothing more"
        case expiryByDatabaseClock = "a lease that is not renewed expires by the store's clock, and the run can be taken over"
        case cancelRequestReachesOwner = "a cancel request from another process is seen by the owner's next renewal"
        case startedRunsClaimedFirst = "a run whose owner is gone is claimed before runs no one has started, even older ones; each kind oldest first"
        case claimIsOneTakeover = "a claimed run's takeover is the claim: the run is resumed at the next epoch, not one past it"
        case drivenRunsNotClaimed = "a run its worker still drives is not claimed once its driver let go of the lease, and is claimable once the worker is done with it"

        public var testDescription: String { rawValue }
    }

    /// Checks one leasing rule against journals made by `make`, all over the same store.
    public static func check(_ rule: LeaseRule, _ make: LeasingFactory) async throws {
        switch rule {
        case .liveLeaseRefusesTakeover: try await liveLeaseRefusesTakeover(make)
        case .fencing: try await fencing(make)
        case .expiryByDatabaseClock: try await expiryByDatabaseClock(make)
        case .cancelRequestReachesOwner: try await cancelRequestReachesOwner(make)
        case .startedRunsClaimedFirst: try await startedRunsClaimedFirst(make)
        case .claimIsOneTakeover: try await claimIsOneTakeover(make)
        case .drivenRunsNotClaimed: try await drivenRunsNotClaimed(make)
        }
    }

    // MARK: Rules

    static func roundTrip(_ journal: any Journal) async throws {
        let run = RunID()
        let written = SyntheticRun(run).completed(streamed: 2)
        try await journal.append([written[0]], for: run)
        try await journal.append(Array(written.dropFirst()), for: run)
        let read = try await journal.records(for: run)
        #expect(read.map(\.kindName) == written.map(\.kindName))
        #expect(read.flatMap(\.events).map(\.seq) == written.flatMap(\.events).map(\.seq))
        #expect(read.flatMap(\.events).map(\.payload) == written.flatMap(\.events).map(\.payload))
        #expect(read.flatMap(\.events).map(\.target) == [nil, "only"])
        let finish = try #require(read.compactMap(\.finishedExecution).first)
        #expect(finish.outcome == .completed && finish.streamed.count == 2 && finish.storeWrites.map(\.key) == ["k"])
        #expect(finish.recorded == [.random(42), .patch(id: "p1", applied: true)])
        guard case .runStarted(let started)? = read.first else { throw CairnError(.internalInconsistency, "no start read back") }
        #expect(started.version == "v1" && started.patches == ["p1", "p2"])
        #expect(started.store.map(\.key) == ["seeded"] && started.store.map(\.value) == [Data("[1]".utf8)])
        guard case .sideEffect(let effect)? = read.first(where: { $0.kindName == "sideEffect" }) else {
            Issue.record("the side effect did not come back")
            return
        }
        #expect(effect.key == "call#1" && effect.result == Data("7".utf8))
        guard case .runFinished(let end)? = read.last else {
            Issue.record("the end did not come back")
            return
        }
        #expect(end.status == .completed && end.result == Data(#"{"result":"done"}"#.utf8))
        #expect(try await journal.contains(run))
    }

    static func atomicAppend(_ journal: any Journal) async throws {
        let run = RunID()
        let records = SyntheticRun(run).completed()
        try await journal.append([records[0]], for: run)
        let before = try await journal.records(for: run).count
        // A batch that is refused half-way (a second start at its end) leaves none of it behind.
        await #expect(throws: (any Error).self) { try await journal.append(Array(records[1...3]) + [records[0]], for: run) }
        #expect(try await journal.records(for: run).count == before)
    }

    static func unknownRunRefused(_ journal: any Journal) async throws {
        let run = RunID()
        let records = SyntheticRun(run).completed()
        await #expect { try await journal.append(Array(records.dropFirst()), for: run) } throws: {
            ($0 as? CairnError)?.code == .runNotFound
        }
        #expect(try await !journal.contains(run))
        await #expect { _ = try await journal.records(for: run) } throws: { ($0 as? CairnError)?.code == .runNotFound }
    }

    static func duplicateStartRefused(_ journal: any Journal) async throws {
        let run = RunID()
        let records = SyntheticRun(run).completed()
        try await journal.append([records[0]], for: run)
        await #expect { try await journal.append([records[0]], for: run) } throws: { ($0 as? CairnError)?.code == .runExists }
        #expect(try await journal.records(for: run).count == 1)
    }

    static func gaplessSeqsKept(_ journal: any Journal) async throws {
        let run = RunID()
        let records = SyntheticRun(run).completed(streamed: 5)
        try await journal.append(records, for: run)
        #expect(try await journal.records(for: run).flatMap(\.events).map(\.seq) == [1, 2])
        #expect(try await journal.streamedEvents(for: run, from: 1, limit: 100).map(\.position) == [1, 2, 3, 4, 5])
        #expect(try await journal.streamedEvents(for: run, from: 2, limit: 2).map(\.position) == [2, 3])
        #expect(try await journal.streamedEvents(for: run, from: 6, limit: 10).isEmpty)
        #expect(try await journal.streamedEvents(for: RunID(), from: 1, limit: 10).isEmpty)
    }

    static func listingFiltersBeforePaging(_ journal: any Journal & InspectableJournal) async throws {
        // 1,030 runs, oldest first: the 20 oldest failed, every other one completed, the newest 10 of workflow "b".
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        var failed: [RunID] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<1_030 {
                let run = RunID()
                if index < 20 { failed.append(run) }
                let synthetic = SyntheticRun(run, workflow: index >= 1_020 ? "b" : "a", at: base.addingTimeInterval(Double(index)))
                let records = index < 20 ? synthetic.failed() : synthetic.completed()
                group.addTask { try await journal.append(records, for: run) }
            }
            try await group.waitForAll()
        }
        let all = try await journal.runs(RunQuery(limit: 50))
        #expect(all.total == 1_030 && all.runs.count == 50)
        #expect(all.runs.map(\.createdAt) == all.runs.map(\.createdAt).sorted(by: >), "newest first")
        let failures = try await journal.runs(RunQuery(statuses: [.status(.failed)], limit: 50))
        #expect(failures.total == 20 && Set(failures.runs.map(\.runID)) == Set(failed), "the oldest runs are found too")
        let secondPage = try await journal.runs(RunQuery(statuses: [.status(.failed)], limit: 15, offset: 15))
        #expect(secondPage.runs.count == 5 && Set(secondPage.runs.map(\.runID)).isSubset(of: Set(failed)))
        let b = try await journal.runs(RunQuery(statuses: [.status(.completed)], workflow: "b", limit: 100))
        #expect(b.total == 10 && b.runs.allSatisfy { $0.workflow == "b" && $0.status == .completed })
        let every = try await journal.allRuns(RunQuery(statuses: [.status(.completed), .status(.failed)], limit: 400))
        #expect(every.count == 1_030 && Set(every.map(\.runID)).count == 1_030)
        #expect(try await journal.runs(RunQuery(unfinishedOnly: true)).total == 0)
        let recent = try await journal.runs(RunQuery(since: base.addingTimeInterval(1_000), limit: 100))
        #expect(recent.total == 30 && recent.runs.allSatisfy { $0.createdAt >= base.addingTimeInterval(1_000) }, "started since, inclusive")
        let window = try await journal.runs(RunQuery(since: base.addingTimeInterval(10), until: base.addingTimeInterval(20), limit: 100))
        #expect(window.total == 10, "since inclusive, until exclusive")
        let some = try #require(all.runs.first?.runID.description)
        let prefixed = try await journal.runs(RunQuery(idPrefix: String(some.prefix(13)), limit: 100))
        #expect(prefixed.runs.map(\.runID.description).contains(some) && prefixed.runs.allSatisfy { $0.runID.description.hasPrefix(some.prefix(13)) })
    }

    static func summariesFromRecords(_ journal: any Journal & InspectableJournal) async throws {
        let origin = RunID(), fork = RunID(), failed = RunID(), open = RunID()
        try await journal.append(SyntheticRun(origin).completed(), for: origin)
        try await journal.append(SyntheticRun(fork, origin: (origin, 2)).completed(), for: fork)
        try await journal.append(SyntheticRun(failed).failed(), for: failed)
        try await journal.append(SyntheticRun(open).started(resumes: 2), for: open)
        let done = try #require(try await journal.summary(of: origin))
        #expect(done.status == .completed && done.result == .string("done") && done.error == nil && done.finishedAt != nil)
        #expect(done.input == .object(["sku": .string("Apple")]) && done.workflow == "a" && done.version == "v1")
        let forked = try #require(try await journal.summary(of: fork))
        #expect(forked.originRunID == origin && forked.originSeq == 2)
        #expect(try await journal.runs(RunQuery(forkedFrom: origin)).runs.map(\.runID) == [fork])
        let failure = try #require(try await journal.summary(of: failed))
        #expect(failure.status == .failed && failure.error?.code == .stepFailed && failure.result == nil)
        let running = try #require(try await journal.summary(of: open))
        #expect(running.status == .running && running.finishedAt == nil && running.resumes == 2)
        #expect(try await journal.runs(RunQuery(unfinishedOnly: true)).runs.map(\.runID) == [open])
        #expect(try await journal.summary(of: RunID()) == nil)
    }
}

extension JournalConformance {
    // MARK: Lease rules

    /// A run started (and so owned) by a fresh owner, with the records of its first step to append later.
    private static func ownedRun(_ owner: any LeasingJournal) async throws -> (RunID, [JournalRecord]) {
        let run = RunID()
        let records = SyntheticRun(run).completed()
        try await owner.append([records[0]], for: run)
        return (run, Array(records[1...]))
    }

    static func liveLeaseRefusesTakeover(_ make: LeasingFactory) async throws {
        let first = try await make(.seconds(600)), second = try await make(.seconds(600))
        let (run, rest) = try await ownedRun(first)
        await #expect { try await second.takeOver(run) } throws: { ($0 as? CairnError)?.code == .runOwned }
        // The refusal changed nothing: the owner still writes, the other still cannot.
        try await first.append([rest[0]], for: run)
        await #expect { try await second.append([rest[1]], for: run) } throws: { ($0 as? CairnError)?.code == .leaseLost }
        #expect(try await first.records(for: run).count == 2)
        try await first.takeOver(run)  // an owner taking over its own live run keeps it
        try await first.append([rest[1]], for: run)
    }

    static func fencing(_ make: LeasingFactory) async throws {
        let first = try await make(.seconds(600)), second = try await make(.seconds(600))
        let (run, rest) = try await ownedRun(first)
        await first.releaseLease(of: run)  // as if it had expired: the owner is slow, not gone
        try await second.takeOver(run)
        await #expect { try await first.append([rest[0]], for: run) } throws: { ($0 as? CairnError)?.code == .leaseLost }
        #expect(try await second.records(for: run).count == 1, "the fenced append wrote nothing")
        try await second.append([rest[0]], for: run)
        #expect(try await second.renewLease(of: run) == false)
        // The first owner, taking over again while the second holds a live lease, is refused too.
        await #expect { try await first.takeOver(run) } throws: { ($0 as? CairnError)?.code == .runOwned }
    }

    static func expiryByDatabaseClock(_ make: LeasingFactory) async throws {
        let first = try await make(.milliseconds(300)), second = try await make(.seconds(600))
        let (run, rest) = try await ownedRun(first)
        // No renewal: the lease runs out by the store's clock, whichever process reads it. Waiting is on the
        // observable outcome (the takeover succeeding), bounded, not on a guessed delay.
        let giveUp = ContinuousClock.now + .seconds(30)
        while true {
            do {
                try await second.takeOver(run)
                break
            } catch let error as CairnError where error.code == .runOwned && ContinuousClock.now < giveUp {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        await #expect { _ = try await first.renewLease(of: run) } throws: { ($0 as? CairnError)?.code == .leaseLost }
        await #expect { try await first.append([rest[0]], for: run) } throws: { ($0 as? CairnError)?.code == .leaseLost }
        try await second.append([rest[0]], for: run)
    }

    static func startedRunsClaimedFirst(_ make: LeasingFactory) async throws {
        let gone = try await make(.milliseconds(300))
        let claimer = try #require(try await make(.seconds(600)) as? any ClaimingJournal, "a leasing journal workers claim from")
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let (oldest, orphan, newest) = (RunID(), RunID(), RunID())
        try await claimer.enqueue(SyntheticRun(oldest, at: at).start)
        try await gone.append(SyntheticRun(orphan, at: at.addingTimeInterval(10)).started(), for: orphan)
        try await claimer.enqueue(SyntheticRun(newest, at: at.addingTimeInterval(20)).start)
        try await waitUntilLeaseRanOut(of: orphan, in: claimer)
        let claimed = try await claimer.claimableRuns(limit: 2, workflows: ["a"], excluding: []).runs.map(\.runID)
        #expect(claimed == [orphan, oldest], "the started run first, then the oldest never started")
    }

    /// Its owner renews nothing: once the lease has run out (bounded, on the observable expiry), the run is claimable.
    static func waitUntilLeaseRanOut(of run: RunID, in journal: any ClaimingJournal) async throws {
        let expiry = try #require(try await journal.summary(of: run)?.leaseExpiresAt)
        let giveUp = ContinuousClock.now + .seconds(30)
        while Date() < expiry.addingTimeInterval(0.2), ContinuousClock.now < giveUp { try await Task.sleep(for: .milliseconds(50)) }
    }

    /// A worker claims a run and the engine takes it over to drive it: one takeover, so one epoch past the dead
    /// owner's — on PostgreSQL the claim's statement takes the lease, and the takeover after it took a second epoch.
    static func claimIsOneTakeover(_ make: LeasingFactory) async throws {
        let gone = try await make(.milliseconds(300))
        let worker = try #require(try await make(.seconds(600)) as? any ClaimingJournal, "a leasing journal workers claim from")
        let run = RunID()
        try await gone.append(SyntheticRun(run).started(), for: run)
        try await waitUntilLeaseRanOut(of: run, in: worker)
        #expect(try await worker.claimableRuns(limit: 1, workflows: ["a"], excluding: []).runs.map(\.runID) == [run])
        try await worker.takeOver(run)
        try await worker.append([.runResumed(RunResumed(at: Date()))], for: run)
        guard case .runResumed(let resumed)? = try await worker.records(for: run).last else {
            Issue.record("the resume did not come back")
            return
        }
        #expect(resumed.epoch == 2, "the dead owner held epoch 1")
        await #expect { _ = try await gone.renewLease(of: run) } throws: { ($0 as? CairnError)?.code == .leaseLost }
    }

    /// A driver lets its run's lease go as it ends, before its worker hears of the end: a claim in between must pass
    /// the run by — taken then, it would be leased to a worker that drives it no more, and no one would.
    static func drivenRunsNotClaimed(_ make: LeasingFactory) async throws {
        let worker = try #require(try await make(.seconds(600)) as? any ClaimingJournal, "a leasing journal workers claim from")
        let run = RunID()
        try await worker.enqueue(SyntheticRun(run).start)
        #expect(try await worker.claimableRuns(limit: 10, workflows: ["a"], excluding: []).runs.map(\.runID) == [run])
        try await worker.takeOver(run)
        await worker.releaseLease(of: run)
        #expect(try await worker.claimableRuns(limit: 10, workflows: ["a"], excluding: [run]).runs.isEmpty, "a run its worker drives was claimed")
        #expect(try await worker.claimableRuns(limit: 10, workflows: ["a"], excluding: []).runs.map(\.runID) == [run],
                "the run is left with no one to drive it")
    }

    static func cancelRequestReachesOwner(_ make: LeasingFactory) async throws {
        let owner = try await make(.seconds(600))
        let requester = try #require(try await make(.seconds(600)) as? any CancelRequestingJournal, "a leasing journal takes cancel requests")
        let (run, _) = try await ownedRun(owner)
        #expect(try await owner.renewLease(of: run) == false)
        try await requester.requestCancel(of: run)
        #expect(try await owner.renewLease(of: run) == true)
    }
}

/// Records of a made-up run, valid as a journal holds them (no workflow needed).
struct SyntheticRun {
    let run: RunID
    var workflow = "a"
    var at = Date(timeIntervalSince1970: 1_800_000_000)
    var origin: (run: RunID, seq: Int)?

    init(_ run: RunID, workflow: String = "a", at: Date = Date(timeIntervalSince1970: 1_800_000_000), origin: (run: RunID, seq: Int)? = nil) {
        self.run = run
        self.workflow = workflow
        self.at = at
        self.origin = origin
    }

    /// The run's start, as a worker's queue takes it (``ClaimingJournal/enqueue(_:)``).
    var start: RunStarted {
        guard case .runStarted(let started) = started()[0] else { preconditionFailure("a run's first record is its start") }
        return started
    }

    func started(resumes: Int = 0) -> [JournalRecord] {
        let start = JournaledEvent(seq: 1, name: "cairn.start", payload: Data(#"{"input":{"sku":"Apple"}}"#.utf8), executionID: nil, value: nil)
        return [.runStarted(RunStarted(runID: run, workflow: workflow, fingerprint: "f", shape: "s", version: "v1",
                                       patches: ["p1", "p2"], seed: 7, deadline: nil, at: at, start: start,
                                       store: [StoreWrite(key: "seeded", value: Data("[1]".utf8))], origin: origin))]
            + (0..<resumes).map { _ in .runResumed(RunResumed(at: at)) }
    }

    func completed(streamed: Int = 1) -> [JournalRecord] {
        let later = at.addingTimeInterval(0.5)
        // A directed event's target must come back too (a stop is never directed; the journal does not care).
        let stop = JournaledEvent(seq: 2, name: "cairn.stop", payload: Data(#"{"result":"done"}"#.utf8), executionID: 1, target: "only", value: nil)
        return started() + [
            .executionStarted(ExecutionStarted(executionID: 1, step: "only", attempt: 1, triggers: [1], at: at)),
            .sideEffect(SideEffect(executionID: 1, attempt: 1, key: "call#1", result: Data("7".utf8), at: at)),
            .executionFinished(ExecutionFinished(
                executionID: 1, step: "only", attempt: 1, triggers: [("cairn.start", 1)], outcome: .completed, emitted: [stop],
                streamed: (1...max(1, streamed)).map { StreamedEvent(position: $0, name: "p", payload: Data(#"{"n":\#($0)}"#.utf8), step: "only") },
                storeWrites: [StoreWrite(key: "k", value: Data("1".utf8))], recorded: [.random(42), .patch(id: "p1", applied: true)], effects: [],
                startedAt: at, at: later)),
            .runFinished(RunFinished(status: .completed, result: stop.payload, error: nil, at: later)),
        ]
    }

    /// A run that failed; with `code` `unrebuildable`, a dead letter.
    func failed(code: CairnError.Code = .stepFailed) -> [JournalRecord] {
        let later = at.addingTimeInterval(0.5)
        let error = RunError(code, "step 'only' failed", step: "only", event: "cairn.start")
        return started() + [
            .executionStarted(ExecutionStarted(executionID: 1, step: "only", attempt: 1, triggers: [1], at: at)),
            .executionFinished(ExecutionFinished(
                executionID: 1, step: "only", attempt: 1, triggers: [("cairn.start", 1)], outcome: .failed(message: "boom", retryAt: nil),
                emitted: [], streamed: [], storeWrites: [], recorded: [], effects: [], startedAt: at, at: later)),
            .runFinished(RunFinished(status: .failed, result: nil, error: error, at: later)),
        ]
    }
}

extension JournalRecord {
    /// The record's case name, for comparing kinds.
    public var kindName: String {
        switch self {
        case .runStarted: "runStarted"
        case .executionStarted: "executionStarted"
        case .executionFinished: "executionFinished"
        case .sideEffect: "sideEffect"
        case .eventsReceived: "eventsReceived"
        case .runWaiting: "runWaiting"
        case .timersFired: "timersFired"
        case .waitOpened: "waitOpened"
        case .waitAnswered: "waitAnswered"
        case .runInterrupted: "runInterrupted"
        case .runResumed: "runResumed"
        case .runFinished: "runFinished"
        }
    }
}
