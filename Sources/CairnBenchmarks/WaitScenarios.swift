import Cairn
import CairnSQLite
import Foundation
import GRDB
import Synchronization

/// A ping sent to a run from outside.
struct Ping: Event {
    static let eventName = "bench.ping"
    var n: Int
}

/// Waits for pings for ever: each one runs `pong`, which tells `started` when it starts.
struct Pinged: Workflow {
    static let name = "bench-pinged"
    typealias Input = Int
    typealias Output = Int
    let started: @Sendable (Int) -> Void
    var accepts: [any Event.Type] { [Ping.self] }

    var steps: [AnyStep] {
        FunctionStep("begin") { (start: StartEvent<Int>, context) -> NoEvent? in nil }
        FunctionStep("pong") { [started] (ping: Ping, context) -> StopEvent<Int>? in
            started(ping.n)
            return ping.n < 0 ? StopEvent(ping.n) : nil
        }
    }
}

/// Waits (contract 11–13), measured: how soon a sent event starts its step in the same process and in
/// another, what 1,000 idle waiting runs cost, and how soon a worker takes over a run whose owner died.
enum WaitBenchmarks {
    static let pings = 300

    /// The latencies, in milliseconds, of `pings` sends each to a run this process drives: send called → the
    /// step it wakes started.
    static func inProcess() async throws -> [Double] {
        let journal = try SQLiteJournal(path: Scenario.journalPath())
        defer { journal.close() }
        let arrivals = Arrivals()
        let engine = Engine(journal: journal)
        let handle = try await engine.start(Pinged(started: arrivals.arrived), input: 0)
        var latencies: [Double] = []
        for n in 1...pings {
            let sent = ContinuousClock.now
            try await engine.send(Ping(n: n), to: handle.runID)
            let started = await arrivals.wait(for: n)
            latencies.append(Double((started - sent).components.attoseconds) / 1e15 + Double((started - sent).components.seconds) * 1000)
        }
        handle.cancel()
        return latencies
    }

    /// The latencies, in milliseconds, of `pings` sends from this process to a run another process drives
    /// (`cairn-bench wake-owner`): send called → the owner's step started, by the wall clock both share.
    static func acrossProcesses() async throws -> [Double] {
        let path = Scenario.journalPath()
        let owner = Process()
        owner.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        owner.arguments = ["wake-owner", path]
        let output = Pipe()
        owner.standardOutput = output
        try owner.run()
        let lines = LineReader(output.fileHandleForReading)
        guard let ready = lines.next(), ready.hasPrefix("ready "), let run = RunID(String(ready.dropFirst(6))) else {
            throw CairnError(.journalUnavailable, "the owner process did not start its run")
        }
        let journal = try SQLiteJournal(path: path)
        defer { journal.close() }
        let engine = Engine(journal: journal)
        var latencies: [Double] = []
        for n in 1...pings {
            let sent = Date()
            try await engine.send(Ping(n: n), to: run)
            guard let line = lines.next(), let started = Double(line.split(separator: " ").last ?? "") else { break }
            latencies.append((started - sent.timeIntervalSince1970) * 1000)
        }
        try await engine.send(Ping(n: -1), to: run)  // ends the run, and the owner with it
        owner.waitUntilExit()
        return latencies
    }

    /// The owner side of ``acrossProcesses()``: drives one run, printing when each ping's step starts.
    static func owner(path: String) async throws {
        let journal = try SQLiteJournal(path: path)
        let handle = try await Engine(journal: journal).start(Pinged(started: { n in
            guard n > 0 else { return }
            FileHandle.standardOutput.write(Data("started \(n) \(Date().timeIntervalSince1970)\n".utf8))
        }), input: 0)
        FileHandle.standardOutput.write(Data("ready \(handle.runID)\n".utf8))
        _ = try await handle.result
        journal.close()
    }

