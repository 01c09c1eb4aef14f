import Cairn
import CairnPostgres
import CairnTesting
import Foundation
import PostgresNIO
import PostgresTestSupport
import Testing

/// The PostgreSQL journal's group commit: the appends of every run a process drives share transactions, an append
/// that fails fails alone, and one taken after a failed one fails too without being written.
@Suite("PostgreSQL: group commit", .enabled(if: PostgresServer.url != nil, PostgresServer.skipReason), .hangGuard)
struct PostgresGroupCommitTests {
    @Test("appends of two runs queued while a transaction runs commit together; one for an unknown run fails alone, and one taken after it fails unwritten")
    func failingAppendAmongOthers() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let journal = try await PostgresJournal.open(location, leaseTTL: .seconds(600))
            defer { Task { await journal.close() } }
            let (first, second) = (RunID(), RunID())
            for run in [first, second] { try await journal.append(PostgresLockOrderTests.started(run), for: run) }
            let resumed = JournalRecord.runResumed(RunResumed(at: Date()))
            let before = journal.transactionsCommitted
            try await PostgresServer.admin(location) { admin in
                // The first group transaction stops at the journal table; what is taken meanwhile waits for the next one.
                try await admin.query("BEGIN", logger: PostgresServer.logger)
                try await admin.query("LOCK TABLE journal IN SHARE MODE", logger: PostgresServer.logger)
                let blocked = journal.appendPipelined([resumed], for: first, after: nil)
                try await PostgresLockOrderTests.waitForLockWaiters(1, on: location)
                let landing = journal.appendPipelined([resumed], for: first, after: blocked)
                let failing = journal.appendPipelined([resumed], for: RunID(), after: nil)
                let dependent = journal.appendPipelined([resumed], for: second, after: failing)
                let alongside = journal.appendPipelined([resumed], for: second, after: nil)
                try await admin.query("COMMIT", logger: PostgresServer.logger)
                for append in [blocked, landing, alongside] { try await append.durable() }
                await #expect { try await failing.durable() } throws: { ($0 as? CairnError)?.code == .runNotFound }
                await #expect { try await dependent.durable() } throws: { ($0 as? CairnError)?.code == .runNotFound }
            }
            #expect(try await journal.records(for: first).count == 3)
            #expect(try await journal.records(for: second).count == 2, "the append taken after the failed one was written")
            #expect(journal.transactionsCommitted - before == 2, "the appends queued together did not share a transaction")
        }
    }
}
