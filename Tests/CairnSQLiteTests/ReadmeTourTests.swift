import CairnTesting
import Foundation
import Testing

/// The README's tour, run as written: every `$ cairn …` line of its console blocks, in order, in a journal of
/// its own, each output compared with what the README prints — times, durations, sizes and lease owners
/// aside, and `…` standing for what the README leaves out. The kill "from another terminal" is a crash point
/// at the place the README's run was killed (round 1, once two of its three sources have answered).
@Suite("The README tour", .hangGuard)
struct ReadmeTourTests {
    struct Step {
        let command: String
        let expected: [String]
    }

    /// The tour's commands and the output printed under each.
    static func steps() throws -> [Step] {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let tour = readme.components(separatedBy: "## A 5-minute tour")[1].components(separatedBy: "\n## ")[0]
        var steps: [Step] = []
        for block in tour.components(separatedBy: "```console\n").dropFirst() {
            let body = block.components(separatedBy: "\n```")[0]
            for chunk in body.components(separatedBy: "\n$ ") {
                var lines = chunk.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let command = lines.removeFirst().replacingOccurrences(of: "$ ", with: "", options: .anchored)
                while lines.last?.isEmpty == true { lines.removeLast() }
                steps.append(Step(command: command, expected: lines))
            }
        }
        return steps
    }

    /// Times, durations, sizes and lease owners: what differs from one run of the tour to the next.
    static func normalised(_ line: String) -> String {
        var line = line
        for (pattern, placeholder) in [
            (#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z"#, "TIME"),
            (#"\b\d+(\.\d+)? (ms|s)\b"#, "DURATION"), (#"\b\d+ m \d{2} s\b"#, "DURATION"),
            (#"\d+ bytes, \d+ more"#, "N bytes, N more"), (#"by \S+ \(lease epoch"#, "by OWNER (lease epoch"),
            // How many attempts the kill cut short (each re-run adds records), and how many events concurrent
            // steps journaled in another order, vary from run to run.
            (#"records \d+"#, "records N"),
            (#"^\d+ more event\(s\) are the same"#, "N more event(s) are the same"),
        ] {
            line = line.replacingOccurrences(of: pattern, with: placeholder, options: .regularExpression)
        }
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// Whether `actual` is what `expected` shows: line by line, a line `…` standing for any number of lines
    /// and a `…` inside a line for any text.
    static func matches(_ expected: ArraySlice<String>, _ actual: ArraySlice<String>) -> Bool {
        guard let first = expected.first else { return actual.isEmpty }
        if first.hasPrefix("…") {  // a line left out, perhaps with a word on what it holds
            return (0...actual.count).contains { matches(expected.dropFirst(), actual.dropFirst($0)) }
        }
        guard let line = actual.first else { return false }
        let pattern = "^" + NSRegularExpression.escapedPattern(for: first).replacingOccurrences(of: "…", with: ".*") + "$"
        return line.range(of: pattern, options: .regularExpression) != nil && matches(expected.dropFirst(), actual.dropFirst())
    }

    @Test("every command of the tour prints what the README shows")
    func tourAsWritten() async throws {
        let directory = try TemporaryDirectory()
        var forkID: String?
        var server: (process: CairnProcess, port: String)?
        // The tour's server stops however the tour ends, waited for on threads of its own (a `defer` can only block a
        // thread of the concurrency pool, which every other test needs).
        func stopServer() async {
            server?.process.signal(SIGTERM)
            _ = await server?.process.finish()
        }
        do {
            try await walkTheTour(in: directory, forkID: &forkID, server: &server)
        } catch {
            await stopServer()
            throw error
        }
        await stopServer()
    }

    private func walkTheTour(in directory: TemporaryDirectory, forkID: inout String?, server: inout (process: CairnProcess, port: String)?)
        async throws {
        for step in try Self.steps() {
            // The README's fork id is the one of the run that made it; this run's fork has its own.
            let readmeFork = "ce3b18c4-f814-4d11-9bea-ac9281d073a0"
            var command = forkID.map { step.command.replacingOccurrences(of: readmeFork, with: $0) } ?? step.command
            // The README's server listens on 8080; this one on any free port, which the commands after it ask.
            if let server { command = command.replacingOccurrences(of: "localhost:8080", with: "localhost:\(server.port)") }
            let killed = step.expected.contains { $0.hasPrefix("Killed") }
            let result: ProcessResult
            if command.hasPrefix("cairn serve &") {
                let process = try spawnCairn(["serve", "--port", "0", "--db", directory.path("tour.sqlite")])
                let said = await process.stderrUntil("(the API's contract at /openapi.yaml)\n") ?? ""
                let port = said.firstMatch(of: /serving http:\/\/127\.0\.0\.1:(\d+)/).map { String($0.1) } ?? "none"
                server = (process, port)
                let line = said.split(separator: "\n").last { $0.hasPrefix("cairn: serving") } ?? ""
                result = ProcessResult(status: 0, killedBySignal: false, stdout: "",
                                       stderr: line.replacingOccurrences(of: ":\(port) ", with: ":8080 "))
            } else {
                result = try await runInShell(command, in: directory, crashAt: killed ? "after-side-effect:2" : nil)
            }
            if command.hasPrefix("cairn fork ") {
                forkID = result.stdout.firstMatch(of: /fork ([0-9a-f-]{36}) of run/).map { String($0.1) }
            }
            // What a crash point says, a real `kill -9` does not; blank lines carry nothing.
            let shown = (result.stdout + result.stderr).split(separator: "\n").map { Self.normalised(String($0)) }
                .filter { !$0.hasPrefix("cairn: crash point") && !$0.isEmpty }
            var expected = step.expected.filter { !$0.hasPrefix("Killed") && !$0.isEmpty }
            if let forkID { expected = expected.map { $0.replacingOccurrences(of: readmeFork, with: forkID) } }
            expected = expected.map(Self.normalised)
            #expect(Self.matches(expected[...], shown[...]), "`\(command)` printed:\n\(shown.joined(separator: "\n"))\nthe README shows:\n\(expected.joined(separator: "\n"))")
        }
    }

    /// Runs a tour line as a person's shell would, `cairn` on the PATH, in the tour's own journal.
    func runInShell(_ command: String, in directory: TemporaryDirectory, crashAt: String?) async throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = cairnBinary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["CAIRN_DB"] = "tour.sqlite"
        environment["CAIRN_CRASH_AT"] = crashAt
        environment["NO_COLOR"] = "1"
        return try await runToEnd("/bin/bash", ["-c", command], environment: environment, directory: directory.url)
    }
}
