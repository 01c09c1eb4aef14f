import CairnTesting
import Foundation
import GRDB
import Testing

@Suite("Fork audit data", .hangGuard)
struct ForkAuditTests {
    @Test("a fork of a resumed run counts only its own resumes, copies no 'run resumed' row, and marks its copied prefix")
    func forkOfResumedRun() async throws {
        let run = try await BackgroundRun.crashed("feedback-monitor", input: #"{"sku": "Apple", "cycles": 12, "delayMs": 10, "seed": 7}"#,
                                                  at: "after-commit:8")
        #expect(try await cairn(["resume", run.id, "--db", run.db]).status == 0)
        let origin = try await cairn(["show", run.id, "--db", run.db, "--json"])
        #expect((jsonObject(origin.stdout)["run"] as? [String: Any])?["resumes"] as? Int == 1)
        // Fork after the resume, so the copied prefix holds the origin's interruption and resume.
        let late = try #require(try withJournalDatabase(run.db) { try Int.fetchOne($0, sql: "SELECT MAX(seq) - 3 FROM event") })
        let forked = try await cairn(["fork", run.id, "--at", "\(late)", "--db", run.db, "--json"])
        #expect(forked.status == 0, "\(forked.stderr)")
        let fork = try #require(jsonObject(forked.lines.last ?? "")["runId"] as? String)
        let shown = try await cairn(["show", fork, "--db", run.db, "--json"])
        let summary = jsonObject(shown.stdout)["run"] as? [String: Any]
        #expect(summary?["resumes"] as? Int == 0)
        let kinds = (jsonObject(shown.stdout)["timeline"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(!kinds.contains("resumed") && !kinds.contains("interrupted"), "\(kinds)")
        let text = try await cairn(["show", fork, "--db", run.db])
        #expect(text.stdout.contains("(copied from \(run.id.prefix(8)))"))
        #expect(!text.stdout.contains("run resumed"))
        let decisions = try withJournalDatabase(run.db) { db in
            try Row.fetchAll(db, sql: "SELECT resumed, forked FROM decisions WHERE run_id = ?", arguments: [fork])
        }
        #expect(!decisions.isEmpty)
        #expect(decisions.allSatisfy { ($0["resumed"] as Int) == 0 && ($0["forked"] as Int) == 1 })
    }
}
