public import Foundation

/// A journal that lists runs and summarises them: what `list`, `show`, `resume --all` and (later) the
/// worker and the HTTP API read. Filtering and paging happen in the journal, before any limit.
public protocol InspectableJournal: JournalReader {
    /// The runs `query` selects, newest first, one page of them, with how many match in all.
    func runs(_ query: RunQuery) async throws -> RunPage
    /// One run; `nil` when it does not exist.
    func summary(of run: RunID) async throws -> RunSummary?
}

extension InspectableJournal {
    /// Every run `query` selects, page by page (the query's own limit is the page size).
    public func allRuns(_ query: RunQuery) async throws -> [RunSummary] {
        var query = query
        var runs: [RunSummary] = []
        while true {
            let page = try await self.runs(query)
            runs += page.runs
            guard page.runs.count == query.limit, runs.count < page.total else { return runs }
            query.offset += page.runs.count
        }
    }

    /// One run with everything its journal holds; `nil` when it does not exist.
    public func detail(of run: RunID) async throws -> RunDetail? {
        guard let summary = try await summary(of: run) else { return nil }
        // A pruned run has its summary and nothing else.
        return RunDetail(summary: summary, records: summary.prunedAt == nil ? try await records(for: run) : [])
    }
}

/// Which runs to list. Every filter is applied by the journal, then the page is cut.
public struct RunQuery: Sendable, Equatable {
    /// A status word of the listing: a ``RunStatus``, or `interrupted` (unfinished, and no live owner).
    public enum Status: Hashable, Sendable {
        case status(RunStatus)
        case interrupted

        /// `completed`, `timed_out`, … or `interrupted`.
        public init?(word: String) {
            if word == "interrupted" {
                self = .interrupted
            } else if let status = RunStatus(rawValue: word) {
                self = .status(status)
            } else {
                return nil
            }
        }

        /// Every word a listing accepts.
        public static var words: [String] { RunStatus.allCases.map(\.rawValue) + ["interrupted"] }

        /// Whether `summary` has this status. `running` includes interrupted runs (they are running, with no owner).
        public func matches(_ summary: RunSummary) -> Bool {
            switch self {
            case .status(let status): summary.status == status
            case .interrupted: summary.interrupted
            }
        }
    }

    /// Runs with any of these statuses; every run when empty.
    public var statuses: Set<Status>
    /// Only runs of this workflow.
    public var workflow: String?
    /// Only runs that have not ended (whatever their status word).
    public var unfinishedOnly: Bool
    /// Only forks of this run.
    public var forkedFrom: RunID?
    /// Only children of this run (``WorkflowContext/call(_:input:)``).
    public var parent: RunID?
    /// Only runs started at this time or later.
    public var since: Date?
    /// Only runs started before this time.
    public var until: Date?
    /// Only runs whose id begins with this (lowercase hex digits and dashes).
    public var idPrefix: String?
    /// The page: at most `limit` runs, after skipping `offset`.
    public var limit: Int
    public var offset: Int

    public init(
        statuses: Set<Status> = [], workflow: String? = nil, unfinishedOnly: Bool = false, forkedFrom: RunID? = nil, since: Date? = nil,
        until: Date? = nil, idPrefix: String? = nil, parent: RunID? = nil, limit: Int = 50, offset: Int = 0
    ) {
        self.statuses = statuses
        self.workflow = workflow
        self.unfinishedOnly = unfinishedOnly
        self.forkedFrom = forkedFrom
        self.parent = parent
        self.since = since
        self.until = until
        self.idPrefix = idPrefix
        self.limit = limit
        self.offset = offset
    }

    /// Whether `summary` passes every filter (for journals that filter in Swift, like the in-memory one).
    public func matches(_ summary: RunSummary) -> Bool {
        (statuses.isEmpty || statuses.contains { $0.matches(summary) })
            && (workflow == nil || summary.workflow == workflow)
            && (!unfinishedOnly || summary.finishedAt == nil)
            && (forkedFrom == nil || summary.originRunID == forkedFrom)
            && (parent == nil || summary.parentRunID == parent)
            && (since.map { summary.createdAt >= $0 } ?? true)
            && (until.map { summary.createdAt < $0 } ?? true)
            && (idPrefix.map { summary.runID.description.hasPrefix($0) } ?? true)
    }
}

/// One page of a listing.
public struct RunPage: Sendable {
    /// Newest first.
    public let runs: [RunSummary]
    /// How many runs match the query, on every page.
    public let total: Int

    public init(runs: [RunSummary], total: Int) {
        self.runs = runs
        self.total = total
    }
}
