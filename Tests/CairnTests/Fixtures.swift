import Cairn

/// Small events for engine tests.
struct Tick: Event {
    static let eventName = "test.tick"
    var n: Int
    var round: Int = 0
}

struct Tock: Event {
    static let eventName = "test.tock"
    var n: Int
    var round: Int = 0
}

struct Part: Event {
    static let eventName = "test.part"
    var value: Int
    var batch: Int = 0
}

struct Done: Event {
    static let eventName = "test.done"
    var values: [Int]
}

/// A workflow assembled from a list of steps, for tests.
struct TestWorkflow<Input: Codable & Sendable, Output: Codable & Sendable>: Workflow {
    static var name: String { "test" }
    let build: @Sendable () -> [AnyStep]
    let accepts: [any Event.Type]

    init(_ input: Input.Type = Int.self, _ output: Output.Type = [Int].self, accepting accepts: [any Event.Type] = [],
         @StepsBuilder steps: @escaping @Sendable () -> [AnyStep]) {
        build = steps
        self.accepts = accepts
    }

    var steps: [AnyStep] { build() }
}
