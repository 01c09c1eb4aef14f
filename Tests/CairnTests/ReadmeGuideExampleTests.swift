import Cairn
import CairnTesting
import Foundation
import Testing

// README guide: begin
struct Ask: Event {
    static let eventName = "guide.ask"
    var sku: String
}

struct Verdict: Event {
    static let eventName = "guide.verdict"
    var text: String
}

struct SourceDown: Error {}

extension StoreKey where Value == Int {
    static let threshold = StoreKey("threshold")
}

struct StockMonitor: Workflow {
    typealias Input = String
    typealias Output = String
    static let name = "stock-monitor"

    // Versions: runs started by version 1 may be resumed and forked by this code (see below).
    var version: String? { "2" }
    var compatibleVersions: Set<String> { ["1"] }
    var patches: Set<String> { ["strict-threshold"] }
    // Failures the handler may recover in one run, and the store keys the steps use.
    var recoveryBudget: Int { 2 }
    var storeKeys: [AnyStoreKey] { [AnyStoreKey(.threshold)] }

    var steps: [AnyStep] {
        FunctionStep("dispatch") { (start: StartEvent<String>, context) -> Ask? in
            try context.send(Ask(sku: start.input), to: "online")  // only the online source is asked
            return nil
        }
        FunctionStep("online", retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(10), timeLimit: .seconds(30))) {
            (ask: Ask, context) -> Verdict? in
            throw SourceDown()  // down today: three attempts, then the failure handler
        }
        FunctionStep("offline") { (ask: Ask, context) -> Verdict? in Verdict(text: "\(ask.sku): good") }
        FunctionStep("recover") { (failed: StepFailed, context) -> Ask? in
            guard let ask = failed.trigger(as: Ask.self) else { return nil }
            try context.send(ask, to: "offline")  // ask the other source instead
            return nil
        }
        FunctionStep("decide") { (verdict: Verdict, context) -> StopEvent<String>? in
            let threshold = try context.store.get(.threshold) ?? 1
            let strict = context.patched("strict-threshold")  // false for runs started before the patch
            return StopEvent("\(verdict.text), threshold \(strict ? threshold + 1 : threshold)")
        }
    }
}

func monitorApple(on engine: Engine) async throws -> String {
    var store = StoreValues()
    try store.set(.threshold, 2)  // journaled with the start: the first steps see it
    let handle = try await engine.start(StockMonitor(), input: "Apple", store: store)
    return try await handle.result  // "Apple: good, threshold 3"
}

/// The deploy gate: today's code against last week's runs, every divergence at once.
func safeToDeploy(production: any InspectableJournal) async throws -> Bool {
    let lastWeek = try await production.allRuns(
        RunQuery(workflow: StockMonitor.name, since: Date().addingTimeInterval(-7 * 86_400), limit: 500))
    let verdicts = await ReplayGate([WorkflowRegistration(StockMonitor())]).check(lastWeek, in: production)
    return !verdicts.contains { $0.verdict.fails }
}

/// A run carried from production to a test journal, where new code is checked against it.
func reproduce(_ run: RunID, from production: any JournalReader, into test: any Journal) async throws {
    let archive = try await Engine.export(run, from: production)  // `cairn export RUN`
    try await Engine.importRun(archive, into: test, graph: StockMonitor().graph)  // `cairn import FILE`
}
// README guide: end

@Suite("README guide")
struct ReadmeGuideExampleTests {
    @Test("the guide's monitor recovers from its failing source, seeds its store, and passes the deploy gate")
    func guideRuns() async throws {
        let engine = Engine()
        #expect(try await monitorApple(on: engine) == "Apple: good, threshold 3")
        let production = try #require(engine.journal as? InMemoryJournal)
        #expect(try await safeToDeploy(production: production))
        let run = try #require(try await production.runs(RunQuery()).runs.first?.runID)
        let test = InMemoryJournal()
        try await reproduce(run, from: production, into: test)
        #expect(try await Engine(journal: test).replayCheck(StockMonitor(), run: run).divergence == nil)
    }

    @Test("the README shows exactly the guide compiled here")
    func readmeMatches() throws {
        #expect(try readmeShows("guide", of: #filePath),
                "README.md's guide drifted from Tests/CairnTests/ReadmeGuideExampleTests.swift: copy the code between the markers")
    }
}
