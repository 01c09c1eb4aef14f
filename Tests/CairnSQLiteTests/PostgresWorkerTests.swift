import Cairn
import CairnPostgres
import Foundation
import PostgresNIO
import PostgresTestSupport
import Testing

/// `cairn worker` on a PostgreSQL journal, with real processes: a run killed mid-way (SIGKILL at a chosen commit)
/// is claimed by one of two workers once its lease expires, fenced at a higher epoch, and completes with every
/// decision once — in the journal and in the ledger, which the run's commits wrote on the same server.
@Suite("PostgreSQL: workers", .enabled(if: PostgresServer.url != nil, PostgresServer.skipReason), .timeLimit(.minutes(3)))
struct PostgresWorkerTests {
    @Test("a run killed mid-way is claimed by one of two workers at a higher epoch and completes, each decision once in the ledger")
    func killedRunIsClaimed() async throws {
        try await PostgresServer.withFreshDatabase { location in
            // The children get the URL without the password, and the password from PGPASSWORD.
            let url = "postgres://\(location.user)@\(location.host):\(location.port)/\(location.database)"
            let password = URLComponents(string: PostgresServer.url ?? "")?.password ?? ""
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

            let (decisions, reruns, takeovers) = try await PostgresServer.admin(location) { connection in
                let decisions = try await connection.query(
                    "SELECT decision FROM ledger_entry WHERE run_id = \(id) ORDER BY entry_id", logger: PostgresServer.logger)
                    .decode(String.self).reduce(into: [String]()) { $0.append($1) }
                // A committed execution never ran again: no attempt started after its completion.
                let reruns = try await connection.query("""
                    SELECT count(*) FROM journal AS done JOIN journal AS later
                      ON later.run_id = done.run_id AND later.execution_id = done.execution_id
                    WHERE done.run_id = \(UUID(uuidString: id)!) AND done.kind = 'execution_finished' AND done.outcome = 'completed'
                      AND later.kind = 'execution_started' AND later.position > done.position
                    """, logger: PostgresServer.logger).decode(Int.self).reduce(0) { $1 }
                let takeovers = try await connection.query("""
                    SELECT (detail::jsonb ->> 'epoch')::bigint FROM journal WHERE run_id = \(UUID(uuidString: id)!) AND kind = 'run_resumed'
                    ORDER BY position
                    """, logger: PostgresServer.logger).decode(Int.self).reduce(into: [Int]()) { $0.append($1) }
                return (decisions, reruns, takeovers)
            }
            #expect(decisions == (try await CrashTests().referenceDecisions("complex-feedback-monitor", cycles: 4, seed: 5)))
            #expect(reruns == 0)
            #expect(!takeovers.isEmpty && takeovers.allSatisfy { $0 >= 2 }, "takeovers at epochs \(takeovers)")
        }
    }

    static func status(of run: String, in location: PostgresLocation) async throws -> String? {
        try await PostgresServer.admin(location) { connection in
            try await connection.query("SELECT status FROM run WHERE run_id = \(UUID(uuidString: run)!)", logger: PostgresServer.logger)
                .decode(String.self).reduce(nil as String?) { $1 }
        }
    }
}
