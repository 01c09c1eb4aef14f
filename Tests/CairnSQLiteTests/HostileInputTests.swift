import Cairn
import CairnTesting
import Foundation
import Testing

/// Every command fed values a user could type by mistake or on purpose: none may kill the process with a
/// signal or print a backtrace; each gets one line on stderr and the contract's exit code.
@Suite("Hostile command-line input", .hangGuard)
struct HostileInputTests {
    struct Case: Sendable {
        let arguments: [String]
        let environment: [String: String]
        let status: Int32

        init(_ arguments: [String], _ status: Int32, environment: [String: String] = [:]) {
            self.arguments = arguments
            self.status = status
            self.environment = environment
        }

        var testDescription: String { (environment.map { "\($0)=\($1) " }.joined() + arguments.joined(separator: " ")) }
    }

    /// `RUN` stands for the id of a finished run in the journal.
    static let cases: [Case] = [
        Case(["run", "hello", "--timeout", "inf"], 64), Case(["run", "hello", "--timeout", "nan"], 64),
        Case(["run", "hello", "--timeout", "1e30"], 64), Case(["run", "hello", "--timeout", "-1"], 64),
        Case(["run", "hello", "--timeout", "0"], 64), Case(["run", "hello", "--timeout", "abc"], 64),
        Case(["--lease-ttl", "1e30", "list"], 64), Case(["list", "--lease-ttl", "inf"], 64), Case(["list", "--lease-ttl", "0.5"], 64),
        Case(["list"], 64, environment: ["CAIRN_LEASE_TTL": "inf"]), Case(["list"], 64, environment: ["CAIRN_LEASE_TTL": "nan"]),
        Case(["run", "hello"], 64, environment: ["CAIRN_LEASE_TTL": "-3"]),
        Case(["list", "--interrupt-grace", "nan"], 64), Case(["list"], 64, environment: ["CAIRN_INTERRUPT_GRACE": "1e30"]),
        Case(["list", "--limit", "0"], 64), Case(["list", "--limit", "99999999999999999999"], 64), Case(["list", "--offset=-1"], 64),
        Case(["list", "--status", "weird"], 64), Case(["--log-level", "loud", "list"], 64),
        Case(["follow", "RUN", "--from=-1"], 64), Case(["follow", "RUN", "--from", "0"], 64),
        Case(["fork", "RUN", "--at=-3"], 64), Case(["fork", "RUN", "--at", "99999999"], 65),
        Case(["show", "not-a-uuid"], 64), Case(["show", "00000000-0000-4000-8000-00000000dead"], 66),
        Case(["run", "hello", "--input", "{bad"], 65), Case(["run", "hello", "--input", "@/no/such/file"], 66),
        Case(["run", "no-such-workflow"], 64), Case(["no-such-command"], 64),
        Case(["sql", "SELECT 1 AS a, 2 AS a", "--json"], 0), Case(["sql", "DELETE FROM run"], 65),
        Case(["run", "hello", "--max-payload", "5"], 64), Case(["list"], 64, environment: ["CAIRN_MAX_PAYLOAD": "lots"]),
    ]

