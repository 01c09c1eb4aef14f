import Cairn
import Foundation

/// One benchmark: what it does, how many step executions it makes, and how it runs.
struct Scenario: Sendable {
    let name: String
    let summary: String
    let steps: Int
    /// Whether the scenario runs once untimed before it is measured, so that the figure is the steady state's,
    /// not a new process's first growth of its heap: every speed scenario does; a long history does not.
    let warmsUp: Bool
    /// Runs the scenario; returns what it measured beyond time and memory (journal rows or bytes).
    let body: @Sendable () async throws -> Extra

    /// Figures a scenario measures itself.
    struct Extra: Codable, Sendable {
        /// Rows the journal holds once the scenario is done: what it really wrote.
        var rows: Int?
        /// Bytes of the journal's rows (every column's length summed).
        var bytes: Int?
        /// Transactions the journal committed (one fsync each).
        var transactions: Int?
        /// What the scenario timed itself, when not all of its body counts (a history built before a resume).
        var seconds: Double?
    }

    /// A scenario that measures more than time and memory.
    static func measuring(_ name: String, summary: String, steps: Int, warmsUp: Bool = true,
                          _ body: @escaping @Sendable () async throws -> Extra) -> Scenario {
        Scenario(name, summary, steps, warmsUp, body)
    }

    private init(_ name: String, _ summary: String, _ steps: Int, _ warmsUp: Bool, _ body: @escaping @Sendable () async throws -> Extra) {
        self.name = name
        self.summary = summary
        self.steps = steps
        self.warmsUp = warmsUp
        self.body = body
    }

    /// A scenario measured by its time and memory alone.
    init(name: String, summary: String, steps: Int, timed: @escaping @Sendable () async throws -> Void) {
        self.init(name, summary, steps, true) {
            try await timed()
            return Extra()
        }
    }

    static let inMemory: [Scenario] = [
        Scenario(name: "asyncstream", summary: "baseline: 100,000 events through one AsyncStream", steps: 100_000) {
            let (stream, continuation) = AsyncStream<Int>.makeStream(bufferingPolicy: .unbounded)
            async let consumed = stream.reduce(0, +)
            for n in 0..<100_000 { continuation.yield(n) }
            continuation.finish()
            _ = await consumed
        },
        Scenario(name: "task-hop", summary: "baseline: 10,000 sequential Task spawns + awaits", steps: 10_000) {
            var total = 0
            for n in 0..<10_000 { total += await Task { n & 1 }.value }
            precondition(total == 5_000)
        },
        Scenario(name: "chain", summary: "sequential chain of 10,000 steps, one run", steps: 10_000) {
            _ = try await Engine().run(Chain(), input: 9_999)
        },
        Scenario(name: "fan-out", summary: "1,000 events × 10 ms I/O into a counted join", steps: 1_002) {
            _ = try await Engine().run(FanOut(count: 1_000, delay: .milliseconds(10)), input: 1_000)
        },
        Scenario(name: "concurrent-runs", summary: "100 concurrent runs × 100 steps", steps: 10_000) {
            let engine = Engine()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<100 { group.addTask { try await engine.run(Chain(), input: 99) } }
                try await group.waitForAll()
            }
        },
    ]

    static var all: [Scenario] { inMemory + durable + talk + history + [resume] }

    /// Events of the history `resume` rebuilds: `CAIRN_BENCH_HISTORY`, or 1,000,000.
    static let historyEvents = Int(ProcessInfo.processInfo.environment["CAIRN_BENCH_HISTORY"] ?? "") ?? 1_000_000

    /// Goal 6: a run with a long history resumed to its first new step (the history is built first, in a process of its own).
    static let resume = Scenario.measuring(
        "resume-history", summary: "resume a run of \(historyEvents) events to its first new step", steps: historyEvents, warmsUp: false
    ) {
        let path = journalPath()
        guard try runChild(["history-build", path, "\(historyEvents)"]).status == 0 else {
            throw CairnError(.journalUnavailable, "building the history failed")
        }
        return Extra(seconds: try await HistoryScenario.resume(path: path))
    }
}

/// The figures of one scenario, measured in its own process so peak memory is its own.
struct Figures: Codable {
    let name: String
    let seconds: Double
    let stepsPerSecond: Double
    let peakRSSMiB: Double
    let extra: Scenario.Extra

    var rowsPerSecond: Double? { extra.rows.map { Double($0) / seconds } }
}

/// Runs this binary with `arguments` in a child process: its exit status and what it printed.
func runChild(_ arguments: [String]) throws -> (status: Int32, output: Data) {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    child.arguments = arguments
    let output = Pipe()
    child.standardOutput = output
    try child.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    child.waitUntilExit()
    return (child.terminationStatus, data)
}

/// Peak resident memory of this process (`VmHWM`), in MiB.
func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return .nan }
    return kib / 1024
}
