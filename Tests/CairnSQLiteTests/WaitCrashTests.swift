import Cairn
import CairnInventory
import CairnTesting
import Foundation
import GRDB
import Testing

/// Contract 11–13 under SIGKILL, with real processes: a send, its owner, a timer and a worker's claim killed at
/// chosen points. After each: every sent event journaled exactly once, answered waits not asked again, ledger
/// rows = decisions, nothing that committed run twice.
@Suite("Crashes around waits", .hangGuard)
struct WaitCrashTests {
    private func query<T: DatabaseValueConvertible>(_ path: String, _ sql: String, _ arguments: StatementArguments = []) -> T? {
        try? withJournalDatabase(path) { try T.fetchOne($0, sql: sql, arguments: arguments) }
    }

    /// Each sent event is journaled once: the inbox seqs of the run's events, with how many times each is there.
    private func journaledOnce(_ path: String, run: String) throws -> Bool {
        try withJournalDatabase(path) { db in
            let sent = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inbox WHERE run_id = ?", arguments: [run]) ?? 0
            let counts = try Int.fetchAll(db, sql: "SELECT COUNT(*) FROM event WHERE run_id = ? AND inbox_seq IS NOT NULL GROUP BY inbox_seq",
                                          arguments: [run])
            return counts.count == sent && counts.allSatisfy { $0 == 1 }
        }
    }

