import Cairn
import Foundation
import GRDB
import Testing

/// `cairn replay --check` over many runs, as a deploy gate.
@Suite("cairn replay --check as a deploy gate", .timeLimit(.minutes(2)))
struct ReplayGateCommandTests {
    @Test("one of three runs diverges: every run gets a line, the summary counts them, exit 1; --fail-fast stops there")
    func oneOfThreeDiverges() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("gate.sqlite")
        var runs: [String] = []
        for name in ["Ada", "Grace", "Edsger"] {
            let run = try await cairn(["run", "hello", "--input", #"{"name": "\#(name)"}"#, "--db", db, "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            runs.append(try #require(run.lines.last.flatMap { jsonObject($0)["runId"] as? String }))
        }
        let clean = try await cairn(["replay", "--check", "--all", "--db", db])
        #expect(clean.status == 0 && clean.lines.last == "3 run(s) checked: 3 matched, 0 diverged, 0 could not be replayed, 0 skipped",
                "\(clean.stdout)\(clean.stderr)")

        // The journal says Grace was greeted otherwise than today's code greets her: that run diverges.
        let grace = runs[1]
        try await database(db).write { db in
            try db.execute(sql: "UPDATE event SET payload = ? WHERE run_id = ? AND name = 'cairn.stop'",
                           arguments: [#"{"result":"Hi, Grace!"}"#, grace])
        }
        let gate = try await cairn(["replay", "--check", "--all", "--db", db])
        #expect(gate.status == 1)
        #expect(gate.lines.last == "3 run(s) checked: 2 matched, 1 diverged, 0 could not be replayed, 0 skipped", "\(gate.stdout)")
        #expect(gate.lines.contains { $0.hasPrefix("DIVERGED  \(runs[1])") })
        #expect(gate.stdout.contains(#"expected  cairn.stop {"result":"Hi, Grace!"}"#))
        #expect(gate.lines.filter { $0.hasPrefix("ok ") }.count == 2)

        let json = try await cairn(["replay", "--check", runs[0], runs[1], "--db", db, "--json"])
        let lines = json.lines.map(jsonObject)
        #expect(json.status == 1 && lines.count == 3)
        #expect(lines.map { $0["verdict"] as? String } == ["matched", "diverged", nil])
        #expect((lines[1]["divergence"] as? [String: Any])?["step"] as? String == "second_step")
        #expect(lines[2]["type"] as? String == "summary" && lines[2]["diverged"] as? Int == 1 && lines[2]["checked"] as? Int == 2)

        let fast = try await cairn(["replay", "--check", runs[1], runs[0], runs[2], "--fail-fast", "--db", db])
        #expect(fast.status == 1 && fast.lines.last?.hasPrefix("1 run(s) checked (stopped at the first failure; 2 not checked)") == true,
                "\(fast.stdout)")

        let since = try await cairn(["replay", "--check", "--workflow", "hello", "--since", "1h", "--db", db, "--json"])
        #expect((since.lines.last.map(jsonObject)?["checked"] as? Int) == 3)
        let future = try await cairn(["replay", "--check", "--since", "2999-01-01", "--db", db])
        #expect(future.status == 0 && future.lines.last?.hasPrefix("0 run(s) checked") == true)
    }

    @Test("usage: runs or a selection, not both; selections only with --check; an unknown run is 66")
    func usage() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("gate.sqlite")
        let run = try await cairn(["run", "hello", "--db", db, "--json"])
        let id = try #require(run.lines.last.flatMap { jsonObject($0)["runId"] as? String })
        for arguments in [["replay", "--check"], ["replay", "--check", id, "--all"], ["replay", "--all"], ["replay", id, id],
                          ["replay", "--check", "--since", "yesterday"]] {
            let result = try await cairn(arguments + ["--db", db])
            #expect(result.status == 64 && result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        #expect(try await cairn(["replay", "--check", id, RunID().description, "--db", db]).status == 66)
    }
}