    /// CPU seconds this process spends in 10 s holding `runs` waiting runs (user + system), after they all wait.
    static func idleCPU(runs: Int, seconds: Double) async throws -> Double {
        let journal = try SQLiteJournal(path: Scenario.journalPath())
        defer { journal.close() }
        let engine = Engine(journal: journal)
        var handles: [RunHandle<Int>] = []
        for _ in 0..<runs { handles.append(try await engine.start(Pinged(started: { _ in }), input: 0)) }
        for handle in handles {
            for await _ in handle.waits { break }
        }
        let before = cpuSeconds()
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))  // the idle period measured
        let used = cpuSeconds() - before
        for handle in handles { handle.cancel() }
        return used
    }

    /// Seconds from a run's owner being SIGKILLed mid-step to the first step a `cairn worker` starts for it,
    /// by the journal's own time of that record; `trials` times. The owner is a process of this host, so the
    /// worker knows it is dead at once and waits for no lease to expire.
    static func recovery(cairn: String, trials: Int) async throws -> [Double] {
        var latencies: [Double] = []
        for _ in 0..<trials {
            let path = Scenario.journalPath()
            let worker = try spawn(cairn, ["worker", "--db", path, "--poll", "0.05", "--log-level", "error"])
            let id = RunID().description
            let owner = try spawn(cairn, ["run", "feedback-monitor", "--db", path, "--id", id, "--input",
                                          #"{"sku": "Apple", "cycles": 3, "delayMs": 400, "seed": 1}"#])
            while !FileManager.default.fileExists(atPath: path) { try await Task.sleep(for: .milliseconds(5)) }  // the owner creates it
            var readonly = Configuration()
            readonly.readonly = true
            readonly.busyMode = .timeout(10)  // the owner is creating the journal
            let reader = try DatabaseQueue(path: path, configuration: readonly)
            func position() -> Int {
                (try? reader.read { try Int.fetchOne($0, sql: "SELECT MAX(position) FROM journal WHERE run_id = ? AND kind = 'execution_started'",
                                                    arguments: [id]) ?? 0 }) ?? 0
            }
            while position() < 2 { try await Task.sleep(for: .milliseconds(5)) }  // a feedback call is in flight
            let killed = Date()
            kill(owner.processIdentifier, SIGKILL)
            owner.waitUntilExit()
            var resumedAt: String?
            while resumedAt == nil {
                try await Task.sleep(for: .milliseconds(5))
                resumedAt = try? await reader.read { db in
                    try String.fetchOne(db, sql: """
                        SELECT s.at FROM journal AS s WHERE s.run_id = ? AND s.kind = 'execution_started'
                          AND s.position > (SELECT position FROM journal WHERE run_id = ? AND kind = 'run_resumed') ORDER BY s.position LIMIT 1
                        """, arguments: [id, id])
                }
            }
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            guard let resumed = iso.date(from: resumedAt!) else { throw CairnError(.journalDamaged, "unreadable time \(resumedAt!)") }
            latencies.append(resumed.timeIntervalSince(killed))
            worker.terminate()
            worker.waitUntilExit()
        }
        return latencies
    }

    private static func spawn(_ binary: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

/// Which pings' steps have started, and who waits for which.
final class Arrivals: Sendable {
    private let state = Mutex<(arrived: [Int: ContinuousClock.Instant], waiters: [Int: CheckedContinuation<ContinuousClock.Instant, Never>])>(([:], [:]))

    var arrived: @Sendable (Int) -> Void {
        { [self] n in
            let now = ContinuousClock.now
            let waiter = state.withLock { state in
                state.arrived[n] = now
                return state.waiters.removeValue(forKey: n)
            }
            waiter?.resume(returning: now)
        }
    }

    func wait(for n: Int) async -> ContinuousClock.Instant {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> ContinuousClock.Instant? in
                if let at = state.arrived[n] { return at }
                state.waiters[n] = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }
}

/// Lines of a pipe, read as they come.
final class LineReader {
    private let handle: FileHandle
    private var buffer = Data()

    init(_ handle: FileHandle) { self.handle = handle }

    func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                defer { buffer.removeSubrange(...newline) }
                return String(decoding: buffer[..<newline], as: UTF8.self)
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer += chunk
        }
    }
}

/// One figure of the waits, measured in a child process of this binary (`cairn-bench wait-figure NAME`).
enum WaitFigure: String, CaseIterable {
    case wakeInProcess = "wake-in-process"
    case wakeAcrossProcesses = "wake-across-processes"
    case idleCPU = "idle-cpu"
    case recovery

    static let idleRuns = 1_000, idleSeconds = 10.0, recoveryTrials = 5

    /// Its values: latencies in milliseconds, or CPU seconds.
    func measure() async throws -> [Double] {
        switch self {
        case .wakeInProcess: try await WaitBenchmarks.inProcess()
        case .wakeAcrossProcesses: try await WaitBenchmarks.acrossProcesses()
        case .idleCPU: [try await WaitBenchmarks.idleCPU(runs: Self.idleRuns, seconds: Self.idleSeconds)]
        case .recovery:
            try await WaitBenchmarks.recovery(cairn: URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("cairn").path, trials: Self.recoveryTrials).map { $0 * 1000 }
        }
    }

    /// Measures it in a child process.
    func measured() throws -> [Double] {
        let (status, data) = try runChild(["wait-figure", rawValue])
        guard status == 0, let values = try? JSONDecoder().decode([Double].self, from: data), !values.isEmpty else {
            throw CairnError(.journalUnavailable, "\(rawValue) failed (exit \(status))")
        }
        return values
    }

    /// The waits' goals, each measured now.
    static func goals() throws -> [Goal] {
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        let local = try wakeInProcess.measured(), remote = try wakeAcrossProcesses.measured()
        let idle = try idleCPU.measured()[0], recovered = try recovery.measured()
        return [
            Goal(what: "send → step started, same process: < 1 ms",
                 figure: String(format: "p50 %.2f ms, p99 %.2f ms", percentile(local, 0.5), percentile(local, 0.99)),
                 baseline: "\(local.count) sends; one fsync each (the inbox row; its journaling is pipelined)", met: percentile(local, 0.5) < 1),
            Goal(what: "send → step started, across processes: p99 < 100 ms",
                 figure: String(format: "p50 %.1f ms, p99 %.1f ms", percentile(remote, 0.5), percentile(remote, 0.99)),
                 baseline: "the owner stats the write-ahead log every \(SQLiteJournal.inboxWatchTick.components.attoseconds / 1_000_000_000_000_000) ms",
                 met: percentile(remote, 0.99) < 100),
            Goal(what: "\(idleRuns) waiting runs held \(Int(idleSeconds)) s: near-zero CPU",
                 figure: String(format: "%.3f s CPU (%.2f%% of a core)", idle, 100 * idle / idleSeconds),
                 baseline: "the log looked at every 10 ms; \(idleRuns) lease renewals every 5 s", met: idle / idleSeconds < 0.01),
            Goal(what: "owner SIGKILLed → a worker's first new step: < 100 ms",
                 figure: String(format: "median %.0f ms, max %.0f ms", percentile(recovered, 0.5), recovered.max() ?? .nan),
                 baseline: "\(recovered.count) trials; owner provably dead: no lease TTL to wait", met: percentile(recovered, 0.5) < 100),
        ]
    }
}
