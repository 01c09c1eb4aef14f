import CairnTesting
import Foundation
import GRDB
import Testing

/// A monitor that continues as new: the chain in the journal, the same decisions as one long run, and
/// exactly one successor per run whatever the crash.
@Suite("Continue as new on the journal", .hangGuard)
struct ContinueAsNewCLITests {
    private static let input = #"{"sku": "Apple", "cycles": 7, "delayMs": 0, "seed": 5, "continueEvery": 3}"#

    /// The chain's runs from the first, by following `continued_from`; each with its status.
    private func chain(_ db: String, from first: String) throws -> [(id: String, status: String)] {
        try withJournalDatabase(db) { db in
            var runs: [(String, String)] = []
            var next: String? = first
            while let id = next, runs.count < 100_000 {
                runs.append((id, try String.fetchOne(db, sql: "SELECT status FROM run WHERE run_id = ?", arguments: [id]) ?? "?"))
                next = try String.fetchOne(db, sql: "SELECT run_id FROM run WHERE continued_from = ?", arguments: [id])
            }
            return runs
        }
    }

    /// Every ledger row's round and decision, in round order, and whether stock is the ledger's sum.
    private func ledger(_ db: String) throws -> [String] {
        try withJournalDatabase(db) { db in
            #expect(try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM stock WHERE quantity != (SELECT COALESCE(SUM(quantity), 0) FROM ledger_entry WHERE ledger_entry.sku = stock.sku)
                """) == 0)
            return try Row.fetchAll(db, sql: "SELECT round, decision FROM ledger_entry ORDER BY round").map { "\($0[0] as Int):\($0[1] as String)" }
        }
    }

    @Test("7 cycles continued every 3 run as three linked runs and decide as one seeded run of 7 does; resume of the first id finds the chain's end")
    func chainDecidesAsOneRun() async throws {
        let directory = try TemporaryDirectory()
        let single = directory.path("single.sqlite"), chained = directory.path("chained.sqlite")
        #expect(try await cairn(["run", "feedback-monitor", "--db", single,
                                 "--input", #"{"sku": "Apple", "cycles": 7, "delayMs": 0, "seed": 5}"#]).status == 0)
        let run = try await cairn(["--json", "run", "feedback-monitor", "--db", chained, "--input", Self.input])
        #expect(run.status == 0, "\(run.stderr)")
        let first = try #require(try withJournalDatabase(chained) {
            try String.fetchOne($0, sql: "SELECT run_id FROM run WHERE continued_from IS NULL")
        })
        let runs = try chain(chained, from: first)
        #expect(runs.map(\.status) == ["continued", "continued", "completed"])
        #expect(try run.runID() == runs.last?.id, "the outcome names the chain's last run")
        #expect(try ledger(chained) == ledger(single))
        #expect(try ledger(chained).count == 7)
        let shown = try await cairn(["show", runs[1].id, "--db", chained])
        #expect(shown.stdout.contains("continues    \(first)") && shown.stdout.contains("continued as \(runs[2].id)"), "\(shown.stdout)")
        let listed = try await cairn(["list", "--status", "continued", "--db", chained])
        #expect(listed.lines.count == 3, "a header and two continued runs: \(listed.stdout)")
        #expect(try await cairn(["db", "check", "--db", chained]).status == 0)
        let again = try await cairn(["resume", first, "--db", chained])
        #expect(again.stdout.contains("continued as") && again.stdout.contains("completed"), "\(again.stdout)\(again.stderr)")
    }

    @Test("killed at any commit of a continuing chain, resuming the first id finishes it: one successor per run, each round once, the same decisions")
    func crashAnywhereInTheChain() async throws {
        let directory = try TemporaryDirectory()
        let reference = directory.path("reference.sqlite")
        #expect(try await cairn(["run", "feedback-monitor", "--db", reference, "--input", Self.input]).status == 0)
        let expected = try ledger(reference)
        for point in ["before-commit", "after-commit"] {
            for count in stride(from: 5, through: 20, by: 3) {
                let crashed = try await BackgroundRun.crashed("feedback-monitor", input: Self.input, at: "\(point):\(count)")
                let resumed = try await cairn(["resume", crashed.id, "--db", crashed.db])
                #expect(resumed.status == 0, "\(point):\(count): \(resumed.stderr)")
                let runs = try chain(crashed.db, from: crashed.id)
                #expect(runs.map(\.status) == ["continued", "continued", "completed"], "\(point):\(count): \(runs)")
                #expect(try ledger(crashed.db) == expected, "\(point):\(count)")
                let all = try withJournalDatabase(crashed.db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run") }
                #expect(all == 3, "\(point):\(count): no run started twice")
            }
        }
    }

    @Test("cycles 0 runs for ever as a chain of bounded runs; Ctrl-C interrupts the run driven now and names it to resume")
    func forEver() async throws {
        let run = try await BackgroundRun.start(
            "feedback-monitor", input: #"{"sku": "Apple", "cycles": 0, "delayMs": 0, "continueEvery": 2}"#, journaled: 1)
        try await waitUntil("five runs of the chain exist") {
            try withJournalDatabase(run.db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run") ?? 0 } >= 5
        }
        run.process.signal(SIGINT)
        let result = await run.process.finish()
        #expect(result.status == 130, "\(result.stderr)")
        let runs = try chain(run.db, from: run.id)
        let resumeLine = try #require(result.lines.first { $0.hasPrefix("interrupted; resume it with: cairn resume ") }, "\(result.stdout)")
        let named = String(resumeLine.dropFirst("interrupted; resume it with: cairn resume ".count))
        #expect(named == runs.last?.id, "the line names the chain's unfinished run")
        #expect(runs.dropLast().allSatisfy { $0.status == "continued" } && runs.count >= 5)
        // No run's history grows with the chain: each holds two rounds' records, its start, end and interruption.
        let longest = try withJournalDatabase(run.db) {
            try Int.fetchOne($0, sql: "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM journal GROUP BY run_id)")
        }
        #expect((longest ?? 0) <= 20, "records of the longest run: \(longest ?? 0)")
        #expect(try await cairn(["db", "check", "--db", run.db]).status == 0)
    }
}
