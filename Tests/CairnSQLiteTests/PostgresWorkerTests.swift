import Cairn
import CairnInventory
import CairnPostgres
import CairnTesting
import Foundation
import PostgresNIO
import PostgresTestSupport
import Testing

/// `cairn worker` and `cairn db copy` on a PostgreSQL journal, with real processes: a run killed mid-way (SIGKILL at
/// a chosen commit) is claimed by one of two workers once its lease expires, fenced at a higher epoch, and completes
/// with every decision once — in the journal and in the ledger, which the run's commits wrote on the same server; an
/// SQLite journal copied over is whole, and a worker there finishes what had not ended.
@Suite("PostgreSQL: workers and copies", .enabled(if: PostgresServer.url != nil, PostgresServer.skipReason), .hangGuard)
struct PostgresWorkerTests {
    @Test("a run killed mid-way is claimed by one of two workers at a higher epoch and completes, each decision once in the ledger")
    func killedRunIsClaimed() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (url, password) = Self.url(of: location)
            let id = RunID().description
            let input = #"{"sku": "Apple", "cycles": 4, "delayMs": 200, "seed": 5}"#
            let crashed = try spawnCairn(["run", "complex-feedback-monitor", "--db", url, "--id", id, "--input", input, "--lease-ttl", "2"],
                                         environment: ["PGPASSWORD": password, "CAIRN_CRASH_AT": "after-commit:6"])
            let killed = await crashed.finish()
            #expect(killed.killedBySignal, "\(killed.stderr)")

