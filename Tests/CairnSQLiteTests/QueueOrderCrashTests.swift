import Cairn
import CairnTesting
import Foundation
import Testing

/// Thirty items queued to a one-worker step, the process SIGKILLed while an item runs: after resume the step
/// handles the rest in the order an uninterrupted run does, so the join downstream sees the same array.
@Suite("Queue order across real crashes", .hangGuard)
struct QueueOrderCrashTests {
    /// Resumes the killed run in a fresh process and returns the join's array.
    func resumedOrder(_ db: String, _ id: String) async throws -> [Int]? {
        let resumed = try await cairn(["resume", id, "--db", db, "--json"], binary: fixturesBinary)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        return resumed.lines.last.flatMap { jsonObject($0)["result"] as? [Int] }
    }

    @Test("killed at a chosen commit (before or after it), the resumed run keeps the uninterrupted order",
          arguments: ["after-commit:3", "before-commit:5", "after-commit:9", "before-commit:14", "after-commit:22", "before-commit:30"])
    func atCrashPoints(point: String) async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("queue.sqlite"), id = RunID().description
        let killed = try await cairn(["run", "fanout", "--db", db, "--id", id, "--lease-ttl", "1"], environment: ["CAIRN_CRASH_AT": point],
                                     binary: fixturesBinary)
        #expect(killed.killedBySignal, "\(point) was not reached: \(killed.stderr)")
        #expect(try await resumedOrder(db, id) == Array(1...30))
    }

    @Test("killed at random times, twice, the resumed run keeps the uninterrupted order", arguments: 0..<4)
    func atRandomTimes(trial: Int) async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("queue.sqlite"), id = RunID().description
        for round in 0..<2 {
            let arguments = round == 0 ? ["run", "fanout", "--id", id] : ["resume", id]
            let process = try spawnCairn(arguments + ["--db", db, "--lease-ttl", "1"], binary: fixturesBinary)
            // The run journals 96 records (and one per resume); each process is killed a random number of records
            // in, or finds the run ended already (then resume returns the recorded result).
            let target = min(journalLength(db, run: id) + Int.random(in: round == 0 ? 4...50 : 2...30), 92)
            try await waitUntil("the run has journaled \(target) records") { journalLength(db, run: id) >= target }
            process.signal(SIGKILL)
            _ = await process.finish()
        }
        #expect(try await resumedOrder(db, id) == Array(1...30))
    }
}
