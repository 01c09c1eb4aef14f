import CairnTesting
import Foundation
import GRDB
import Testing

/// `cairn send` between processes: a run one process drives is woken by an event another process sends, and
/// the refusals of contract 11 with their exit codes.
@Suite("cairn send", .hangGuard)
struct SendCommandTests {
    /// The id of the one run in the journal, once it exists.
    private func onlyRun(_ path: String) async throws -> String {
        var id: String?
        try await waitUntil("the run is journaled") {
            id = try? withJournalDatabase(path) { try String.fetchOne($0, sql: "SELECT run_id FROM run") }
            return id != nil
        }
        return id!
    }

    @Test("a run driven by one process says how to answer it, and is woken by sends from other processes; a repeated key delivers nothing")
    func sendAcrossProcesses() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("send.sqlite")
        let owner = try spawnCairn(["run", "approvals", "--db", path, "--json"], binary: fixturesBinary)
        #expect(await owner.stderrShows("fixtures.approval --payload '{…}' --db \(path)"))
        let run = try await onlyRun(path)

        let first = try await sendApproval(run, #"{"by": "ada", "done": false}"#, key: "a", db: path)
        #expect(first.status == 0 && first.stdout.contains("sent 'fixtures.approval' to run \(run) (#1 in its inbox)"), "\(first.stderr)")
        let again = try await sendApproval(run, #"{"by": "ada again", "done": true}"#, key: "a", db: path)
        #expect(again.status == 0 && again.stdout.contains("already sent with key 'a'") && again.stdout.contains("#1"), "\(again.stderr)")
        let last = try await cairn(["send", run, "fixtures.approval", "--payload", #"{"by": "bo", "done": true}"#, "--db", path, "--json"],
                                   binary: fixturesBinary)
        #expect(jsonObject(last.stdout)["inboxSeq"] as? Int == 2 && jsonObject(last.stdout)["duplicate"] as? Bool == false)

        let result = await owner.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(jsonObject(result.lines.last ?? "")["result"] as? [String] == ["ada", "bo"])
        let journaled = try withJournalDatabase(path) { db in
            try Row.fetchAll(db, sql: "SELECT inbox_seq, event_seq FROM messages WHERE run_id = ? ORDER BY inbox_seq", arguments: [run])
                .map { [$0["inbox_seq"] as Int, $0["event_seq"] as Int? ?? -1] }
        }
        #expect(journaled.count == 2 && journaled.allSatisfy { $0[1] > 0 }, "every send journaled once: \(journaled)")
    }

    @Test("an interrupted waiting run is listed waiting; an event sent meanwhile is journaled when it is resumed")
    func sendWhileNobodyDrives() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("idle.sqlite")
        let owner = try spawnCairn(["run", "approvals", "--db", path], binary: fixturesBinary)
        #expect(await owner.stderrShows("cairn send "))
        let run = try await onlyRun(path)
        owner.signal(SIGINT)
        _ = await owner.finish()
        let listed = try await cairn(["list", "--status", "waiting", "--db", path, "--json"], binary: fixturesBinary)
        #expect(listed.stdout.contains(run), "\(listed.stdout)\(listed.stderr)")
        let shown = try await cairn(["show", run, "--db", path], binary: fixturesBinary)
        #expect(shown.stdout.contains("waiting for  events sent to it ('fixtures.approval')")
            && shown.stdout.contains("answer with  cairn send \(run) fixtures.approval"), "\(shown.stdout)")
        let described = try await cairn(["workflows", "approvals"], binary: fixturesBinary)
        #expect(described.stdout.contains("accepts fixtures.approval (cairn send)"), "\(described.stdout)")
        #expect(try await sendApproval(run, #"{"by": "cy", "done": true}"#, db: path).status == 0)
        let resumed = try await cairn(["resume", run, "--db", path, "--json"], binary: fixturesBinary)
        #expect(resumed.status == 0 && jsonObject(resumed.lines.last ?? "")["result"] as? [String] == ["cy"], "\(resumed.stderr)")
    }

    @Test("sends are refused with one sentence and the contract's code, the inbox unchanged")
    func refusals() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("refuse.sqlite")
        let owner = try spawnCairn(["run", "approvals", "--db", path], binary: fixturesBinary)
        #expect(await owner.stderrShows("cairn send "))
        let run = try await onlyRun(path)
        let cases: [(arguments: [String], status: Int32, says: String)] = [
            (["send", "6f1c2d3e-0000-4000-8000-000000000001", "fixtures.approval"], 66, "No run"),
            (["send", run, "fixtures.other"], 65, "accepts 'fixtures.approval'"),
            (["send", run, "fixtures.approval", "--payload", #"{"by": 3, "done": true}"#], 65, "'by'"),
            (["send", run, "fixtures.approval", "--payload", "@\(directory.path("missing.json"))"], 66, "No file"),
            (["send", run, "fixtures.approval", "--payload", "{"], 65, "payload"),
        ]
        for (arguments, status, says) in cases {
            let result = try await cairn(arguments + ["--db", path], binary: fixturesBinary)
            #expect(result.status == status && result.stderr.contains(says) && result.stderr.split(separator: "\n").count == 1,
                    "\(arguments): \(result.status) \(result.stderr)")
        }
        #expect(try withJournalDatabase(path) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM inbox") } == 0)
        #expect(try await sendApproval(run, #"{"by": "di", "done": true}"#, db: path).status == 0)
        #expect(await owner.finish().status == 0)
        let ended = try await sendApproval(run, #"{"by": "late", "done": true}"#, db: path)
        #expect(ended.status == 1 && ended.stderr.contains("has ended completed"), "\(ended.stderr)")
    }
}
