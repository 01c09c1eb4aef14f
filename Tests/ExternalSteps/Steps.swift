import Cairn

// This module is built without Cairn's upcoming-feature flags, as a user's module might be.

/// An event defined outside the workflow's module.
public struct Shout: Event {
    public static let eventName = "external.shout"
    public var text: String
    public init(text: String) { self.text = text }
}

/// Free functions that become steps of a workflow assembled elsewhere (the article's "unbound" steps).
public enum LoudSteps {
    @Sendable public static func shout(_ start: StartEvent<String>, _ context: WorkflowContext) async throws -> Shout? {
        try context.writeToStream(Shout(text: "heard \(start.input)"))
        return Shout(text: start.input.uppercased())
    }

    @Sendable public static func finish(_ shout: Shout, _ context: WorkflowContext) async throws -> StopEvent<String>? {
        StopEvent(shout.text + "!")
    }
}
