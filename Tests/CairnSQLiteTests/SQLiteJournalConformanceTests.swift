import Cairn
import CairnSQLite
import CairnTesting
import Testing

@Suite("Journal conformance: the SQLite journal", .hangGuard)
struct SQLiteJournalConformanceTests {
    @Test(arguments: JournalConformance.Rule.allCases)
    func conformance(rule: JournalConformance.Rule) async throws {
        let directory = try TemporaryDirectory()
        try await JournalConformance.check(rule) { try SQLiteJournal(path: directory.path("j.sqlite")) }
    }

    @Test(arguments: JournalConformance.InboxRule.allCases)
    func inbox(rule: JournalConformance.InboxRule) async throws {
        let directory = try TemporaryDirectory()
        try await JournalConformance.check(rule) { try SQLiteJournal(path: directory.path("j.sqlite")) }
    }

    @Test(arguments: JournalConformance.PruneRule.allCases)
    func pruning(rule: JournalConformance.PruneRule) async throws {
        let directory = try TemporaryDirectory()
        try await JournalConformance.check(rule) { try SQLiteJournal(path: directory.path("j.sqlite")) }
    }

    /// Each journal is another owner (its own id), as another process opening the same file would be.
    @Test(arguments: JournalConformance.LeaseRule.allCases)
    func leasing(rule: JournalConformance.LeaseRule) async throws {
        let directory = try TemporaryDirectory()
        try await JournalConformance.check(rule) { ttl in try SQLiteJournal(path: directory.path("j.sqlite"), leaseTTL: ttl) }
    }
}
