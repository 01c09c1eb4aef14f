import Cairn
import CairnPostgres
import CairnTesting
import PostgresTestSupport
import Synchronization
import Testing

/// The journal conformance suite, unchanged, against the PostgreSQL journal on a real server: each rule on a fresh
/// database; for the leasing rules, each journal another owner, as another worker on another host would be.
@Suite("Journal conformance: the PostgreSQL journal", .enabled(if: PostgresServer.url != nil, PostgresServer.skipReason),
       .hangGuard)
struct PostgresJournalConformanceTests {
    @Test(arguments: JournalConformance.Rule.allCases)
    func conformance(rule: JournalConformance.Rule) async throws {
        try await Self.withJournals { open in try await JournalConformance.check(rule) { try await open(.seconds(15)) } }
    }

    @Test(arguments: JournalConformance.InboxRule.allCases)
    func inbox(rule: JournalConformance.InboxRule) async throws {
        try await Self.withJournals { open in try await JournalConformance.check(rule) { try await open(.seconds(15)) } }
    }

    @Test(arguments: JournalConformance.PruneRule.allCases)
    func pruning(rule: JournalConformance.PruneRule) async throws {
        try await Self.withJournals { open in try await JournalConformance.check(rule) { try await open(.seconds(15)) } }
    }

    @Test(arguments: JournalConformance.LeaseRule.allCases)
    func leasing(rule: JournalConformance.LeaseRule) async throws {
        try await Self.withJournals { open in try await JournalConformance.check(rule) { ttl in try await open(ttl) } }
    }

    /// Gives `body` a way to open journals on one fresh database; closes them all and drops the database after.
    static func withJournals(_ body: (@escaping @Sendable (Duration) async throws -> PostgresJournal) async throws -> Void) async throws {
        try await PostgresServer.withFreshDatabase { location in
            let opened = Mutex<[PostgresJournal]>([])
            do {
                try await body { ttl in
                    let journal = try await PostgresJournal.open(location, leaseTTL: ttl)
                    opened.withLock { $0.append(journal) }
                    return journal
                }
            } catch {
                for journal in opened.withLock({ $0 }) { await journal.close() }
                throw error
            }
            for journal in opened.withLock({ $0 }) { await journal.close() }
        }
    }
}
