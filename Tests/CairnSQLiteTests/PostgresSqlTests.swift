import Cairn
import CairnTesting
import Foundation
import PostgresTestSupport
import Testing

/// `cairn sql` on PostgreSQL: the same views as on SQLite, so the same queries answer the same — checked on one
/// history in both journals (`db copy`) — and the same refusals of anything that could write.
@Suite("PostgreSQL: cairn sql", .enabled(if: PostgresServer.url != nil, PostgresServer.skipReason), .hangGuard)
struct PostgresSqlTests {
    /// Queries over every view, each column a value both backends store alike (times differ in type: timestamptz there).
    static let queries = [
        "SELECT run_id, workflow, status, interrupted, result, error_code, version, origin_run_id, resumes, inbox_pending, parent_run_id FROM runs ORDER BY run_id",
        "SELECT run_id, seq, name, payload, execution_id, step, target, inbox_seq, answers_execution, published FROM events ORDER BY run_id, seq",
        "SELECT run_id, execution_id, step, attempt, triggers, outcome, error FROM step_executions ORDER BY run_id, execution_id, attempt",
        "SELECT run_id, execution_id, step, attempt, key, result FROM side_effects ORDER BY run_id, execution_id, key",
        "SELECT run_id, inbox_seq, name, payload, idempotency_key, sender, event_seq FROM messages ORDER BY run_id, inbox_seq",
        "SELECT sku, decision, quantity, round, vote_online, vote_offline, vote_trend, workflow, run_id, step, resumed, forked, approved_by FROM decisions ORDER BY run_id, execution_id",
        "SELECT entry_id, sku, decision, quantity, run_id, decision_event FROM ledger ORDER BY entry_id",
        "SELECT sku, quantity FROM stock ORDER BY sku",
        "SELECT workflow, status, COUNT(*) AS runs FROM runs GROUP BY workflow, status ORDER BY workflow, status",
        "SELECT COUNT(*) AS due FROM clock WHERE now > 0",
    ]

    @Test("every view has the same columns, and each query prints the same JSON, on an SQLite journal and its PostgreSQL copy")
    func sameAnswers() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (url, password) = PostgresWorkerTests.url(of: location)
            let directory = try TemporaryDirectory()
            let db = directory.path("src.sqlite")
            for (workflow, input) in [("feedback-monitor", #"{"sku": "Apple", "cycles": 3, "delayMs": 0, "seed": 3}"#),
                                      ("complex-feedback-monitor", #"{"sku": "Fig", "cycles": 2, "delayMs": 0, "seed": 5}"#)] {
                let done = try await cairn(["run", workflow, "--db", db, "--input", input])
                #expect(done.status == 0, "\(done.stderr)")
            }
            _ = try await PostgresWorkerTests.waitingRunWithAnswer(in: db)  // rows for `messages`
            let copy = try await cairn(["db", "copy", "--from", db, "--to", url], environment: ["PGPASSWORD": password])
            #expect(copy.status == 0, "\(copy.stderr)")
            let schema = try await cairn(["sql", "--schema", "--json"])
            guard case .array(let documents)? = JSONValue(json: Data(schema.stdout.utf8)) else {
                Issue.record("sql --schema --json: \(schema.stdout)")
                return
            }
            let views = documents.compactMap { document in if case .string(let view)? = document["view"] { view } else { nil } }
            #expect(views.count >= 9, "\(schema.stdout)")
            for query in Self.queries {
                let sqlite = try await cairn(["sql", query, "--db", db, "--json"])
                let postgres = try await cairn(["sql", query, "--db", url, "--json"], environment: ["PGPASSWORD": password])
                #expect(sqlite.status == 0 && postgres.status == 0, "\(query): \(sqlite.stderr) \(postgres.stderr)")
                #expect(postgres.stdout == sqlite.stdout, "\(query)")
                #expect(sqlite.stdout.count > 3, "\(query) answered nothing: \(sqlite.stdout)")
            }
            for view in views {  // every column, in order: the CSV header of an empty answer
                let query = "SELECT * FROM \(view) LIMIT 0"
                let sqlite = try await cairn(["sql", query, "--db", db, "--csv"])
                let postgres = try await cairn(["sql", query, "--db", url, "--csv"], environment: ["PGPASSWORD": password])
                #expect(postgres.stdout == sqlite.stdout && sqlite.status == 0 && !sqlite.stdout.isEmpty, "\(view): \(sqlite.stdout) \(postgres.stderr)")
            }
        }
    }

    @Test("anything that could write is refused, and nothing runs; a query past its timeout is stopped", arguments: [
        ("DELETE FROM run", 65, "could change the journal"),
        ("SELECT 1; DROP TABLE run", 65, "could change the journal"),
        ("WITH gone AS (DELETE FROM lease RETURNING 1) SELECT * FROM gone", 65, "tried to change the journal"),
        ("SELECT set_config('transaction_read_only', 'off', true)", 65, "query failed: transaction read-write mode must be set before any query"),
        ("EXPLAIN ANALYZE DELETE FROM inbox", 65, "tried to change the journal"),
        ("SELECT nextval('ledger_entry_entry_id_seq')", 65, "tried to change the journal"),
        ("SELECT * FROM no_such_view", 65, "query failed: relation \"no_such_view\" does not exist"),
        ("SELECT 'unclosed", 65, "not closed"),
        ("SELECT pg_sleep(5)", 1, "was stopped"),
    ])
    func refusals(query: String, exit: Int32, says: String) async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (url, password) = PostgresWorkerTests.url(of: location)
            let environment = ["PGPASSWORD": password]
            let done = try await cairn(["run", "hello", "--db", url], environment: environment)
            #expect(done.status == 0, "\(done.stderr)")
            let count = ["sql", "SELECT (SELECT COUNT(*) FROM runs) + (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM run) AS rows",
                         "--db", url, "--csv"]
            let before = try await cairn(count, environment: environment)
            let refused = try await cairn(["sql", query, "--db", url, "--timeout", "1"], environment: environment)
            #expect(refused.status == exit && refused.stderr.contains(says) && !refused.stderr.contains(password), "\(refused.stderr)")
            let after = try await cairn(count, environment: environment)
            #expect(after.stdout == before.stdout && before.stdout.hasPrefix("rows\n"), "nothing changed: \(before.stdout) → \(after.stdout)")
        }
    }
}
