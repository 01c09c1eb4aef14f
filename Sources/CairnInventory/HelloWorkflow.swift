public import Cairn

/// Input of `hello`: `{}` or `{"name": "…"}`.
public struct HelloInput: Codable, Sendable, Equatable {
    public var name: String?

    public init(name: String? = nil) { self.name = name }

    private enum CodingKeys: String, CodingKey { case name }

    public init(from decoder: any Decoder) throws {
        try StrictInput.rejectUnknownKeys(in: decoder, allowed: ["name"])
        name = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .name)
    }
}

extension HelloInput: DescribedInput {
    public static let fields = [InputField("name", "string", default: #""world""#, "who to greet")]
}

/// Carries the greeting from the first step to the second (the article's `SecondStepEvent`).
public struct SecondStepEvent: Event {
    public static let eventName = "hello.second-step"
    public var greeting: String
}

/// The article's two-step hello world: `start → second_step → stop`.
public struct HelloWorkflow: Workflow {
    public typealias Input = HelloInput
    public typealias Output = String
    public static let name = "hello"

    public init() {}

    public var steps: [AnyStep] {
        FunctionStep("start") { (start: StartEvent<HelloInput>, context) -> SecondStepEvent? in
            SecondStepEvent(greeting: "Hello, \(start.input.name ?? "world")!")
        }
        FunctionStep("second_step") { (event: SecondStepEvent, context) -> StopEvent<String>? in
            StopEvent(event.greeting)
        }
    }
}
