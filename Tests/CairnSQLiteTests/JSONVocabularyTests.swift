import Cairn
import CairnTesting
import Foundation
import Testing

/// Every command's `--json` against one JSON Schema in the repository (`Schemas/cairn.schema.json`).
@Suite("One JSON vocabulary", .hangGuard)
struct JSONVocabularyTests {
    @Test("every command's --json output conforms to its definition in Schemas/cairn.schema.json")
    func everyCommand() async throws {
        let schema = try JSONSchema(contentsOf: repositoryRoot.appendingPathComponent("Schemas/cairn.schema.json"))
        let directory = try TemporaryDirectory()
        let db = directory.path("vocabulary.sqlite"), other = directory.path("other.sqlite"), archive = directory.path("run.json")
        let made = try await cairn(["run", "feedback-monitor", "--db", db, "--json", "--input", #"{"sku": "Apple", "cycles": 2, "delayMs": 0, "seed": 3}"#])
        let run = try made.runID()
        let fork = try await cairn(["fork", run, "--at", "3", "--db", db, "--json"])
        let forked = try fork.runID()
        _ = try await cairn(["export", run, "--db", db, "-o", archive])
        // A monitor whose decisions order stations carry out: published events, started runs, the audit's chain.
        let modular = try await cairn(["run", "modular-feedback-monitor", "--db", db, "--json", "--input", #"{"sku": "Apple", "cycles": 2, "delayMs": 0, "seed": 3}"#])
        let publisher = try modular.runID()
        let stations = try await cairn(["list", "--parent", publisher, "--db", db, "--json"])
        let station = try #require((try JSONSerialization.jsonObject(with: Data(stations.stdout.utf8)) as? [[String: Any]])?.first?["runId"] as? String)
        // (arguments, definition, whether the output is one document per line)
        let commands: [([String], String, Bool)] = [
            (["run", "hello", "--db", db], "streamLine", true),
            (["list", "--db", db], "list", false),
            (["show", run, "--db", db], "show", false),
            (["show", forked, "--db", db], "show", false),
            (["show", publisher, "--db", db], "show", false),
            (["show", station, "--db", db], "show", false),
            (["list", "--parent", publisher, "--db", db], "list", false),
            (["follow", run, "--db", db], "streamLine", true),
            (["replay", run, "--db", db], "streamLine", true),
            (["replay", "--check", "--all", "--db", db], "replayLine", true),
            (["resume", run, "--db", db], "streamLine", true),
            (["cancel", run, "--db", db], "error", false),
            (["show", RunID().description, "--db", db], "error", false),
            (["list", "--bogus", "--db", db], "error", false),
            (["workflows"], "workflows", false),
            (["draw", "hello"], "draw", false),
            (["export", run, "--db", db], "archive", false),
            (["import", archive, "--db", other], "runSummary", false),
            (["db", "check", "--db", db], "dbCheck", false),
            (["db", "status", "--db", db], "dbStatus", false),
            (["audit", "Apple", "--db", db], "audit", false),
            (["ledger", "--db", db], "ledger", false),
            (["db", "backup", directory.path("backup.sqlite"), "--db", db], "dbBackup", false),
            (["db", "migrate", "--db", db], "dbMigrate", false),
            (["sql", "SELECT run_id, status FROM runs", "--db", db], "sqlRows", false),
            (["sql", "--schema", "--db", db], "sqlSchema", false),
            (["diff", run, forked, "--db", db], "diff", false),
            (["db", "prune", "--finished-before", "2099-01-01", "--db", db], "dbPrune", false),
        ]
        for (arguments, definition, perLine) in commands {
            let result = try await cairn(arguments + ["--json"])
            let documents = perLine ? result.lines : [result.stdout]
            #expect(!documents.isEmpty, "\(arguments) printed nothing")
            for document in documents {
                guard let value = JSONValue(json: Data(document.utf8)) else {
                    Issue.record("\(arguments) printed something that is not JSON: \(document.prefix(200))")
                    continue
                }
                let problems = schema.problems(value, against: definition)
                #expect(problems.isEmpty, "\(arguments.joined(separator: " ")) against \(definition): \(problems.prefix(5))")
            }
        }
    }

    @Test("the checker fails what does not conform: a missing key, an unknown key, a wrong type, a time without milliseconds")
    func checkerFails() throws {
        let schema = try JSONSchema(contentsOf: repositoryRoot.appendingPathComponent("Schemas/cairn.schema.json"))
        func problems(_ json: String, _ definition: String) -> [String] {
            schema.problems(JSONValue(json: Data(json.utf8)) ?? .null, against: definition)
        }
        #expect(problems(#"{"status": "completed"}"#, "outcome").contains { $0.contains("'runId' is missing") })
        #expect(problems(#"{"runId": "00000000-0000-4000-8000-000000000000", "status": "completed", "run_id": 1}"#, "outcome")
            .contains { $0.contains("'run_id' is not in the schema") })
        #expect(problems(#"{"runId": "00000000-0000-4000-8000-000000000000", "status": "done"}"#, "outcome").contains { $0.contains("is not one of") })
        #expect(problems(#"{"ok": "yes", "problems": []}"#, "dbCheck").contains { $0.contains("is not boolean") })
        #expect(problems(#"{"kind": "resumed", "at": "2026-12-06T05:00:00Z"}"#, "timelineEntry").contains { $0.contains("milliseconds") })
        #expect(problems(#"{"runId": "00000000-0000-4000-8000-000000000000", "status": "completed"}"#, "outcome").isEmpty)
    }
}
