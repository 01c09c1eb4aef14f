import Cairn
import ExternalSteps
import Testing

/// A workflow whose steps are free functions from another module.
struct Loud: Workflow {
    static let name = "loud"
    typealias Input = String
    typealias Output = String

    var steps: [AnyStep] {
        FunctionStep("shout", run: LoudSteps.shout)
        FunctionStep("finish", run: LoudSteps.finish)
    }
}

@Test("steps written as free functions in another module assemble into one workflow and run")
func crossModuleSteps() async throws {
    let handle = try await Engine().start(Loud(), input: "hello")
    let streamed = try await handle.events.reduce(into: [String]()) { $0.append($1.decode(Shout.self)?.text ?? "?") }
    #expect(try await handle.result == "HELLO!")
    #expect(streamed == ["heard hello"])
    #expect(Loud().graph.problems.isEmpty)
}
