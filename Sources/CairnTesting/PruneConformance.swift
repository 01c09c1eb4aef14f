public import Cairn
import Foundation
import Synchronization
public import Testing

extension JournalConformance {
    /// A journal that prunes, to test: a fresh, empty one per call.
    public typealias PruningFactory = @Sendable () async throws -> any PruningJournal & InspectableJournal

    /// The rules of ``PruningJournal`` (`cairn db prune`).
    public enum PruneRule: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case keepsWhatAuditsRead = "prune deletes the history of runs finished before the cutoff, keeping summaries, takeovers and ends; never an unfinished run, a later one or a dead letter"
        case batchesWithProgress = "prune works a batch of runs per transaction, reports progress after each, and a second prune finds nothing"

        public var testDescription: String { rawValue }
    }

    /// Checks one pruning rule against journals made by `make`.
    public static func check(_ rule: PruneRule, _ make: PruningFactory) async throws {
        let journal = try await make()
        switch rule {
        case .keepsWhatAuditsRead: try await keepsWhatAuditsRead(journal)
        case .batchesWithProgress: try await batchesWithProgress(journal)
        }
    }

    static func keepsWhatAuditsRead(_ journal: any PruningJournal & InspectableJournal) async throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let (done, failed, deadLetter, open, later) = (RunID(), RunID(), RunID(), RunID(), RunID())
        try await journal.append(SyntheticRun(done).started(resumes: 1) + SyntheticRun(done).completed().dropFirst(), for: done)
        try await journal.append(SyntheticRun(failed).failed(), for: failed)
        try await journal.append(SyntheticRun(deadLetter).failed(code: .unrebuildable), for: deadLetter)
        try await journal.append(SyntheticRun(open).started(), for: open)
        try await journal.append(SyntheticRun(later, at: at.addingTimeInterval(86_400)).completed(), for: later)
        let untouched = [deadLetter, open, later]
        var before: [RunID: [String]] = [:]
        for run in untouched { before[run] = try await journal.records(for: run).map(\.kindName) }

        let report = try await journal.prune(finishedBefore: at.addingTimeInterval(3_600), batchSize: 100, progress: { _ in })
        #expect(report.pruned == 2 && report.unfinished == 1 && report.deadLetters == 1, "\(report)")

        // What audits read stays: the summary, marked pruned, with its takeover counted and its end; the history is
        // refused in one sentence.
        for run in [done, failed] {
            await #expect { try await journal.records(for: run) } throws: {
                ($0 as? CairnError)?.code == .historyPruned && "\($0)".contains("its summary remains")
            }
        }
        #expect(try await journal.streamedEvents(for: done, from: 0, limit: 10).isEmpty)
        let summary = try #require(try await journal.summary(of: done))
        #expect(summary.prunedAt != nil && summary.status == .completed && summary.result == .string("done") && summary.resumes == 1)
        #expect(summary.input == .object(["sku": .string("Apple")]))
        let failure = try #require(try await journal.summary(of: failed))
        #expect(failure.prunedAt != nil && failure.status == .failed && failure.error?.code == .stepFailed)

        // The unfinished run, the one that finished after the cutoff and the dead letter are as they were.
        for run in untouched {
            #expect(try await journal.records(for: run).map(\.kindName) == before[run], "\(run)")
            #expect(try await journal.summary(of: run)?.prunedAt == nil, "\(run)")
        }
    }

    static func batchesWithProgress(_ journal: any PruningJournal & InspectableJournal) async throws {
        let runs = (0..<5).map { _ in RunID() }
        for (index, run) in runs.enumerated() {
            try await journal.append(SyntheticRun(run, at: Date(timeIntervalSince1970: 1_800_000_000 + Double(index))).completed(), for: run)
        }
        let seen = Mutex<[Int]>([])
        let report = try await journal.prune(finishedBefore: Date(timeIntervalSince1970: 1_900_000_000), batchSize: 2) { pruned in
            seen.withLock { $0.append(pruned) }
        }
        #expect(report.pruned == 5 && report.unfinished == 0 && report.deadLetters == 0)
        #expect(seen.withLock { $0 } == [2, 4, 5])
        #expect(try await journal.prune(finishedBefore: Date(timeIntervalSince1970: 1_900_000_000)).pruned == 0)
        for run in runs { #expect(try await journal.summary(of: run)?.prunedAt != nil) }
    }
}
