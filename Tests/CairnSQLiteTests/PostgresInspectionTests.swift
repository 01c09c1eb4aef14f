import Cairn
import Foundation
import PostgresTestSupport
import Testing

/// `replay`, `export`, `diff`, `audit` and `ledger` read a PostgreSQL journal as they read a file: the same history
/// (`db copy`) gives the same output on both.
@Suite("PostgreSQL: replay, export, diff, audit and ledger", .enabled(if: PostgresServer.url != nil, PostgresServer.skipReason), .timeLimit(.minutes(2)))
struct PostgresInspectionTests {
    @Test("replay --check, export, diff, audit and ledger print on a PostgreSQL journal what they print on the SQLite journal it was copied from")
    func sameOutput() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (url, password) = PostgresWorkerTests.url(of: location)
            let postgres = ["PGPASSWORD": password]
            let directory = try TemporaryDirectory()
            let db = directory.path("src.sqlite")
            for seed in [3, 4] {
                let done = try await cairn(["run", "feedback-monitor", "--db", db, "--input", #"{"sku": "Apple", "cycles": 3, "delayMs": 0, "seed": \#(seed)}"#])
                #expect(done.status == 0, "\(done.stderr)")
            }
            let listed = try await cairn(["list", "--db", db, "--json"])
            guard case .array(let listing)? = JSONValue(json: Data(listed.stdout.utf8)) else {
                Issue.record("list --json: \(listed.stdout)")
                return
            }
            let runs = listing.compactMap { run -> String? in if case .string(let id)? = run["runId"] { id } else { nil } }
            try #require(runs.count == 2, "\(listed.stdout)")
            let copy = try await cairn(["db", "copy", "--from", db, "--to", url], environment: postgres)
            #expect(copy.status == 0, "\(copy.stderr)")

            for arguments in [["replay", "--check", "--all"], ["diff", runs[0], runs[1]], ["diff", runs[0], runs[1], "--json"],
                              ["audit", "Apple"], ["audit", "Apple", "--json", "--since", "2026-01-01"], ["audit", "Apple", "--until", "2000-01-01"],
                              ["ledger"], ["ledger", "--json", "--sku", "Apple"], ["ledger", "--run", runs[1], "--json"], ["ledger", "--sku", "Pear"]] {
                let file = try await cairn(arguments + ["--db", db])
                let server = try await cairn(arguments + ["--db", url], environment: postgres)
                #expect(server.status == file.status && server.stdout == file.stdout, "\(arguments): \(file.stdout) | \(server.stdout) \(server.stderr)")
                #expect(!file.stdout.isEmpty, "\(arguments) printed nothing")
            }
            let replayed = try await cairn(["replay", "--check", "--all", "--db", url], environment: postgres)
            #expect(replayed.status == 0 && replayed.stdout.components(separatedBy: "ok ").count - 1 == 2, "\(replayed.stdout)")

            for run in runs {
                let file = try await cairn(["export", run, "--db", db])
                let server = try await cairn(["export", run, "--db", url], environment: postgres)
                #expect(server.status == 0, "\(server.stderr)")
                func archived(_ text: String) -> JSONValue? {
                    guard case .object(var document)? = JSONValue(json: Data(text.utf8)) else { return nil }
                    document["exportedAt"] = nil  // the moment of each export
                    return .object(document)
                }
                #expect(archived(server.stdout) == archived(file.stdout) && archived(file.stdout) != nil, "export of \(run) differs")
            }
        }
    }
}
