import Cairn
import CairnTesting
import Foundation
import Testing

struct Note: Event {
    static let eventName = "test.note"
    var text: String
}

let counter = StoreKey<Int>("counter")

@Suite("WorkflowContext", .hangGuard)
struct ContextTests {
    @Test("a step sees the store as committed when it started plus its own writes, never another step's uncommitted writes")
    func storeIsolation() async throws {
        let writerStarted = Gate(), readerDone = Gate()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("fan") { (start: StartEvent<Int>, context) -> OneOf2<Tick, Tock>? in
                try context.store.set(counter, 1)
                try context.send(Tick(n: 1))
                try context.send(Tock(n: 1))
                return nil
            }
            FunctionStep("writer", workers: 1) { (tick: Tick, context) -> Part? in
                try context.store.set(counter, 2)
                #expect(try context.store.get(counter) == 2)  // its own write
                writerStarted.open()
                await readerDone.wait()  // the reader runs while this write is uncommitted
                return Part(value: try context.store.get(counter) ?? -1)
            }
            FunctionStep("reader", workers: 1) { (tock: Tock, context) -> Part? in
                await writerStarted.wait()
                let seen = try context.store.get(counter) ?? -1
                readerDone.open()
                return Part(value: seen)
            }
            CountedJoinStep("both", count: 2, of: Part.self) { (parts, context) -> StopEvent<[Int]>? in
                StopEvent(parts.map(\.value).sorted() + [try context.store.get(counter) ?? -1])
            }
        }
        // reader saw 1 (committed), writer saw 2 (its own), the join after both commits sees 2.
        #expect(try await Engine().run(workflow, input: 0) == [1, 2, 2])
    }

    @Test("sending an undeclared event type fails the run with an error naming step and type")
    func undeclaredSend() async throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("sneaky") { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                try context.send(Tick(n: 1))
                return StopEvent([])
            }
        }
        await #expect {
            try await Engine().run(workflow, input: 0)
        } throws: { error in
            let error = error as? RunError
            return error?.step == "sneaky" && error?.message.contains("sent 'test.tick', which it does not declare") == true
        }
    }

    @Test("writeToStream events reach every reader, each from the position it asks")
    func streamReaders() async throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("talk") { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                for n in 1...start.input { try context.writeToStream(Note(text: "note \(n)")) }
                return StopEvent([])
            }
        }
        let handle = try await Engine().start(workflow, input: 600)
        async let all = handle.events.reduce(into: [String]()) { $0.append($1.decode(Note.self)!.text) }
        async let again = handle.events.map(\.position).reduce(0) { max($0, $1) }
        async let tail = handle.events(from: 599).map { $0.decode(Note.self)!.text }.reduce(into: [String]()) { $0.append($1) }
        _ = try await handle.result
        #expect(try await all == (1...600).map { "note \($0)" })
        #expect(try await again == 600)
        #expect(try await tail == ["note 599", "note 600"])
    }

    @Test("now, random and uuid are journaled with the step's commit; a seed makes random repeatable")
    func journaledValues() async throws {
        func draw(seed: UInt64?) async throws -> (values: [Int], recorded: [RecordedValue]) {
            let workflow = TestWorkflow(Int.self, [Int].self) {
                FunctionStep("dice") { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                    _ = context.now
                    _ = context.uuid()
                    return StopEvent((0..<5).map { _ in context.random(in: 1...6) })
                }
            }
            let engine = Engine()
            let handle = try await engine.start(workflow, input: 0, options: RunOptions(seed: seed))
            let values = try await handle.result
            let records = try await engine.journal.records(for: handle.runID)
            return (values, records.compactMap(\.finishedExecution).flatMap(\.recorded))
        }
        let a = try await draw(seed: 7), b = try await draw(seed: 7)
        #expect(a.values == b.values)
        #expect(a.values.allSatisfy { (1...6).contains($0) })
        #expect(a.recorded.count == 7)
        guard case .now = a.recorded[0], case .uuid = a.recorded[1], case .random = a.recorded[2] else {
            Issue.record("expected now, uuid, random… in order, got \(a.recorded)")
            return
        }
    }

    @Test("context.run journals its result at once and a retried attempt gets it instead of paying again")
    func memoisedSideEffect() async throws {
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("charge", retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(1))) {
                (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                let receipt = try await context.run("charge-card") { () -> Int in
                    calls.record("charge")
                    return 4242
                }
                if context.attempt < 3 { throw Flaky() }
                return StopEvent([receipt, context.attempt])
            }
        }
        let engine = Engine()
        let handle = try await engine.start(workflow, input: 0)
        #expect(try await handle.result == [4242, 3])
        #expect(calls.count("charge") == 1)
        let records = try await engine.journal.records(for: handle.runID)
        let effects = records.compactMap { record -> SideEffect? in
            if case .sideEffect(let effect) = record { return effect }
            return nil
        }
        #expect(effects.map(\.key) == ["charge-card#1"])
    }
}

struct Flaky: Error {}
