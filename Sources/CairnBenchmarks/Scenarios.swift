import Cairn
import Foundation

/// One benchmark: what it does, and how many step executions it makes.
struct Scenario: Sendable {
    let name: String
    let summary: String
    let steps: Int
    let body: @Sendable () async throws -> Void

    static let all: [Scenario] = [
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
}

/// The figures of one scenario, measured in its own process so peak memory is its own.
struct Figures: Codable {
    let name: String
    let seconds: Double
    let stepsPerSecond: Double
    let peakRSSMiB: Double
}

/// Peak resident memory of this process (`VmHWM`), in MiB.
func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return .nan }
    return kib / 1024
}
