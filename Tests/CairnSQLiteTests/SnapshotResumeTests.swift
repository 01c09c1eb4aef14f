import CairnTesting
import Foundation
import GRDB
import Testing

/// Snapshots on the journal: a resume starts from the latest one and reads only the records after it; one that
/// cannot be used is ignored, and `db check` recomputes each from the log.
@Suite("Snapshots on the journal", .hangGuard)
struct SnapshotResumeTests {
    private static let input = #"{"sku": "Apple", "cycles": 12, "delayMs": 0, "seed": 9}"#
    private static let snapshots = ["CAIRN_SNAPSHOT_EVERY": "5"]

    /// A monitor run killed in its ninth round, with snapshots every 5 commit records.
    private func crashedRun() async throws -> BackgroundRun {
        let run = try await BackgroundRun.crashed("feedback-monitor", input: Self.input, at: "in-side-effect:9", environment: Self.snapshots)
        let position = try withJournalDatabase(run.db) { try Int.fetchOne($0, sql: "SELECT position FROM snapshot") }
        try #require((position ?? 0) > 10, "no snapshot was left: \(String(describing: position))")
        return run
    }

    /// The decisions of an uninterrupted run with the same input.
    private func reference() async throws -> [String] {
        let directory = try TemporaryDirectory()
        let db = directory.path("ref.sqlite")
        #expect(try await cairn(["run", "feedback-monitor", "--db", db, "--input", Self.input]).status == 0)
        return try withJournalDatabase(db) { try String.fetchAll($0, sql: "SELECT decision FROM ledger_entry ORDER BY round") }
    }

    @Test("resume starts from the snapshot: it finishes the run though the log before the snapshot no longer decodes")
    func resumeReadsOnlyTheTail() async throws {
        let run = try await crashedRun()
        // A full rebuild would fail on this event; a resume from the snapshot never reads it.
        try await database(run.db).write { try $0.execute(sql: "UPDATE event SET payload = '{\"garbage\":' WHERE seq = 2") }
        let resumed = try await cairn(["resume", run.id, "--db", run.db], environment: Self.snapshots)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try checkJournal(run.db, run: run.id, cycles: 12) == (try await reference()))
    }

    @Test("a snapshot that cannot be read is ignored: resume reads the log whole, and db check says which run")
    func unreadableSnapshotIgnored() async throws {
        let run = try await crashedRun()
        try await database(run.db).write { try $0.execute(sql: "UPDATE snapshot SET state = x'7b2262726f6b656e'") }
        let check = try await cairn(["db", "check", "--db", run.db])
        #expect(check.status == 1 && check.stdout.contains("snapshot: run \(run.id): its snapshot cannot be used"), "\(check.stdout)")
        let resumed = try await cairn(["resume", run.id, "--db", run.db, "--log-level", "warning"], environment: Self.snapshots)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("could not be used"), "the fallback is logged: \(resumed.stderr)")
        #expect(try checkJournal(run.db, run: run.id, cycles: 12) == (try await reference()))
    }

    @Test("a snapshot that does not match its log is reported by db check, naming the run; sound snapshots pass")
    func mismatchReported() async throws {
        let run = try await crashedRun()
        #expect(try await cairn(["db", "check", "--db", run.db]).status == 0, "a snapshot of a crashed run matches its log")
        let state = try #require(try withJournalDatabase(run.db) { try Data.fetchOne($0, sql: "SELECT state FROM snapshot") })
        var object = try #require(try JSONSerialization.jsonObject(with: state) as? [String: Any])
        object["recoveries"] = 7
        let edited = try JSONSerialization.data(withJSONObject: object)
        try await database(run.db).write { try $0.execute(sql: "UPDATE snapshot SET state = ?", arguments: [edited]) }
        let check = try await cairn(["db", "check", "--db", run.db])
        #expect(check.status == 1 && check.stdout.contains("snapshot: run \(run.id): its snapshot does not match its log"), "\(check.stdout)")
    }
}