    @Test("SIGKILL of the owner between reading an inbox row and journaling it, or right after: the resumer journals each send once",
          arguments: ["before-receive:1", "after-receive:1"])
    func ownerKilledAroundReceive(_ point: String) async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("receive.sqlite")
        let id = RunID().description
        let owner = try spawnCairn(["run", "approvals", "--db", path, "--id", id], environment: ["CAIRN_CRASH_AT": point], binary: fixturesBinary)
        #expect(await owner.stderrShows("cairn send "))
        #expect(try await sendApproval(id, #"{"by": "a", "done": false}"#, db: path).status == 0)
        let killed = await owner.finish()
        #expect(killed.killedBySignal && killed.stderr.contains("crash point \(point) reached"), "\(killed.stderr)")
        let resumer = try spawnCairn(["resume", id, "--db", path, "--json"], binary: fixturesBinary)
        #expect(await resumer.stderrShows("cairn send "))
        #expect(try await sendApproval(id, #"{"by": "b", "done": true}"#, db: path).status == 0)
        let resumed = await resumer.finish()
        #expect(resumed.status == 0 && jsonObject(resumed.lines.last ?? "")["result"] as? [String] == ["a", "b"], "\(resumed.stderr)")
        #expect(try journaledOnce(path, run: id))
    }

    @Test("SIGKILL of a sender after its row is durable: the event is delivered, and the retry with its key delivers nothing more")
    func senderKilledAfterTheRowIsDurable() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("sender.sqlite")
        let id = RunID().description
        let owner = try spawnCairn(["run", "approvals", "--db", path, "--id", id, "--json"], binary: fixturesBinary)
        #expect(await owner.stderrShows("cairn send "))
        let killed = try await sendApproval(id, #"{"by": "once", "done": true}"#, key: "k", db: path, environment: ["CAIRN_CRASH_AT": "after-send:1"])
        #expect(killed.killedBySignal)
        let retried = try await sendApproval(id, #"{"by": "once", "done": true}"#, key: "k", db: path)
        #expect(retried.status == 0 && retried.stdout.contains("already sent with key 'k'"), "\(retried.stdout)\(retried.stderr)")
        let result = await owner.finish()
        #expect(result.status == 0 && jsonObject(result.lines.last ?? "")["result"] as? [String] == ["once"], "\(result.stderr)")
        #expect(try journaledOnce(path, run: id))
    }

    @Test("a delayed event that falls due while no process lives is delivered once, late, by the worker that comes after")
    func timerDueWhileNobodyLives() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("timer.sqlite")
        let id = RunID().description
        let killed = try await cairn(["run", "reminder", "--db", path, "--id", id, "--input", "300"], environment: ["CAIRN_CRASH_AT": "after-waiting:1"],
                                     binary: fixturesBinary)
        #expect(killed.killedBySignal && query(path, "SELECT status FROM run WHERE run_id = ?", [id]) == "waiting", "\(killed.stderr)")
        let wake: String = try #require(query(path, "SELECT wake_at FROM run WHERE run_id = ?", [id]))
        try await waitUntil("the timer fell due with no process alive") {
            query(path, "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') > ?", [wake]) == true
        }
        let worker = try spawnCairn(["worker", "--db", path, "--poll", "0.05"], binary: fixturesBinary)
        try await waitUntil("the worker delivered it") { query(path, "SELECT status FROM run WHERE run_id = ?", [id]) == "completed" }
        worker.signal(SIGTERM)
        #expect(await worker.finish().status == 0)
        #expect(query(path, "SELECT COUNT(*) FROM journal WHERE run_id = ? AND kind = 'timers_fired'", [id]) == 1)
        let firedAt: String = try #require(query(path, "SELECT at FROM journal WHERE run_id = ? AND kind = 'timers_fired'", [id]))
        #expect(firedAt >= wake, "never early")
    }

    @Test("SIGKILL as a timer falls due, before its firing is journaled: the resumer fires it once")
    func killedAsTheTimerFires() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("fire.sqlite")
        let id = RunID().description
        let killed = try await cairn(["run", "reminder", "--db", path, "--id", id, "--input", "50"], environment: ["CAIRN_CRASH_AT": "before-timers:1"],
                                     binary: fixturesBinary)
        #expect(killed.killedBySignal, "\(killed.stderr)")
        let resumed = try await cairn(["resume", id, "--db", path, "--json"], binary: fixturesBinary)
        #expect(resumed.status == 0 && jsonObject(resumed.lines.last ?? "")["result"] as? Int == 50, "\(resumed.stderr)")
        #expect(query(path, "SELECT COUNT(*) FROM journal WHERE run_id = ? AND kind = 'timers_fired'", [id]) == 1)
    }

    @Test("SIGKILL of a worker while it takes a run over: the next worker finishes it, once")
    func workerKilledDuringItsClaim() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("claim.sqlite")
        let id = RunID().description
        let owner = try spawnCairn(["run", "approvals", "--db", path, "--id", id], binary: fixturesBinary)
        #expect(await owner.stderrShows("cairn send "))
        owner.signal(SIGKILL)
        _ = await owner.finish()
        #expect(try await sendApproval(id, #"{"by": "z", "done": true}"#, db: path).status == 0)
        let first = try await cairn(["worker", "--db", path, "--poll", "0.05"], environment: ["CAIRN_CRASH_AT": "during-resume:1"],
                                    binary: fixturesBinary)
        #expect(first.killedBySignal, "\(first.stderr)")
        let second = try spawnCairn(["worker", "--db", path, "--poll", "0.05"], binary: fixturesBinary)
        try await waitUntil("the second worker finished the run") { query(path, "SELECT status FROM run WHERE run_id = ?", [id]) == "completed" }
        second.signal(SIGTERM)
        #expect(await second.finish().status == 0)
        #expect(try journaledOnce(path, run: id))
    }

    @Test("SIGKILL of a monitor's owner while its order waits for approval: the answer sent meanwhile is taken once, the ledger is one row per decision")
    func monitorKilledWhileWaiting() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("monitor.sqlite")
        let id = RunID().description
        let seed: UInt64 = 7
        let input = #"{"sku": "Apple", "cycles": 3, "delayMs": 0, "seed": \#(seed), "approveOver": 5}"#
        let owner = try spawnCairn(["run", "feedback-monitor", "--db", path, "--id", id, "--input", input])
        #expect(await owner.stderrShows("cairn send \(id) inventory.approval"))
        owner.signal(SIGKILL)
        _ = await owner.finish()
        let approve = #"{"approved": true, "by": "ada"}"#
        #expect(try await cairn(["send", id, "inventory.approval", "--payload", approve, "--db", path]).status == 0)
        let resumer = try spawnCairn(["resume", id, "--db", path, "--json"])
        let reference = try await Engine().run(FeedbackMonitor(), input: MonitorInput(sku: "Apple", cycles: 3, delayMs: 0, seed: seed))
        for _ in 1..<reference.orders {
            #expect(await resumer.stderrShows("cairn send \(id) inventory.approval"))
            #expect(try await cairn(["send", id, "inventory.approval", "--payload", approve, "--db", path]).status == 0)
        }
        #expect(await resumer.finish().status == 0)
        let decisions = try checkJournal(path, run: id, cycles: 3)
        #expect(decisions == reference.decisions.map { $0.decision == .good ? "order" : "clear" })
        let answered: Int? = query(path, "SELECT COUNT(*) FROM event WHERE run_id = ? AND answers_execution IS NOT NULL OR (run_id = ? AND seq IN "
            + "(SELECT json_each.value FROM journal, json_each(journal.triggers) WHERE journal.run_id = ? AND journal.kind = 'wait_answered'))",
                                   [id, id, id])
        #expect(answered == reference.orders, "each approval answered one wait")
        #expect(try journaledOnce(path, run: id))
    }

    @Test("SIGKILL of a run that sends a message to another, before or after its commit: after resume the message was delivered exactly once",
          arguments: ["before-commit:2", "after-commit:2", "before-commit:3", "after-commit:3"])
    func senderRunKilledAroundItsCommit(_ point: String) async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("message.sqlite")
        let receiver = RunID().description, sender = RunID().description
        let owner = try spawnCairn(["run", "approvals", "--db", path, "--id", receiver, "--json"], binary: fixturesBinary)
        #expect(await owner.stderrShows("cairn send "))
        let input = "\"\(receiver)\""
        let killed = try await cairn(["run", "notifier", "--db", path, "--id", sender, "--input", input], environment: ["CAIRN_CRASH_AT": point],
                                     binary: fixturesBinary)
        #expect(killed.killedBySignal, "\(killed.stderr)")
        let delivered: Int? = query(path, "SELECT COUNT(*) FROM inbox WHERE run_id = ?", [receiver])
        let committed: Int? = query(path, "SELECT COUNT(*) FROM journal WHERE run_id = ? AND kind = 'execution_finished'", [sender])
        #expect(delivered == committed, "the message exists exactly when the commit that sent it does")
        let started: Int? = query(path, "SELECT COUNT(*) FROM run WHERE run_id = ?", [sender])
        let again = started == 1 ? ["resume", sender, "--db", path] : ["run", "notifier", "--db", path, "--id", sender, "--input", input]
        let resumed = try await cairn(again, binary: fixturesBinary)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let result = await owner.finish()
        #expect(result.status == 0 && jsonObject(result.lines.last ?? "")["result"] as? [String] == ["notifier"], "\(result.stderr)")
        #expect(query(path, "SELECT COUNT(*) FROM inbox WHERE run_id = ?", [receiver]) == 1)
        #expect(try journaledOnce(path, run: receiver))
    }

    @Test("SIGKILL of a parent while its child waits: resuming the parent re-attaches to the same child, which finishes once")
    func parentKilledWhileItsChildWaits() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("child.sqlite")
        let parent = RunID()
        let child = RunID.child(of: parent, execution: 1, call: "call:approvals#1").description
        let owner = try spawnCairn(["run", "caller", "--db", path, "--id", parent.description], binary: fixturesBinary)
        try await waitUntil("the child waits") { query(path, "SELECT status FROM run WHERE run_id = ?", [child]) == "waiting" }
        owner.signal(SIGKILL)
        _ = await owner.finish()
        let resumer = try spawnCairn(["resume", parent.description, "--db", path, "--json"], binary: fixturesBinary)
        try await waitUntil("the child was taken over") { query(path, "SELECT resumes FROM runs WHERE run_id = ?", [child]) == 1 }
        #expect(try await sendApproval(child, #"{"by": "after the kill", "done": true}"#, db: path).status == 0)
        let resumed = await resumer.finish()
        #expect(resumed.status == 0 && jsonObject(resumed.lines.last ?? "")["result"] as? [String] == ["after the kill"], "\(resumed.stderr)")
        #expect(query(path, "SELECT COUNT(*) FROM run") == 2, "one child")
        #expect(query(path, "SELECT COUNT(*) FROM journal WHERE run_id = ? AND kind = 'run_started'", [child]) == 1)
        #expect(query(path, "SELECT parent_run_id FROM runs WHERE run_id = ?", [child]) == parent.description)
    }
}
