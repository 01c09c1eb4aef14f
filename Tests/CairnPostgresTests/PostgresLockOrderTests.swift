import Cairn
import CairnPostgres
import CairnTesting
import Foundation
import PostgresNIO
import PostgresTestSupport
import Synchronization
import Testing

/// Transactions that touch the same run take its locks in one order — the run's row, then its lease — so two
/// workers racing for a run never deadlock (PostgreSQL would abort one of them, and the loser's step would fail).
/// Each test freezes the race at its worst interleaving with a third transaction that holds the journal table, then
/// lets go and checks that both sides finish.
@Suite("PostgreSQL: lock order", .enabled(if: PostgresServer.url != nil, PostgresServer.skipReason), .hangGuard)
struct PostgresLockOrderTests {
    @Test("an owner appending after its lease ran out and a worker claiming that run: no deadlock, the append lands, the claim waits its turn")
    func appendAndClaim() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let owner = try await PostgresJournal.open(location, leaseTTL: .seconds(600), owner: "owner")
            let claimer = try await PostgresJournal.open(location, leaseTTL: .seconds(600), owner: "claimer")
            defer { Task { await owner.close(); await claimer.close() } }
            let run = RunID()
            try await owner.append(Self.started(run), for: run)
            try await PostgresServer.admin(location) { admin in
                try await admin.query("UPDATE lease SET expires_at = now() - interval '1 second'", logger: PostgresServer.logger)
                // The append stops at the journal table, holding what it locked before it.
                try await admin.query("BEGIN", logger: PostgresServer.logger)
                try await admin.query("LOCK TABLE journal IN SHARE MODE", logger: PostgresServer.logger)
                let append = Task { try await owner.append([.runResumed(RunResumed(at: Date()))], for: run) }
                try await Self.waitForLockWaiters(1, on: location)
                // The claim runs while the append is in flight: it must pass the run by, or wait behind the append —
                // never hold what the append needs next.
                let claimed = Atomic(false)
                let claim = Task {
                    defer { claimed.store(true, ordering: .sequentiallyConsistent) }
                    return try await claimer.claimableRuns(limit: 10, workflows: ["a"], excluding: [])
                }
                try await Self.waitUntil(on: location) { waiters in waiters >= 2 || claimed.load(ordering: .sequentiallyConsistent) }
                try await admin.query("COMMIT", logger: PostgresServer.logger)
                try await append.value
                #expect(try await claim.value.runs.isEmpty, "the run was being appended to, so the claim passes it by")
            }
            // Afterwards the lease is still expired: the next claim takes the run over at the next epoch, fencing the owner.
            #expect(try await claimer.claimableRuns(limit: 10, workflows: ["a"], excluding: []).runs.map(\.runID) == [run])
            await #expect { try await owner.append([.runResumed(RunResumed(at: Date()))], for: run) } throws: {
                ($0 as? CairnError)?.code == .leaseLost
            }
        }
    }

    static func started(_ run: RunID, accepts: [String] = []) -> [JournalRecord] {
        let start = JournaledEvent(seq: 1, name: "cairn.start", payload: Data(#"{"input":{}}"#.utf8), executionID: nil, value: nil)
        return [.runStarted(RunStarted(runID: run, workflow: "a", fingerprint: "f", shape: "s", version: nil, seed: nil, deadline: nil,
                                       at: Date(), start: start, accepts: accepts))]
    }

    /// Waits until at least `count` of the journal's sessions wait for a lock.
    static func waitForLockWaiters(_ count: Int, on location: PostgresLocation) async throws {
        try await waitUntil(on: location) { $0 >= count }
    }

    /// Polls the server's view of its sessions until `done` says so for the number waiting on a lock (bounded by the
    /// suite's time limit): the interleaving is observed, not guessed with a delay.
    static func waitUntil(on location: PostgresLocation, _ done: (Int) -> Bool) async throws {
        try await PostgresServer.admin(location) { watcher in
            while true {
                let waiting = try await watcher.query("""
                    SELECT count(*)::bigint FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """, logger: PostgresServer.logger).decode(Int.self).reduce(into: 0) { $0 += $1 }
                if done(waiting) { return }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}

extension PostgresLockOrderTests {
    @Test("two commits that send to each other's runs at once: the one PostgreSQL aborts as the deadlock's victim runs again, both land")
    func crossingSends() async throws {
        try await PostgresServer.withFreshDatabase { location in
            // Two workers, each driving one of the runs: one journal puts its appends in one transaction.
            let journals = [try await PostgresJournal.open(location, leaseTTL: .seconds(600)), try await PostgresJournal.open(location, leaseTTL: .seconds(600))]
            defer { Task { for journal in journals { await journal.close() } } }
            let runs = [RunID(), RunID()]
            for (journal, run) in zip(journals, runs) { try await journal.append(Self.started(run, accepts: ["ping"]), for: run) }
            try await PostgresServer.admin(location) { admin in
                // Both appends lock their own run, then stop at the journal table; let go, each locks the other's run to send.
                try await admin.query("BEGIN", logger: PostgresServer.logger)
                try await admin.query("LOCK TABLE journal IN SHARE MODE", logger: PostgresServer.logger)
                let sends = [(journals[0], runs[0], runs[1]), (journals[1], runs[1], runs[0])].map { journal, from, to in
                    Task { try await journal.append([Self.pinged(to, key: "\(from)")], for: from) }
                }
                try await Self.waitForLockWaiters(2, on: location)
                try await admin.query("COMMIT", logger: PostgresServer.logger)
                for send in sends { try await send.value }
            }
            for run in runs {
                #expect(try await journals[0].inbox(of: run, after: 0).map(\.name) == ["ping"])
                #expect(try await journals[0].records(for: run).map(\.kindName) == ["runStarted", "executionFinished"])
            }
        }
    }

    /// A finished execution that sends `ping` to `target`.
    static func pinged(_ target: RunID, key: String) -> JournalRecord {
        .executionFinished(ExecutionFinished(
            executionID: 1, step: "only", attempt: 1, triggers: [("cairn.start", 1)], outcome: .completed, emitted: [], streamed: [],
            storeWrites: [], recorded: [], effects: [], startedAt: Date(), at: Date(),
            messages: [RunMessage(target: target, name: "ping", payload: Data("{}".utf8), key: key)]))
    }
}
