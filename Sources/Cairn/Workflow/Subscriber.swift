/// A workflow that starts on a published event (``WorkflowContext/publish(_:)``): every event of its input type
/// that a step of any run publishes starts one run of it, with the event as its input — once, linked to the
/// publishing run. The publisher names only the event type; the engine must know the subscriber
/// (`Engine(workflows:)`, or the CLI's registered workflows).
///
/// ## Usage
/// ```swift
/// struct OrderStation: Subscriber {
///     typealias Input = TradeRequest          // an Event: the topic
///     static let name = "order-station"
///     var steps: [AnyStep] { … }
/// }
/// ```
public protocol Subscriber: Workflow where Input: Event {}

extension Subscriber {
    /// The event name it starts on.
    static var topic: String { Input.eventName }
}
