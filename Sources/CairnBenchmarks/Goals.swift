import Foundation

/// One goal of the speed issue: the figure it asks for, measured, beside its baseline.
struct Goal {
    let what: String
    let figure: String
    let baseline: String
    let met: Bool?

    var line: String {
        let verdict = met.map { $0 ? "met   " : "missed" } ?? "–     "
        return "  \(verdict) \(what.padding(toLength: 64, withPad: " ", startingAt: 0)) \(figure.padding(toLength: 22, withPad: " ", startingAt: 0)) \(baseline)"
    }

    static func all(_ f: [String: Figures]) -> [Goal] {
        func steps(_ name: String) -> Double { f[name]?.stepsPerSecond ?? .nan }
        func millis(_ name: String) -> Double { (f[name]?.seconds ?? .nan) * 1000 }
        let rowsLimit = steps("sqlite-100-rows")  // one row per "step" there
        let durableRows = f["durable-runs"]?.rowsPerSecond ?? .nan
        let shortBytes = Double(f["monitor-10"]?.extra.bytes ?? 0), longBytes = Double(f["monitor-2000"]?.extra.bytes ?? 0)
        return [
            Goal(what: "1. in-memory chain ≥ 150,000 steps/s", figure: String(format: "%.0f steps/s", steps("chain")),
                 baseline: String(format: "AsyncStream %.0f events/s, Task hop %.0f/s", steps("asyncstream"), steps("task-hop")),
                 met: steps("chain") >= 150_000),
            Goal(what: "1. in-memory 1,000 × 10 ms fan-out into a join ≤ 15 ms", figure: String(format: "%.1f ms", millis("fan-out")),
                 baseline: "ideal 10 ms", met: millis("fan-out") <= 15),
            Goal(what: "1. in-memory 100 runs × 100 steps ≥ 150,000 steps/s", figure: String(format: "%.0f steps/s", steps("concurrent-runs")),
                 baseline: String(format: "AsyncStream %.0f events/s", steps("asyncstream")), met: steps("concurrent-runs") >= 150_000),
            Goal(what: "2. durable chain ≥ 1.0× the 1-row-per-transaction limit",
                 figure: String(format: "%.0f steps/s (%.2f×)", steps("durable-chain"), steps("durable-chain") / steps("sqlite-1-row")),
                 baseline: String(format: "limit %.0f tx/s", steps("sqlite-1-row")), met: steps("durable-chain") >= steps("sqlite-1-row")),
            Goal(what: "3. durable 100 runs × 20 steps ≥ 20,000 steps/s", figure: String(format: "%.0f steps/s", steps("durable-runs")),
                 baseline: "", met: steps("durable-runs") >= 20_000),
            Goal(what: "3. … and ≥ 50% of the 100-rows-per-transaction limit in rows/s",
                 figure: String(format: "%.0f rows/s (%.0f%%)", durableRows, 100 * durableRows / rowsLimit),
                 baseline: String(format: "limit %.0f rows/s", rowsLimit), met: durableRows >= rowsLimit / 2),
            Goal(what: "4. durable 1,000 × 10 ms fan-out into a join ≤ 30 ms", figure: String(format: "%.1f ms", millis("durable-fan-out")),
                 baseline: String(format: "in memory %.1f ms", millis("fan-out")), met: millis("durable-fan-out") <= 30),
            Goal(what: "5. monitor journal: 2,000 cycles ≤ 1.1 × 200 × 10 cycles",
                 figure: String(format: "%.2f× (%.0f vs %.0f B/cycle)", longBytes / (200 * shortBytes), longBytes / 2_000, shortBytes / 10),
                 baseline: "1.10×", met: longBytes <= 1.1 * 200 * shortBytes),
            Goal(what: "6. resume of a \(Scenario.historyEvents)-event run < 1 s, < 100 MiB",
                 figure: String(format: "%.2f s, %.0f MiB", f["resume-history"]?.seconds ?? .nan, f["resume-history"]?.peakRSSMiB ?? .nan),
                 baseline: "the whole log read: 7.9 s, 730 MiB",
                 met: (f["resume-history"]?.seconds ?? .infinity) < 1 && (f["resume-history"]?.peakRSSMiB ?? .infinity) < 100),
        ]
    }
}