            let workers = try (0..<2).map { _ in
                try spawnCairn(["worker", "--db", url, "--lease-ttl", "2", "--poll", "0.2"], environment: ["PGPASSWORD": password])
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while try await Self.status(of: id, in: location) != "completed", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))  // polling the journal for the workers' outcome
            }
            for worker in workers { worker.signal(SIGTERM) }
            for worker in workers {
                let stopped = await worker.finish()
                #expect(stopped.status == 0, "\(stopped.stderr)")
            }
            #expect(try await Self.status(of: id, in: location) == "completed")

            let history = try await Self.history(of: id, in: location)
            #expect(history.decisions == (try await CrashTests().referenceDecisions("complex-feedback-monitor", cycles: 4, seed: 5)))
            #expect(history.reruns == 0)
            #expect(!history.takeovers.isEmpty && history.takeovers.allSatisfy { $0 >= 2 }, "takeovers at epochs \(history.takeovers)")
        }
    }

    @Test("the server going away mid-run: the worker says so and reconnects with backoff; once it is back, every run completes, each decision once")
    func serverGoesAway() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (url, password) = Self.url(of: location)
            let input = #"{"sku": "Apple", "cycles": 6, "delayMs": 150, "seed": 8}"#
            let ids = [RunID().description, RunID().description]
            for id in ids {
                let queued = try await cairn(["run", "complex-feedback-monitor", "--detach", "--id", id, "--db", url, "--input", input],
                                             environment: ["PGPASSWORD": password])
                #expect(queued.status == 0, "\(queued.stderr)")
            }
            let worker = try spawnCairn(["worker", "--db", url, "--lease-ttl", "2", "--poll", "0.2"], environment: ["PGPASSWORD": password])
            // Both runs have committed steps and have more to go when the server stops answering.
            let deadline = ContinuousClock.now + .seconds(60)
            while try await Self.finishedExecutions(in: location) < 4, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))  // polling the journal for the worker's progress
            }
            // Bounds, not synchronisation: a worker that never says so, or never stops, is ended and the test fails.
            let silent = Task { try await Task.sleep(for: .seconds(60)); worker.signal(SIGTERM) }
            // Away past the lease's 2 s, while the runs' commits wait for a connection.
            let lost = try await PostgresServer.unreachable(location) {
                await worker.stderrUntil("is not currently accepting connections); trying again in 3.2 seconds")
            }
            #expect(lost != nil, "the worker did not say it lost the server")
            let back = await worker.stderrUntil("the journal's server answers again")
            silent.cancel()
            #expect(back != nil, "the worker did not say the server is back")
            while try await Self.statuses(of: ids, in: location).contains(where: { $0 != "completed" }), ContinuousClock.now < deadline + .seconds(60) {
                try await Task.sleep(for: .milliseconds(100))  // polling the journal for the worker's outcome
            }
            worker.signal(SIGTERM)
            let stuck = Task { try await Task.sleep(for: .seconds(30)); worker.signal(SIGKILL) }
            let stopped = await worker.finish()
            stuck.cancel()
            #expect(stopped.status == 0, "\(stopped.stderr)")
            let said = (lost ?? "") + (back ?? "") + stopped.stderr
            #expect(!said.contains("another process took run"), "the worker fenced a run it was driving itself: \(said)")
            #expect(try await Self.statuses(of: ids, in: location) == ["completed", "completed"], "the worker said: \(said)")
            for id in ids {
                let history = try await Self.history(of: id, in: location)
                #expect(history.decisions == (try await CrashTests().referenceDecisions("complex-feedback-monitor", cycles: 6, seed: 8)))
                #expect(history.reruns == 0)
            }
        }
    }

    @Test("db copy moves every run, record, inbox row and ledger row into an empty PostgreSQL journal, the file untouched; a worker there finishes what had not ended")
    func copyThenFinish() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (url, password) = Self.url(of: location)
            let directory = try TemporaryDirectory()
            let db = directory.path("src.sqlite")
            let done = try await cairn(["run", "feedback-monitor", "--db", db, "--input", #"{"sku": "Apple", "cycles": 2, "delayMs": 0, "seed": 3}"#])
            #expect(done.status == 0, "\(done.stderr)")
            let waitID = try await Self.waitingRunWithAnswer(in: db)
            // A run killed mid-way.
            let crashID = RunID().description
            let crashed = try spawnCairn(["run", "complex-feedback-monitor", "--db", db, "--id", crashID, "--lease-ttl", "1",
                                          "--input", #"{"sku": "Fig", "cycles": 4, "delayMs": 0, "seed": 5}"#], environment: ["CAIRN_CRASH_AT": "after-commit:6"])
            #expect(await crashed.finish().killedBySignal)
            let files = [db, db + "-wal"].filter { FileManager.default.fileExists(atPath: $0) }
            let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }

            let copy = try await cairn(["db", "copy", "--from", db, "--to", url, "--json"], environment: ["PGPASSWORD": password])
            #expect(copy.status == 0, "\(copy.stderr)")
            let report = JSONValue(json: Data(copy.stdout.utf8))
            #expect(report?["runs"] == .integer(3) && report?["inboxRows"] == .integer(1) && report?["runsChecked"] == .integer(3), "\(copy.stdout)")
            guard case .integer(let tablesChecked)? = report?["tablesChecked"] else {
                Issue.record("no tablesChecked: \(copy.stdout)")
                return
            }
            #expect(tablesChecked >= 9 && report?["tables"]?["ledger_entry"] != nil, "\(copy.stdout)")
            #expect(try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before, "the copy changed the file it read")
            let again = try await cairn(["db", "copy", "--from", db, "--to", url], environment: ["PGPASSWORD": password])
            #expect(again.status == 65 && again.stderr.contains("holds 3 run(s) already"), "\(again.stderr)")

            let worker = try spawnCairn(["worker", "--db", url, "--poll", "0.2"], environment: ["PGPASSWORD": password])
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let statuses = [try await Self.status(of: waitID, in: location), try await Self.status(of: crashID, in: location)]
                if statuses.allSatisfy({ $0 == "completed" }) { break }
                try await Task.sleep(for: .milliseconds(100))  // polling the journal for the worker's outcome
            }
            worker.signal(SIGTERM)
            #expect(await worker.finish().status == 0)
            let ledger = try await PostgresServer.admin(location) { connection in
                try await connection.query("SELECT run_id, decision, COALESCE(approved_by, '') FROM ledger_entry ORDER BY entry_id",
                                           logger: PostgresServer.logger)
                    .decode((String, String, String).self).reduce(into: [(String, String, String)]()) { $0.append($1) }
            }
            #expect(ledger.filter { $0.0 == waitID }.map { "\($0.1) \($0.2)" } == ["order ada"])
            #expect(ledger.filter { $0.0 == crashID }.map(\.1) == (try await CrashTests().referenceDecisions("complex-feedback-monitor", cycles: 4, seed: 5)))
        }
    }

    @Test("a claim takes no more runs than asked, and none of a workflow the worker lacks (their leases would stand unused)")
    func claimsOnlyWhatItDrives() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let journal = try await PostgresJournal.open(location, domains: InventoryPostgresMigrations.all)
            let hello = WorkflowRegistration(HelloWorkflow()), monitor = WorkflowRegistration(FeedbackMonitor())
            for _ in 0..<3 { try await journal.enqueue(try hello.queued(Data("{}".utf8), RunID(), Date())) }
            let other = RunID()
            try await journal.enqueue(try monitor.queued(Data(#"{"sku": "Apple"}"#.utf8), other, Date()))
            let claimed = try await journal.claimableRuns(limit: 1, workflows: ["hello"], excluding: [])
            #expect(claimed.runs.count == 1 && claimed.runs.allSatisfy { $0.workflow == "hello" })
            let leased = try await PostgresServer.admin(location) { connection in
                try await connection.query("SELECT run_id FROM lease WHERE expires_at > now()", logger: PostgresServer.logger)
                    .decode(UUID.self).reduce(into: [UUID]()) { $0.append($1) }
            }
            #expect(leased.map(RunID.init) == claimed.runs.map(\.runID), "only the run claimed is leased")
            #expect(try await journal.claimableRuns(limit: 10, workflows: ["hello"], excluding: []).runs.count == 2, "the other two, and never the monitor")
            await journal.close()
        }
    }

    /// A run in the SQLite journal at `db` waiting for approval, interrupted, the answer in its inbox and not yet journaled.
    static func waitingRunWithAnswer(in db: String) async throws -> String {
        let id = RunID().description
        let waiting = try spawnCairn(["run", "feedback-monitor", "--db", db, "--id", id,
                                      "--input", #"{"sku": "Pear", "cycles": 1, "delayMs": 0, "seed": 7, "approveOver": 5}"#])
        #expect(await waiting.stderrUntil("is waiting for step") != nil)
        waiting.signal(SIGINT)
        _ = await waiting.finish()
        let sent = try await cairn(["send", id, "inventory.approval", "--payload", #"{"approved": true, "by": "ada"}"#, "--db", db])
        #expect(sent.status == 0, "\(sent.stderr)")
        return id
    }

    /// The URL children get (no password in it) and the password they get from PGPASSWORD.
    static func url(of location: PostgresLocation) -> (url: String, password: String) {
        ("postgres://\(location.user)@\(location.host):\(location.port)/\(location.database)", URLComponents(string: PostgresServer.url ?? "")?.password ?? "")
    }

    /// A run's ledger decisions, how many committed executions ran again (none may), and the epochs it was taken over at.
    static func history(of id: String, in location: PostgresLocation) async throws -> (decisions: [String], reruns: Int, takeovers: [Int]) {
        let run = UUID(uuidString: id)!
        return try await PostgresServer.admin(location) { connection in
            let decisions = try await connection.query(
                "SELECT decision FROM ledger_entry WHERE run_id = \(id) ORDER BY entry_id", logger: PostgresServer.logger)
                .decode(String.self).reduce(into: [String]()) { $0.append($1) }
            // A committed execution never ran again: no attempt started after its completion.
            let reruns = try await connection.query("""
                SELECT count(*) FROM journal AS done JOIN journal AS later
                  ON later.run_id = done.run_id AND later.execution_id = done.execution_id
                WHERE done.run_id = \(run) AND done.kind = 'execution_finished' AND done.outcome = 'completed'
                  AND later.kind = 'execution_started' AND later.position > done.position
                """, logger: PostgresServer.logger).decode(Int.self).reduce(0) { $1 }
            let takeovers = try await connection.query("""
                SELECT (detail::jsonb ->> 'epoch')::bigint FROM journal WHERE run_id = \(run) AND kind = 'run_resumed' ORDER BY position
                """, logger: PostgresServer.logger).decode(Int.self).reduce(into: [Int]()) { $0.append($1) }
            return (decisions, reruns, takeovers)
        }
    }

    static func finishedExecutions(in location: PostgresLocation) async throws -> Int {
        try await PostgresServer.admin(location) { connection in
            try await connection.query("SELECT count(*) FROM journal WHERE kind = 'execution_finished'", logger: PostgresServer.logger)
                .decode(Int.self).reduce(0) { $1 }
        }
    }

    static func statuses(of runs: [String], in location: PostgresLocation) async throws -> [String?] {
        var statuses: [String?] = []
        for run in runs { statuses.append(try await status(of: run, in: location)) }
        return statuses
    }

    static func status(of run: String, in location: PostgresLocation) async throws -> String? {
        try await PostgresServer.admin(location) { connection in
            try await connection.query("SELECT status FROM run WHERE run_id = \(UUID(uuidString: run)!)", logger: PostgresServer.logger)
                .decode(String.self).reduce(nil as String?) { $1 }
        }
    }
}
