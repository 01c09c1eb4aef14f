import Cairn
import CairnCLI
import Foundation
import Testing

/// `cairn list` filtered like the peers' listings, durations in one spelling, and `cairn --version`.
@Suite("cairn list filters, durations and --version", .timeLimit(.minutes(2)))
struct ListCommandTests {
    @Test("several --status, --since/--until, an id prefix and --forked-from select in the journal; an interrupted run has no duration")
    func filters() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("list.sqlite")
        var completed: [String] = []
        for _ in 0..<2 {
            let run = try await cairn(["run", "hello", "--db", db, "--json"])
            completed.append(try #require(run.lines.last.flatMap { jsonObject($0)["runId"] as? String }))
        }
        let killed = RunID().description
        let crash = try await cairn(["run", "feedback-monitor", "--db", db, "--id", killed, "--input", #"{"sku": "A", "delayMs": 0}"#],
                                    environment: ["CAIRN_CRASH_AT": "after-commit:1"])
        #expect(crash.killedBySignal)
        func listed(_ arguments: [String]) async throws -> [String] {
            let result = try await cairn(["list", "--db", db, "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let runs = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            return runs.compactMap { $0["runId"] as? String }
        }
        #expect(Set(try await listed(["--status", "completed", "--status", "interrupted"])) == Set(completed + [killed]))
        #expect(try await listed(["--status", "interrupted"]) == [killed])
        #expect(try await listed(["--id", String(completed[0].prefix(8))]) == [completed[0]])
        #expect(try await listed(["--since", "1h", "--workflow", "hello"]).count == 2)
        #expect(try await listed(["--since", "2999-01-01"]).isEmpty)
        #expect(try await listed(["--until", "2000-01-01"]).isEmpty)
        #expect(try await listed(["--forked-from", completed[0]]).isEmpty)
        let table = try await cairn(["list", "--db", db])
        let killedRow = try #require(table.lines.first { $0.hasPrefix(killed) })
        #expect(killedRow.contains("interrupted") && killedRow.hasSuffix("—"), "\(killedRow)")
        #expect(table.lines.first { $0.hasPrefix(completed[0]) }?.hasSuffix(" ms") == true, "\(table.stdout)")
        let refused = try await cairn(["list", "--db", db, "--since", "2026-12-02", "--until", "2026-12-01"])
        #expect(refused.status == 64 && refused.stderr.contains("--since must be before --until"))
    }

    @Test("durations read as people read them")
    func durationText() {
        #expect(DurationText.format(0.0004) == "0 ms" && DurationText.format(0.85) == "850 ms" && DurationText.format(0.9996) == "1.0 s")
        #expect(DurationText.format(12.44) == "12.4 s" && DurationText.format(59.97) == "1 m 00 s" && DurationText.format(185) == "3 m 05 s")
        #expect(DurationText.format(3600) == "1 h 00 m" && DurationText.format(7_800) == "2 h 10 m" && DurationText.format(.infinity) == "—")
    }

    @Test("cairn --version names the release and the journal schema it writes")
    func version() async throws {
        let result = try await cairn(["--version"])
        #expect(result.status == 0 && result.stdout.hasPrefix("cairn \(CairnRelease.version) (writes journal schema 0006_directed_events)"),
                "\(result.stdout)\(result.stderr)")
    }
}
