import Cairn
import CairnTesting
import Testing

@Suite("Joins", .hangGuard)
struct JoinTests {
    @Test("a typed join fires once per complete set; surplus events wait, in order, for the next set")
    func typedJoinKeepsSurplus() async throws {
        let sets = Calls()
        // 3 ticks arrive before any tock: the join must pair them first-in first-out, never drop one.
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("fan") { (start: StartEvent<Int>, context) -> OneOf2<Tick, Tock>? in
                for n in 1...3 { try context.send(Tick(n: n)) }
                for n in 1...3 { try context.send(Tock(n: n * 10)) }
                return nil
            }
            JoinStep("pair", Tick.self, Tock.self) { (context, tick, tock) -> Part? in
                sets.record("pair")
                return Part(value: tick.n + tock.n)
            }
            CountedJoinStep("sum", count: 3, of: Part.self) { (parts, context) -> StopEvent<[Int]>? in
                StopEvent(parts.map(\.value))
            }
        }
        let result = try await Engine().run(workflow, input: 0)
        #expect(result == [11, 22, 33])
        #expect(sets.count("pair") == 3)
    }

    @Test("a join grouped by a correlation key never mixes rounds, whatever the arrival order")
    func correlatedJoin() async throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("fan") { (start: StartEvent<Int>, context) -> OneOf2<Tick, Tock>? in
                // Round 2's tick arrives before round 1's, and round 2's tock before round 1's tock.
                try context.send(Tick(n: 2, round: 2))
                try context.send(Tock(n: 20, round: 2))
                try context.send(Tick(n: 1, round: 1))
                try context.send(Tock(n: 10, round: 1))
                return nil
            }
            JoinStep("pair", Tick.self, Tock.self, by: \.round, \.round) { (context, tick, tock) -> Part? in
                #expect(tick.round == tock.round)
                return Part(value: tick.n * 100 + tock.n)
            }
            CountedJoinStep("sum", count: 2, of: Part.self) { (parts, context) -> StopEvent<[Int]>? in
                StopEvent(parts.map(\.value))
            }
        }
        #expect(try await Engine().run(workflow, input: 0) == [220, 110])
    }

    @Test("a counted join with several workers fires once per set, and every event lands in exactly one set",
          arguments: [1, 4])
    func countedJoinUnderConcurrency(workers: Int) async throws {
        let fired = Calls()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("fan") { (start: StartEvent<Int>, context) -> Tick? in
                for n in 1...start.input { try context.send(Tick(n: n)) }
                return nil
            }
            FunctionStep("work", workers: 8) { (tick: Tick, context) -> Part? in
                Part(value: tick.n, batch: (tick.n - 1) / 10)
            }
            CountedJoinStep("batch", count: 10, of: Part.self, by: { $0.batch }, workers: workers) { (parts, context) -> Done? in
                fired.record("batch")
                #expect(Set(parts.map(\.batch)).count == 1)
                return Done(values: parts.map(\.value))
            }
            CountedJoinStep("all", count: 10, of: Done.self) { (batches, context) -> StopEvent<[Int]>? in
                StopEvent(batches.flatMap(\.values).sorted())
            }
        }
        let result = try await Engine().run(workflow, input: 100)
        #expect(result == Array(1...100))
        #expect(fired.count("batch") == 10)
    }

    @Test("a set left incomplete when nothing else can run ends the run as stalled, naming the join")
    func incompleteJoinStalls() async throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("fan") { (start: StartEvent<Int>, context) -> OneOf2<Tick, Tock>? in
                try context.send(Tick(n: 1))
                return nil
            }
            JoinStep("pair", Tick.self, Tock.self) { (context, tick, tock) -> StopEvent<[Int]>? in
                StopEvent([tick.n, tock.n])
            }
        }
        let handle = try await Engine().start(workflow, input: 0)
        await #expect {
            _ = try await handle.result
        } throws: { error in
            let error = error as? RunError
            return error?.code == .stalled && error?.message.contains("join 'pair' holds 1 'test.tick'") == true
        }
        #expect(await handle.status == .failed)
    }
}
