import Cairn
import CairnTesting
import Foundation
import GRDB
import Testing

/// A run whose journal cannot be rebuilt is a dead letter: journaled `failed` (code `unrebuildable`) once,
/// naming the record at fault, reported once by `resume --all`, listed by `db check`, and reopened by a
/// fixed binary with `resume --retry-broken`.
@Suite("Dead letters", .hangGuard)
struct DeadLetterTests {
    /// Ways a journal can hold what this binary cannot rebuild, made by editing a killed run's journal.
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case undecodablePayload = "an event payload that does not decode"
        case unknownEvent = "an event name the workflow does not know"
        case finishWithoutStart = "an execution that finished without starting"
        case noRecords = "a run row with no records"

        var testDescription: String { rawValue }

        var sql: String {
            switch self {
            case .undecodablePayload: "UPDATE event SET payload = '{\"sku\": 42, \"round\": 1}' WHERE run_id = ?1 AND seq = 2"
            case .unknownEvent: "UPDATE event SET name = 'inventory.no-such-event' WHERE run_id = ?1 AND seq = 2"
            case .finishWithoutStart: "DELETE FROM journal WHERE run_id = ?1 AND kind = 'execution_started' AND execution_id = 2"
            case .noRecords: "DELETE FROM journal WHERE run_id = ?1"
            }
        }

        var reason: String {
            switch self {
            case .undecodablePayload: "seq 2: its event 'inventory.get-feedback' does not decode"
            case .unknownEvent: "inventory.no-such-event"
            case .finishWithoutStart: "cannot be rebuilt at its journal record"
            case .noRecords: "does not begin with its start"
            }
        }
    }

    /// A feedback monitor killed at its sixth commit, its lease released (as if it had expired).
    func killedRun() async throws -> BackgroundRun {
        let run = try await BackgroundRun.crashed("feedback-monitor", input: #"{"sku": "Apple", "cycles": 12, "delayMs": 10}"#, at: "after-commit:6")
        try await database(run.db).write { try $0.execute(sql: "UPDATE lease SET expires_at = 0") }
        return run
    }

    func journalEnds(_ db: String, _ run: String) throws -> Int {
        try withJournalDatabase(db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM journal WHERE run_id = ? AND kind = 'run_finished'", arguments: [run]) ?? -1 }
    }

    @Test(arguments: Damage.allCases)
    func deadLetter(_ damage: Damage) async throws {
        let run = try await killedRun()
        try await database(run.db).write { try $0.execute(sql: damage.sql, arguments: [run.id]) }
        let all = try await cairn(["resume", "--all", "--db", run.db])
        #expect(all.status == 0, "\(all.stdout)\(all.stderr)")
        #expect(all.stdout.contains("\(run.id)  failed") && all.stdout.contains(damage.reason), "\(all.stdout)")
        #expect(try journalEnds(run.db, run.id) == 1)
        // Reported once: the next start-up has nothing to resume, and nothing more is journaled.
        let again = try await cairn(["resume", "--all", "--db", run.db])
        #expect(again.status == 0 && again.stdout.contains("no unfinished runs"), "\(again.stdout)")
        let explicit = try await cairn(["resume", run.id, "--db", run.db])
        #expect(explicit.status == 1 && explicit.stderr.contains(damage.reason), "\(explicit.stderr)")
        #expect(try journalEnds(run.db, run.id) == 1)
        let shown = try await cairn(["show", run.id, "--db", run.db, "--json"])
        let error = (jsonObject(shown.stdout)["run"] as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "unrebuildable" && (error?["message"] as? String)?.contains("--retry-broken") == true, "\(shown.stdout)")
        let check = try await cairn(["db", "check", "--db", run.db])
        #expect(check.status == 1 && check.stdout.contains("run rebuild: run \(run.id)") && check.stdout.contains(damage.reason), "\(check.stdout)")
    }

    @Test("a dead letter whose cause is fixed is reopened by resume --retry-broken and finishes exactly once")
    func retryBroken() async throws {
        let run = try await killedRun()
        let original = try withJournalDatabase(run.db) {
            try String.fetchOne($0, sql: "SELECT payload FROM event WHERE run_id = ? AND seq = 2", arguments: [run.id])
        }
        try await database(run.db).write { try $0.execute(sql: Damage.undecodablePayload.sql, arguments: [run.id]) }
        #expect(try await cairn(["resume", run.id, "--db", run.db]).status == 1)
        let unfixed = try await cairn(["resume", run.id, "--retry-broken", "--db", run.db])
        #expect(unfixed.status == 1 && unfixed.stderr.contains("does not decode"), "\(unfixed.stderr)")
        // The fix (here: the payload as it was; in life, a binary that decodes it).
        try await database(run.db).write {
            try $0.execute(sql: "UPDATE event SET payload = ? WHERE run_id = ? AND seq = 2", arguments: [original, run.id])
        }
        let reopened = try await cairn(["resume", run.id, "--retry-broken", "--db", run.db, "--json"])
        #expect(reopened.status == 0, "\(reopened.stderr)")
        try checkJournal(run.db, run: run.id, cycles: 12)
        #expect(try await cairn(["db", "check", "--db", run.db]).status == 0)
    }
}
