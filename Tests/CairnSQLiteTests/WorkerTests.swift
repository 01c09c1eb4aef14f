import Cairn
import CairnInventory
import CairnTesting
import Foundation
import GRDB
import Testing

/// `cairn worker`: takes over runs whose owner died and waiting runs whose event came, each claim a fenced
/// takeover — two workers never drive one run twice — and stops cleanly on SIGTERM, leaving its runs resumable.
@Suite("cairn worker", .hangGuard)
struct WorkerTests {
    private func status(_ path: String, _ run: String) -> String? {
        try? withJournalDatabase(path) { try String.fetchOne($0, sql: "SELECT status FROM run WHERE run_id = ?", arguments: [run]) }
    }

    @Test("a run whose owner was SIGKILLed while it waited is taken over by a worker, which journals what was sent meanwhile and what comes after")
    func takesOverAWaitingRun() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("worker.sqlite")
        let id = RunID().description
        let owner = try spawnCairn(["run", "approvals", "--db", path, "--id", id], binary: fixturesBinary)
        #expect(await owner.stderrShows("cairn send "))
        owner.signal(SIGKILL)
        _ = await owner.finish()
        #expect(try await sendApproval(id, #"{"by": "sent while no one drove it", "done": false}"#, db: path).status == 0)
        let worker = try spawnCairn(["worker", "--db", path, "--poll", "0.1"], binary: fixturesBinary)
        try await waitUntil("the worker took the run over") {
            try withJournalDatabase(path) { try Int.fetchOne($0, sql: "SELECT resumes FROM runs WHERE run_id = ?", arguments: [id]) } == 1
        }
        try await waitUntil("the run waits again, let go by the worker") {
            try withJournalDatabase(path) { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM journal WHERE run_id = ? AND kind = 'run_interrupted'", arguments: [id])
            } == 1
        }
        #expect(try await sendApproval(id, #"{"by": "sent to a run no one held", "done": true}"#, db: path).status == 0)
        try await waitUntil("the run completed") { status(path, id) == "completed" }
        worker.signal(SIGTERM)
        let stopped = await worker.finish()
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("claimed run \(id) (approvals)") && stopped.stderr.contains("worker stopped"), "\(stopped.stderr)")
        let result = try withJournalDatabase(path) { try String.fetchOne($0, sql: "SELECT result FROM runs WHERE run_id = ?", arguments: [id]) }
        #expect(result == #"["sent while no one drove it","sent to a run no one held"]"#)
        let journaled = try withJournalDatabase(path) { db in
            try Int.fetchAll(db, sql: "SELECT COUNT(*) FROM event WHERE run_id = ? AND inbox_seq IS NOT NULL GROUP BY inbox_seq", arguments: [id])
        }
        #expect(journaled == [1, 1], "each send journaled once")
    }

    @Test("a SIGTERM that comes as the worker starts stops it cleanly: exit 0, nothing claimed")
    func signalledAsItStarts() async throws {
        let directory = try TemporaryDirectory()
        let worker = try spawnCairn(["worker", "--db", directory.path("w.sqlite")], environment: ["CAIRN_PAUSE_AT": "worker-start:1"])
        try await waitUntil("the worker stopped at its start") { isStopped(worker.pid) || !worker.process.isRunning }
        worker.signal(SIGTERM)  // pending while the process is stopped; taken by the handler set before the pause
        worker.signal(SIGCONT)
        let stopped = await worker.finish()
        #expect(stopped.status == 0 && stopped.stderr.contains("worker stopped"), "\(stopped.status): \(stopped.stderr)")
    }

    @Test("two workers racing for four crashed runs drive each once: one takeover per run, and each run's ledger as an uninterrupted run's")
    func twoWorkersRace() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("race.sqlite")
        let ids = (0..<4).map { _ in RunID().description }
        for (index, id) in ids.enumerated() {
            let input = #"{"sku": "Apple", "cycles": 3, "delayMs": 5, "seed": \#(index + 1)}"#
            let killed = try await cairn(["run", "feedback-monitor", "--db", path, "--id", id, "--input", input],
                                         environment: ["CAIRN_CRASH_AT": "after-commit:\(3 + index)"])
            #expect(killed.killedBySignal, "\(killed.stderr)")
        }
        let workers = try (0..<2).map { _ in try spawnCairn(["worker", "--db", path, "--poll", "0.05", "--concurrency", "2"]) }
        try await waitUntil("every run completed", limit: .seconds(60)) { ids.allSatisfy { status(path, $0) == "completed" } }
        for worker in workers { worker.signal(SIGTERM) }
        var claims: [String] = []
        for worker in workers {
            let stopped = await worker.finish()
            #expect(stopped.status == 0, "\(stopped.stderr)")
            claims += stopped.stderr.split(separator: "\n").filter { $0.contains("claimed run") }.map(String.init)
        }
        #expect(claims.count == 4, "one claim per run: \(claims)")
        for (index, id) in ids.enumerated() {
            let resumes = try withJournalDatabase(path) { try Int.fetchOne($0, sql: "SELECT resumes FROM runs WHERE run_id = ?", arguments: [id]) }
            #expect(resumes == 1)
            let decisions = try checkJournal(path, run: id, cycles: 3)
            let reference = try await Engine().run(FeedbackMonitor(), input: MonitorInput(sku: "Apple", cycles: 3, delayMs: 0, seed: UInt64(index + 1)))
            #expect(decisions == reference.decisions.map { $0.decision == .good ? "order" : "clear" })
        }
    }

    @Test("a run another version of its workflow started is left to a worker that can drive it: said once, untouched, and the worker goes on with the rest")
    func otherVersionsRunIsLeftOut() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("versions.sqlite")
        let (old, queued) = (RunID().description, RunID().description)
        let killed = try await cairn(["run", "feedback-monitor", "--db", path, "--id", old, "--input", #"{"sku": "Apple", "cycles": 3, "delayMs": 0, "seed": 1}"#],
                                     environment: ["CAIRN_CRASH_AT": "after-commit:3"])
        #expect(killed.killedBySignal, "\(killed.stderr)")
        // As if a binary whose workflow says `version: "v-old"` had started it.
        try await database(path).write { try $0.execute(sql: "UPDATE run SET version = 'v-old' WHERE run_id = ?", arguments: [old]) }
        let length = journalLength(path, run: old)
        let worker = try spawnCairn(["worker", "--db", path, "--poll", "0.05"])
        // A bound, not synchronisation: a worker that never says so is stopped, and the test fails.
        let silent = Task { try await Task.sleep(for: .seconds(60)); worker.signal(SIGTERM) }
        let leftOut = try #require(await worker.stderrUntil("is left to a worker that can drive it"), "the worker never said so")
        silent.cancel()
        #expect(leftOut.contains("started by version 'v-old'"), "\(leftOut)")
        // Looks go on meanwhile: a run queued now is claimed and completed by the same worker.
        #expect(try await cairn(["run", "feedback-monitor", "--detach", "--db", path, "--id", queued,
                                 "--input", #"{"sku": "Apple", "cycles": 2, "delayMs": 0, "seed": 2}"#]).status == 0)
        try await waitUntil("the queued run completed", limit: .seconds(60)) { status(path, queued) == "completed" }
        worker.signal(SIGTERM)
        let stopped = await worker.finish()
        #expect(stopped.status == 0)
        let said = leftOut + stopped.stderr
        #expect(said.components(separatedBy: "is left to a worker").count == 2, "said once, not at every look: \(said)")
        #expect(!said.contains("could not resume"), "\(said)")
        #expect(status(path, old) == "running" && journalLength(path, run: old) == length, "the old version's run was touched")
    }

    @Test("run --detach journals the run as pending and returns; a worker claims and completes it; --timeout with it is refused")
    func detachedRunsGoToWorkers() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("queue.sqlite")
        let id = RunID().description
        let queued = try await cairn(["run", "feedback-monitor", "--detach", "--db", path, "--id", id,
                                      "--input", #"{"sku": "Apple", "cycles": 2, "delayMs": 0, "seed": 2}"#])
        #expect(queued.status == 0 && queued.stdout.contains("is pending: a worker claims it"), "\(queued.stdout)\(queued.stderr)")
        #expect(status(path, id) == "pending" && journalLength(path, run: id) == 1, "nothing ran in the process that queued it")
        let worker = try spawnCairn(["worker", "--db", path, "--poll", "0.05"])
        try await waitUntil("the queued run completed", limit: .seconds(30)) { status(path, id) == "completed" }
        worker.signal(SIGTERM)
        #expect(await worker.finish().status == 0)
        let decisions = try checkJournal(path, run: id, cycles: 2)
        let reference = try await Engine().run(FeedbackMonitor(), input: MonitorInput(sku: "Apple", cycles: 2, delayMs: 0, seed: 2))
        #expect(decisions == reference.decisions.map { $0.decision == .good ? "order" : "clear" })
        let refused = try await cairn(["run", "hello", "--detach", "--timeout", "3", "--db", path])
        #expect(refused.status == 64 && refused.stderr.contains("--timeout is not taken with --detach"))
    }

    @Test("a worker refuses a journal newer than the binary (exit 4) and a file that is not a journal, with one sentence")
    func badJournals() async throws {
        let directory = try TemporaryDirectory()
        let notJournal = directory.path("notes.txt")
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: notJournal))
        let refused = try await cairn(["worker", "--db", notJournal])
        #expect(refused.status == 1 && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: notJournal)) == Data("not a database".utf8))
        let path = directory.path("new.sqlite")
        #expect(try await cairn(["db", "migrate", "--db", path]).status == 0)
        try await database(path).write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('0099_from_the_future')") }
        let tooNew = try await cairn(["worker", "--db", path])
        #expect(tooNew.status == 4 && tooNew.stderr.split(separator: "\n").count == 1, "\(tooNew.stderr)")
    }
}
