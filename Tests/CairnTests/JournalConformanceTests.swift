import Cairn
import CairnTesting
import Testing

@Suite("Journal conformance: the in-memory journal", .hangGuard)
struct InMemoryJournalConformanceTests {
    @Test(arguments: JournalConformance.Rule.allCases)
    func conformance(rule: JournalConformance.Rule) async throws {
        try await JournalConformance.check(rule) { InMemoryJournal() }
    }

    @Test(arguments: JournalConformance.InboxRule.allCases)
    func inbox(rule: JournalConformance.InboxRule) async throws {
        try await JournalConformance.check(rule) { InMemoryJournal() }
    }
}
