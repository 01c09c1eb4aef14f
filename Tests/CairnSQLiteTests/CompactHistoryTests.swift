import CairnTesting
import Foundation
import GRDB
import Testing

/// A looping run's journal grows with its rounds, not with their square; a long result stays readable.
@Suite("Compact history", .hangGuard)
struct CompactHistoryTests {
    /// Journal bytes of a seeded `feedback-monitor` run of `cycles` rounds: every record's payload, by table.
    private func journalBytes(cycles: Int, in directory: TemporaryDirectory) async throws -> (store: Int, all: Int) {
        let db = directory.path("j\(cycles).sqlite")
        let run = try await cairn(["run", "feedback-monitor", "--db", db, "--input", #"{"sku": "Apple", "cycles": \#(cycles), "delayMs": 0, "seed": 7}"#])
        #expect(run.status == 0, "\(run.stderr)")
        return try withJournalDatabase(db) { db in
            let store = try Int.fetchOne(db, sql: "SELECT SUM(LENGTH(key) + LENGTH(value)) FROM store_write") ?? 0
            let events = try Int.fetchOne(db, sql: "SELECT SUM(LENGTH(payload)) FROM event") ?? 0
            let stream = try Int.fetchOne(db, sql: "SELECT SUM(LENGTH(payload)) FROM stream_event") ?? 0
            return (store, store + events + stream)
        }
    }

    @Test("a monitor round journals its own decision, not every decision so far: 40 rounds write about 4× what 10 do")
    func storeWritesGrowLinearly() async throws {
        let directory = try TemporaryDirectory()
        let ten = try await journalBytes(cycles: 10, in: directory)
        let forty = try await journalBytes(cycles: 40, in: directory)
        // A whole-array rewrite per round made the store's bytes grow with the square of the rounds (×16 here).
        #expect(Double(forty.store) <= 4.4 * Double(ten.store), "store bytes: \(ten.store) for 10 rounds, \(forty.store) for 40")
        // The result lists every decision once, so the whole journal may grow a little faster than the rounds.
        #expect(Double(forty.all) <= 4.6 * Double(ten.all), "journal bytes: \(ten.all) for 10 rounds, \(forty.all) for 40")
    }

    @Test("run and show print a long result abbreviated, saying how long it is; --json prints it whole")
    func longResultAbbreviated() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let run = try await cairn(["run", "feedback-monitor", "--db", db, "--input", #"{"sku": "Apple", "cycles": 30, "delayMs": 0, "seed": 7}"#])
        #expect(run.status == 0, "\(run.stderr)")
        let resultLine = try #require(run.lines.first { $0.hasPrefix("result: ") })
        #expect(resultLine.contains("characters; --json prints it whole)") && resultLine.count < 400, "\(resultLine)")
        let id = try #require(try withJournalDatabase(db) { try String.fetchOne($0, sql: "SELECT run_id FROM run") })
        let shown = try await cairn(["show", id, "--db", db])
        #expect(shown.lines.contains { $0.hasPrefix("  result ") && $0.contains("--json prints it whole") }, "\(shown.stdout)")
        let json = try await cairn(["--json", "show", id, "--db", db])
        let summary = try #require(jsonObject(json.stdout)["run"] as? [String: Any])
        let result = try #require(summary["result"] as? [String: Any])
        #expect((result["decisions"] as? [Any])?.count == 30)
    }
}
