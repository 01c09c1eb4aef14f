@testable import CairnSQLite
import CairnTesting
import Foundation
import GRDB
import Testing

/// A lease whose owner is provably gone (a process of this host that no longer runs) does not make a
/// resumer wait for its expiry; a live owner, or one on another host, still does.
@Suite("Dead owners", .hangGuard)
struct DeadOwnerTests {
    @Test("after SIGKILL, list and show say interrupted and resume takes the run over at once, though its lease has 10 minutes left")
    func killedOwnerIsTakenOverAtOnce() async throws {
        let run = try await BackgroundRun.crashed(
            "feedback-monitor", input: #"{"sku": "Apple", "cycles": 16, "delayMs": 10}"#, at: "after-commit:4", leaseTTL: 600)
        let expires = try withJournalDatabase(run.db) { try Double.fetchOne($0, sql: "SELECT expires_at - (SELECT now FROM clock) FROM lease") }
        #expect((expires ?? 0) > 500, "the lease is still live")
        let listed = try await cairn(["list", "--status", "interrupted", "--db", run.db])
        #expect(listed.status == 0 && listed.stdout.contains(String(run.id.prefix(8))), "\(listed.stdout)\(listed.stderr)")
        let shown = try await cairn(["--json", "show", run.id, "--db", run.db])
        #expect(shown.stdout.contains(#""status":"interrupted""#) || shown.stdout.contains(#""status" : "interrupted""#), "\(shown.stdout)")
        let resumed = try await cairn(["resume", run.id, "--db", run.db])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try checkJournal(run.db, run: run.id, cycles: 16)
    }

    @Test("a second Ctrl-C exits at once and gives the lease up: it does not stand for its 10 minutes")
    func secondSignalReleasesTheLease() async throws {
        // The in-flight step and the grace outlast any delay of this test's second signal on a loaded machine: with the
        // default 5 s grace, a signal sent late found the run already stopped the first signal's way.
        let run = try await BackgroundRun.start(
            "feedback-monitor", input: #"{"sku": "Apple", "cycles": 4, "delayMs": 100000}"#, leaseTTL: 600,
            environment: ["CAIRN_INTERRUPT_GRACE": "600"], journaled: 4)
        // Four records: the first step committed and the second (100 s of simulated I/O) is in flight.
        run.process.signal(SIGINT)
        // Signals are not queued: the second must come after the first was taken, which the process says.
        let acknowledged = await run.process.stderrShows("interrupting run")
        #expect(acknowledged)
        run.process.signal(SIGINT)
        let result = await run.process.finish()
        #expect(result.status == 130, "\(result.stderr)")
        #expect(!result.stdout.contains("resume it with"), "the second signal did not wait for the in-flight step")
        let left = try withJournalDatabase(run.db) { try Double.fetchOne($0, sql: "SELECT expires_at - (SELECT now FROM clock) FROM lease") }
        #expect((left ?? 1) < 0, "the lease was given up")
    }

    @Test("after a process stopped by a full disk, resume takes the run over at once once there is room",
          .enabled(if: ReadOnlyMount.available, "mounting a tmpfs needs privileges this machine lacks"))
    func fullDiskOwnerIsTakenOverAtOnce() async throws {
        let disk = try ReadOnlyMount(size: "1m")
        defer { disk.remove() }
        let db = disk.path("j.sqlite")
        let sku = String(repeating: "A", count: 20_000)
        let input = String(decoding: try JSONSerialization.data(withJSONObject: ["sku": sku, "cycles": 200, "delayMs": 0]), as: UTF8.self)
        let full = try await cairn(["run", "feedback-monitor", "--db", db, "--lease-ttl", "600", "--input", input])
        #expect(full.status == 1 && full.stderr.contains("disk holding the journal is full"), "\(full.stderr)")
        let id = try #require(try withJournalDatabase(db) { try String.fetchOne($0, sql: "SELECT run_id FROM run WHERE status = 'running'") })
        try disk.resize("64m")
        let resumed = try await cairn(["resume", id, "--db", db])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try checkJournal(db, run: id, cycles: 200)
    }

    @Test("an owner is gone when its pid does not run, or runs with another start time; alive when it is this process")
    func provablyGone() throws {
        let me = LeaseOwner.current()
        #expect(LeaseOwner(me.description) == me)
        #expect(!me.isProvablyGone)
        let host = ProcessInfo.processInfo.hostName
        let incarnation = try #require(me.incarnation)
        let boot = incarnation.split(separator: ".")[0]
        #expect(LeaseOwner(host: host, pid: me.pid, incarnation: "\(boot).1", suffix: "x").isProvablyGone, "pid reused")
        #expect(LeaseOwner(host: host, pid: me.pid, incarnation: "00000000.\(incarnation.split(separator: ".")[1])", suffix: "x").isProvablyGone,
                "another boot")
        #expect(LeaseOwner(host: host, pid: Int32.max, incarnation: "\(boot).1", suffix: "x").isProvablyGone, "no such pid")
        #expect(!LeaseOwner(host: "elsewhere", pid: Int32.max, incarnation: "\(boot).1", suffix: "x").isProvablyGone, "other hosts: TTL rules")
        #expect(LeaseOwner("vm:3026:fb96c41b") == nil, "an older release's owner: TTL rules")
    }
}
