import Cairn
import CairnTesting
import Foundation
import Testing

/// The run's store: seeded at the start, keys removed, declared keys held to one type.
@Suite("The run's store", .hangGuard)
struct StoreTests {
    static let budget = StoreKey<Int>("budget")
    static let note = StoreKey<String>("note")
    static let budgetAsText = StoreKey<String>("budget")

    /// `spend` reads the seeded budget and removes the note; `report` sees both as committed.
    struct Spender: Workflow {
        typealias Input = Int
        typealias Output = [String]
        static let name = "spender"
        var storeKeys: [AnyStoreKey] { [AnyStoreKey(StoreTests.budget), AnyStoreKey(StoreTests.note)] }
        var wrongType = false

        var steps: [AnyStep] {
            FunctionStep("spend") { [wrongType] (start: StartEvent<Int>, context) -> Tick? in
                if wrongType { _ = try context.store.get(StoreTests.budgetAsText) }
                let budget = try context.store.get(StoreTests.budget) ?? 0
                try context.store.set(StoreTests.budget, budget - start.input)
                try context.store.remove(StoreTests.note)
                #expect(try context.store.get(StoreTests.note) == nil, "a step sees its own removal at once")
                return Tick(n: budget)
            }
            FunctionStep("report") { (tick: Tick, context) -> StopEvent<[String]>? in
                StopEvent(["had \(tick.n)", "left \(try context.store.get(StoreTests.budget) ?? -1)",
                           "note \(try context.store.get(StoreTests.note) ?? "gone")"])
            }
        }
    }

    @Test("a store seeded at the start is what the first step sees; a removed key is gone at the commit, after a resume too")
    func seededAndRemoved() async throws {
        var seed = StoreValues()
        try seed.set(Self.budget, 100)
        try seed.set(Self.note, "keep me?")
        let dying = FaultInjectingJournal(failAfter: 3)  // start, spend's start, its commit with report's start: report dies
        let first = try await Engine(journal: dying).start(Spender(), input: 30, store: seed)
        _ = try? await first.result
        let records = try await dying.base.records(for: first.runID)
        if case .runStarted(let started)? = records.first {
            #expect(started.store.map(\.key) == ["budget", "note"])
        } else {
            Issue.record("no start")
        }
        let resumed = try await Engine(journal: dying.base).resume(Spender(), run: first.runID)
        #expect(try await resumed.result == ["had 100", "left 70", "note gone"])
    }

    @Test("one store key name declared with two types is a validation problem; a step using a declared name as another type fails")
    func declaredTypes() async throws {
        struct Confused: Workflow {
            typealias Input = Int
            typealias Output = Int
            static let name = "confused"
            var storeKeys: [AnyStoreKey] { [AnyStoreKey(StoreTests.budget), AnyStoreKey(StoreTests.budgetAsText)] }
            var steps: [AnyStep] {
                FunctionStep("one") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in StopEvent(1) }
            }
        }
        #expect(Confused().graph.problems == ["store key 'budget' is declared with 2 types (Swift.Int, Swift.String): one name, one type"])

        let handle = try await Engine().start(Spender(wrongType: true), input: 1)
        await #expect { _ = try await handle.result } throws: { error in
            "\(error)".contains("step 'spend' used store key 'budget' as Swift.String, but workflow 'spender' declares it as Swift.Int")
        }
        var seed = StoreValues()
        try seed.set(Self.budgetAsText, "lots")
        await #expect { _ = try await Engine().start(Spender(), input: 1, store: seed) } throws: { error in
            "\(error)".contains("the start of the run used store key 'budget' as Swift.String")
        }
    }
}
