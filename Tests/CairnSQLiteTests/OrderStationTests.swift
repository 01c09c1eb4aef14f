import Cairn
import CairnInventory
import CairnTesting
import Foundation
import GRDB
import Testing

/// The article's scenario made real, with real processes: `modular-feedback-monitor` publishes a trade request per
/// decision, an `order-station` run starts on each and writes the ledger row. SIGKILL between the publishing commit
/// and the station's start, or while the station waits for approval; afterwards exactly one station run per
/// published request, one ledger row per decision, the same decisions as an uninterrupted run with the seed, and
/// `audit` names the chain monitor run → published event → station run → ledger entry.
@Suite("The order station", .hangGuard)
struct OrderStationTests {
    private static let input = #"{"sku": "Apple", "cycles": 3, "delayMs": 0, "seed": 7}"#

    /// Published trade requests, station runs and ledger rows of the monitor run `id`, and whether each
    /// published event started exactly one station run that wrote exactly one row.
    private func chain(_ path: String, monitor id: String) throws -> (published: Int, stations: Int, rows: Int, oneEach: Bool) {
        try withJournalDatabase(path) { db in
            let published = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE run_id = ? AND published = 1", arguments: [id]) ?? -1
            let stations = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE parent_run_id = ? AND workflow = 'order-station'",
                                            arguments: [id]) ?? -1
            let rows = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM ledger_entry JOIN run USING (run_id) WHERE run.parent_run_id = ?
                """, arguments: [id]) ?? -1
            let perEvent = try Int.fetchAll(db, sql: """
                SELECT (SELECT COUNT(*) FROM run WHERE run.parent_run_id = e.run_id AND run.published_seq = e.seq)
                     * (SELECT COUNT(*) FROM ledger_entry JOIN run USING (run_id) WHERE run.parent_run_id = e.run_id AND run.published_seq = e.seq)
                FROM events AS e WHERE e.run_id = ? AND e.published = 1
                """, arguments: [id])
            return (published, stations, rows, perEvent.allSatisfy { $0 == 1 })
        }
    }

    /// The decisions of the ledger rows the monitor's stations wrote, in round order.
    private func decisions(_ path: String, monitor id: String) throws -> [String] {
        try withJournalDatabase(path) { db in
            try String.fetchAll(db, sql: """
                SELECT decision FROM ledger_entry JOIN run USING (run_id) WHERE run.parent_run_id = ? ORDER BY round
                """, arguments: [id])
        }
    }

    /// `cairn send RUN inventory.approval`, with a key: a repeat delivers nothing more.
    private func approve(_ run: String, by person: String, db path: String) async throws -> ProcessResult {
        try await cairn(["send", run, "inventory.approval", "--payload", #"{"approved": true, "by": "\#(person)"}"#, "--key", "approve",
                         "--db", path])
    }

    private func reference() async throws -> [String] {
        let report = try await Engine().run(ComplexFeedbackMonitor(), input: MonitorInput(sku: "Apple", cycles: 3, delayMs: 0, seed: 7))
        return report.decisions.map { $0.decision == .good ? "order" : "clear" }
    }

    @Test("an uninterrupted run: each decision published once, carried out by its own station run, and audit shows the chain")
    func chainAudited() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("chain.sqlite")
        let run = try await cairn(["run", "modular-feedback-monitor", "--db", path, "--input", Self.input, "--json"])
        let id = try run.runID()
        let chain = try chain(path, monitor: id)
        #expect(chain.published == 3 && chain.stations == 3 && chain.rows == 3 && chain.oneEach, "\(chain)")
        #expect(try decisions(path, monitor: id) == (try await reference()))
        let audit = try await cairn(["audit", "Apple", "--db", path, "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 3 && rows.allSatisfy {
            $0["askedByRun"] as? String == id && $0["askedByWorkflow"] as? String == "modular-feedback-monitor"
                && $0["requestEvent"] as? String == "inventory.trade-request" && $0["workflow"] as? String == "order-station"
        }, "\(audit.stdout)")
        let text = try await cairn(["audit", "Apple", "--db", path])
        #expect(text.stdout.contains("asked by run \(id) (modular-feedback-monitor), which published inventory.trade-request seq 9"), "\(text.stdout)")
        let listed = try await cairn(["list", "--parent", id, "--db", path, "--json"])
        let children = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(children.count == 3 && children.allSatisfy { $0["status"] as? String == "completed" })
        #expect(try await cairn(["db", "check", "--db", path]).status == 0)
        let shown = try await cairn(["show", id, "--db", path])
        #expect(shown.stdout.contains("inventory.trade-request#9 (published)") && shown.stdout.contains("order-station (completed)"), "\(shown.stdout)")
        let drawn = try await cairn(["draw", "--run", id, "--db", path])
        #expect(drawn.stdout.contains(#"runs_order_station(["run: order-station ×3 (3 completed)"])"#)
            && drawn.stdout.contains("step_trade -->|publishes inventory.trade-request| runs_order_station"), "\(drawn.stdout)")
        let first = try #require(children.first?["runId"] as? String)
        let station = try await cairn(["show", first, "--db", path])
        #expect(station.stdout.contains("started by   \(id), execution ") && station.stdout.contains(", on its publication seq "), "\(station.stdout)")
    }

    @Test("SIGKILL between a publishing commit and the station's start: resume and a worker finish it, one station run per request",
          arguments: ["before-start-runs:1", "before-start-runs:2", "before-start-runs:3"])
    func publisherKilledBeforeTheStationStarts(_ point: String) async throws {
        let run = try await BackgroundRun.crashed("modular-feedback-monitor", input: Self.input, at: point)
        let resumed = try await cairn(["resume", run.id, "--db", run.db])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let worker = try spawnCairn(["worker", "--db", run.db, "--poll", "0.05"])
        try await waitUntil("every station run ended") {
            try withJournalDatabase(run.db) { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE parent_run_id = ? AND status != 'completed'", arguments: [run.id]) == 0
            }
        }
        worker.signal(SIGTERM)
        #expect(await worker.finish().status == 0)
        let chain = try chain(run.db, monitor: run.id)
        #expect(chain.published == 3 && chain.stations == 3 && chain.rows == 3 && chain.oneEach, "\(chain)")
        #expect(try decisions(run.db, monitor: run.id) == (try await reference()))
        #expect(try await cairn(["db", "check", "--db", run.db]).status == 0)
    }

    @Test("SIGKILL while a station waits for approval: the approval sent meanwhile reaches it through a worker, one ledger row")
    func stationKilledWhileItWaits() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("approve.sqlite")
        let id = RunID().description
        let input = #"{"sku": "Apple", "cycles": 3, "delayMs": 0, "seed": 7, "approveOver": 5}"#
        let owner = try spawnCairn(["run", "modular-feedback-monitor", "--db", path, "--id", id, "--input", input])
        #expect(await owner.stderrShows("cairn send "))
        owner.signal(SIGKILL)
        _ = await owner.finish()
        let waiting = try withJournalDatabase(path) { db in
            try String.fetchAll(db, sql: "SELECT run_id FROM runs WHERE parent_run_id = ? AND status = 'waiting'", arguments: [id])
        }
        let station = try #require(waiting.first, "a station waits for approval")
        #expect(try await approve(station, by: "ada", db: path).status == 0)
        // The monitor and the stations it had not started yet are interrupted; the worker takes all of them.
        let worker = try spawnCairn(["worker", "--db", path, "--poll", "0.05"])
        try await waitUntil("the approved station completed") {
            try withJournalDatabase(path) { try String.fetchOne($0, sql: "SELECT status FROM run WHERE run_id = ?", arguments: [station]) } == "completed"
        }
        try await waitUntil("the monitor completed") {
            try withJournalDatabase(path) { try String.fetchOne($0, sql: "SELECT status FROM run WHERE run_id = ?", arguments: [id]) } == "completed"
        }
        // Every later order waits for a person too: approve each as it comes (the key makes a repeat a no-op).
        var unfinished = Int.max
        for _ in 0..<300 where unfinished > 0 {
            let open = try withJournalDatabase(path) { db in
                try String.fetchAll(db, sql: "SELECT run_id FROM runs WHERE parent_run_id = ? AND status = 'waiting'", arguments: [id])
            }
            for run in open { _ = try await approve(run, by: "bo", db: path) }
            unfinished = try withJournalDatabase(path) { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE parent_run_id = ? AND status != 'completed'", arguments: [id]) ?? 0
            }
            if unfinished > 0 { try await Task.sleep(for: .milliseconds(50)) }  // polls, as waitUntil does
        }
        #expect(unfinished == 0)
        worker.signal(SIGTERM)
        #expect(await worker.finish().status == 0)
        let approved = try withJournalDatabase(path) { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_entry WHERE run_id = ? AND approved_by = 'ada'", arguments: [station])
        }
        #expect(approved == 1)
        // Replay re-executes the station's step with the journaled answer to its wait (it once reported a divergence).
        let replayed = try await cairn(["replay", station, "--check", "--db", path])
        #expect(replayed.status == 0, "\(replayed.stdout)\(replayed.stderr)")
        let chain = try chain(path, monitor: id)
        #expect(chain.published == 3 && chain.stations == 3 && chain.rows == 3 && chain.oneEach, "\(chain)")
    }
}
