import Cairn
import CairnTesting
import Foundation
import Testing

// README example: begin
struct Greeting: Event {
    static let eventName = "demo.greeting"
    var text: String
}

struct Progress: Event {
    static let eventName = "demo.progress"
    var message: String
}

struct Greeter: Workflow {
    typealias Input = String
    typealias Output = String
    static let name = "greeter"

    var steps: [AnyStep] {
        FunctionStep("greet") { (start: StartEvent<String>, context) -> Greeting? in
            try context.writeToStream(Progress(message: "greeting \(start.input)"))
            return Greeting(text: "Hello, \(start.input)")
        }
        FunctionStep("shout", workers: 4) { (greeting: Greeting, context) -> StopEvent<String>? in
            StopEvent(greeting.text.uppercased() + "!")
        }
    }
}

func greetAda() async throws -> String {
    let engine = Engine()
    let handle = try await engine.start(Greeter(), input: "Ada")
    for try await event in handle.events {
        if let progress = event.decode(Progress.self) { print(progress.message) }
    }
    return try await handle.result  // "HELLO, ADA!"
}
// README example: end

@Suite("README")
struct ReadmeExampleTests {
    @Test("the README's example runs")
    func exampleRuns() async throws {
        #expect(try await greetAda() == "HELLO, ADA!")
    }

    @Test("the README shows exactly the example compiled here")
    func readmeMatches() throws {
        #expect(try readmeShows("example", of: #filePath, after: "import Cairn\n\n"),
                "README.md's example drifted from Tests/CairnTests/ReadmeExampleTests.swift: copy the code between the markers")
    }
}

/// Whether README.md shows, in a Swift block, the code between `// README <name>: begin` and `end` in `file`.
func readmeShows(_ name: String, of file: String, after prefix: String = "") throws -> Bool {
    let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let source = try String(contentsOf: URL(fileURLWithPath: file), encoding: .utf8)
    let code = source.components(separatedBy: "// README \(name): begin\n")[1].components(separatedBy: "// README \(name): end")[0]
    return readme.contains("```swift\n" + prefix + code + "```")
}