    /// One journal, the cases one after another: thirty processes at once would load the machine enough to
    /// upset the timing of other suites' signal tests.
    @Test("every hostile value gets one line on stderr and the contract's exit code, never a signal or a backtrace")
    func refusedInOneLine() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let made = try await cairn(["run", "hello", "--db", db, "--json"])
        let run = try #require(jsonObject(made.lines.last ?? "")["runId"] as? String)
        for hostile in Self.cases {
            let arguments = hostile.arguments.map { $0 == "RUN" ? run : $0 } + ["--db", db]
            let result = try await cairn(arguments, environment: hostile.environment)
            let context = "\(hostile.testDescription): \(result.stderr)"
            #expect(!result.killedBySignal, "\(context)")
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Backtrac"), "\(context)")
            #expect(result.status == hostile.status, "\(context)")
            if hostile.status != 0 {
                let lines = result.stderr.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].hasPrefix("cairn: "), "\(context)")
            }
        }
    }

    /// Refusals that must say, in words, what was wrong: the field, the expected kind, no Swift type names.
    static let worded: [(arguments: [String], status: Int32, says: String)] = [
        (["run", "feedback-monitor", "--input", #"{"sku": "A", "cycles": 2.5}"#], 65, "field 'cycles' must be an integer; 2.5 is not one"),
        (["run", "feedback-monitor", "--input", #"{"sku": "A", "cycles": 1e30}"#], 65, "field 'cycles' must be an integer"),
        (["run", "feedback-monitor", "--input", "[1]"], 65, "it must be a JSON object ({…}), not an array"),
        (["run", "feedback-monitor", "--input", #""Apple""#], 65, "it must be a JSON object ({…}), not a string"),
        (["run", "hello", "--input", #"{"name": "a", "name": "b"}"#], 65, "gives field 'name' twice; give it once"),
        (["run", "hello", "--input", "nope"], 65, "it is not valid JSON (invalid value around character 1)"),
        (["fork", "RUN", "--at", "-5"], 64, "--at takes an event seq, 1 or more; -5 is not one"),
        (["fork", "RUN", "--at", "1", "--input-patch", #"{"input": {"name": 5}}"#], 65, "field 'input.name' must be a string"),
        (["fork", "RUN", "--at", "1", "--input-patch", #"{"input": {}, "input": {}}"#], 65, "gives field 'input' twice"),
        (["sql", "DELETE FROM runs"], 65, "could change the journal; cairn sql only reads"),
        (["sql", "PRAGMA synchronous=OFF"], 65, "could change the journal; cairn sql only reads"),
        (["sql", "SELEC 1"], 65, "The SQL does not parse"),
        (["list", "--limit", "5", "--limit", "6"], 64, "--limit is given twice; give it once"),
        (["list", "--db", "elsewhere.sqlite"], 64, "--db is given twice; give it once"),
        (["list", "--limit", "1.5"], 64, "--limit takes a whole number; '1.5' is not one"),
        (["list", "--unknown-option"], 64, "Unknown option '--unknown-option'"),
        (["draw", "hello", "--format", "bogus"], 64, "--format takes one of 'mermaid', 'dot' or 'html'; 'bogus' is not one"),
        (["show", ""], 64, "'' is not a run id"),
        (["run", ""], 64, "Unknown workflow ''"),
        (["sql", ""], 65, "There is no SQL statement to run"),
        (["list", "--status", ""], 64, "Unknown status ''"),
    ]

    @Test("refusals name the field and what it must be, in one sentence with no Swift type names")
    func refusalsInWords() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let made = try await cairn(["run", "hello", "--db", db, "--json"])
        let run = try #require(jsonObject(made.lines.last ?? "")["runId"] as? String)
        for (arguments, status, says) in Self.worded {
            let result = try await cairn(arguments.map { $0 == "RUN" ? run : $0 } + ["--db", db])
            let context = "\(arguments.joined(separator: " ")): \(result.stderr)"
            #expect(result.status == status && result.stderr.contains(says), "\(context)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(context)")
            for swiftism in ["Dictionary<", "DecodingError", "Debug description", "Usage:", "Error:"] {
                #expect(!result.stderr.contains(swiftism), "\(context)")
            }
        }
        let empty = try await cairn(["list"], environment: ["CAIRN_DB": ""])
        #expect(empty.status == 64 && empty.stderr.contains("CAIRN_DB is empty: give the journal's path"), "\(empty.stderr)")
    }

    @Test("every command refuses an unknown option, an option given twice and an empty argument: one line, the contract's code")
    func everyCommandRefusesInOneLine() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let run = try await cairn(["run", "hello", "--db", db, "--json"]).runID()
        let commands: [[String]] = [
            ["run", "hello"], ["resume", run], ["list"], ["cancel", run], ["show", run], ["follow", run], ["sql", "SELECT 1"],
            ["draw", "hello"], ["workflows"], ["replay", run], ["fork", run, "--at", "1"], ["diff", run, run], ["export", run],
            ["import", "-"], ["audit", "Apple"], ["ledger"], ["db", "status"], ["db", "check"], ["db", "migrate"],
        ]
        for command in commands {
            for (bad, status) in [(["--bogus"], Int32(64)), (["--lease-ttl", "5", "--lease-ttl", "6"], 64), (["--log-level", ""], 64)] {
                let result = try await cairn(command + bad + ["--db", db])
                let context = "\((command + bad).joined(separator: " ")): \(result.stderr)"
                #expect(result.status == status && result.stderr.split(separator: "\n").count == 1 && result.stderr.hasPrefix("cairn: "), "\(context)")
                #expect(!result.stderr.contains("Usage:") && !result.stderr.contains("Error:") && !result.killedBySignal, "\(context)")
            }
        }
    }

    @Test("--json sql with repeated column names keys them a, a_2, a_3 in column order")
    func repeatedColumns() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        _ = try await cairn(["run", "hello", "--db", db])
        let result = try await cairn(["sql", "--json", "--db", db, "SELECT 1 AS a, 2 AS a, 3 AS a, 4 AS b"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Int]])
        #expect(rows == [["a": 1, "a_2": 2, "a_3": 3, "b": 4]])
    }

    @Test("an input over the payload limit (1 MiB) exits 65 naming its field and the limit; --max-payload raises it")
    func inputOverLimit() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite"), file = directory.path("big.json")
        let input = try JSONSerialization.data(withJSONObject: ["sku": String(repeating: "A", count: 2 << 20), "cycles": 1, "delayMs": 0])
        try input.write(to: URL(fileURLWithPath: file))
        let refused = try await cairn(["run", "feedback-monitor", "--db", db, "--input", "@" + file])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("field 'sku' alone is 2.0 MiB") && refused.stderr.contains("over the payload limit of 1.0 MiB"), "\(refused.stderr)")
        let raised = try await cairn(["run", "feedback-monitor", "--db", db, "--input", "@" + file, "--max-payload", "\(8 << 20)"])
        #expect(raised.status == 0, "\(raised.stderr)")
    }
}
