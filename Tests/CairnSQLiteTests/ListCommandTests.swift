import Cairn
import CairnCLI
import CairnTesting
import Foundation
import Testing

/// `cairn list` filtered like the peers' listings, durations in one spelling, and `cairn --version`.
@Suite("cairn list filters, durations and --version", .hangGuard)
struct ListCommandTests {
    @Test("several --status, --since/--until, an id prefix and --forked-from select in the journal; an interrupted run has no duration")
    func filters() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("list.sqlite")
        var completed: [String] = []
        for _ in 0..<2 {
            let run = try await cairn(["run", "hello", "--db", db, "--json"])
            completed.append(try run.runID())
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
        #expect(result.status == 0 && result.stdout.hasPrefix("cairn \(CairnRelease.version) (writes journal schema 0009_runs_that_start_runs)"),
                "\(result.stdout)\(result.stderr)")
    }
}

@Suite("cairn cancel of several runs, and JSON on every refusal", .hangGuard)
struct CancelCommandTests {
    /// A journal with two interrupted feedback-monitor runs (their processes SIGKILLed after the first commit).
    func twoInterrupted() async throws -> (db: String, runs: [String], directory: TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        let db = directory.path("cancel.sqlite")
        var runs: [String] = []
        for _ in 0..<2 {
            let id = RunID().description
            let killed = try await cairn(["run", "feedback-monitor", "--db", db, "--id", id, "--input", #"{"sku": "A", "delayMs": 0}"#],
                                         environment: ["CAIRN_CRASH_AT": "after-commit:1"])
            #expect(killed.killedBySignal)
            runs.append(id)
        }
        return (db, runs, directory)
    }

    @Test("a selection of several runs needs --yes; then each is cancelled, one line each")
    func selection() async throws {
        let (db, runs, _) = try await twoInterrupted()
        let refused = try await cairn(["cancel", "--status", "interrupted", "--db", db])
        #expect(refused.status == 65 && refused.stderr.contains("matches 2 runs; add --yes"), "\(refused.stderr)")
        let all = try await cairn(["cancel", "--status", "interrupted", "--yes", "--db", db, "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        let outcomes = all.lines.map(jsonObject)
        #expect(Set(outcomes.compactMap { $0["runId"] as? String }) == Set(runs) && outcomes.allSatisfy { $0["status"] as? String == "cancelled" })
        let none = try await cairn(["cancel", "--status", "interrupted", "--db", db])
        #expect(none.status == 0 && none.stdout.contains("no unfinished run matches"))
    }

    @Test("several ids: each cancelled; one that ended already is reported and makes the exit 1, the others are still cancelled")
    func severalIDs() async throws {
        let (db, runs, _) = try await twoInterrupted()
        #expect(try await cairn(["cancel", runs[0], "--db", db]).status == 0)
        let both = try await cairn(["cancel", runs[0], runs[1], "--db", db])
        #expect(both.status == 1 && both.stderr.contains("Run \(runs[0]) has already ended cancelled"), "\(both.stderr)")
        #expect(both.stdout.contains("run \(runs[1]) cancelled"), "\(both.stdout)")
    }

    @Test("with --json a refusal prints an error document on stdout beside the sentence; draw --json is a document; ledger of an unknown run is 66")
    func jsonEverywhere() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("json.sqlite")
        let run = try await cairn(["run", "hello", "--db", db, "--json"])
        let id = try run.runID()
        let ended = try await cairn(["cancel", id, "--db", db, "--json"])
        let error = jsonObject(ended.stdout)["error"] as? [String: Any]
        #expect(ended.status == 1 && error?["code"] as? String == "run-ended" && error?["exitCode"] as? Int == 1, "\(ended.stdout)")
        let usage = try await cairn(["list", "--bogus", "--db", db, "--json"])
        #expect(usage.status == 64 && (jsonObject(usage.stdout)["error"] as? [String: Any])?["code"] as? String == "usage")
        let drawn = try await cairn(["draw", "hello", "--json"])
        #expect(jsonObject(drawn.stdout)["format"] as? String == "mermaid"
            && (jsonObject(drawn.stdout)["drawing"] as? String)?.hasPrefix("flowchart TD") == true)
        let ledger = try await cairn(["ledger", "--run", RunID().description, "--db", db])
        #expect(ledger.status == 66, "\(ledger.stdout)")
    }
}

@Suite("Shell completion", .hangGuard)
struct CompletionTests {
    @Test("workflow names and run ids (from the journal named on the line) complete")
    func completes() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("complete.sqlite")
        let run = try await cairn(["run", "hello", "--db", db, "--json"])
        let id = try run.runID()
        let prefix = String(id.prefix(4))
        // Bash with the generated script loaded, completing what a person typed.
        func complete(_ line: String) async throws -> [String] {
            let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let index = line.split(separator: " ", omittingEmptySubsequences: false).count - 1
            let script = """
                source <("$CAIRN" --generate-completion-script bash)
                COMP_WORDS=(\(words.map { "'\($0)'" }.joined(separator: " "))); COMP_CWORD=\(index)
                COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}; _cairn cairn '\(words.last ?? "")' '\(words[index - 1])'
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let directory = cairnBinary.deletingLastPathComponent().path
            let environment = ["CAIRN": cairnBinary.path, "CAIRN_DB": db, "PATH": "\(directory):/usr/bin:/bin"]
            return try await runToEnd("/bin/bash", ["-c", script], environment: environment).lines
        }
        #expect(try await complete("cairn show \(prefix)") == [id])
        #expect(try await complete("cairn run f") == ["feedback-monitor"])
        let script = try await cairn(["--generate-completion-script", "bash"])
        #expect(script.status == 0 && script.stdout.contains("---completion show"))
    }
}

@Suite("Colour on a terminal", .hangGuard)
struct ColourTests {
    /// `cairn` with its stdout on a pseudo-terminal (util-linux `script`), as a person sees it.
    func onATerminal(_ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        let command = ([cairnBinary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        // A terminal that takes colour, whatever this process runs under; NO_COLOR only when the test sets it.
        let terminal = ProcessInfo.processInfo.environment.merging(environment.merging(["TERM": "xterm"]) { a, _ in a }) { $1 }
            .filter { $0.key != "NO_COLOR" || environment[$0.key] != nil }
        return try await runToEnd("/usr/bin/script", ["-qc", command, "/dev/null"], environment: terminal).stdout
    }

    @Test("status words are coloured on a terminal only: not in a pipe, not with NO_COLOR or --no-color")
    func statusColour() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("colour.sqlite")
        _ = try await cairn(["run", "hello", "--db", db])
        #expect(try await onATerminal(["list", "--db", db]).contains("\u{1b}[32mcompleted\u{1b}[0m"))
        #expect(!(try await onATerminal(["list", "--db", db], environment: ["NO_COLOR": "1"])).contains("\u{1b}["))
        #expect(!(try await onATerminal(["list", "--db", db, "--no-color"])).contains("\u{1b}["))
        #expect(!(try await cairn(["list", "--db", db])).stdout.contains("\u{1b}["))
    }
}
