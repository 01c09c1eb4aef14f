/// A value that flows between steps and is journaled under a stable name.
///
/// The journal stores ``eventName``, never the Swift type name, so renaming a type does not break
/// old runs as long as the name stays. Non-generic events default to their type name; generic
/// events must declare a name (validation refuses a generated name such as `Box<Int>`).
///
/// ## Usage
/// ```swift
/// struct OrderPlaced: Event {
///     static let eventName = "inventory.order-placed"
///     var sku: String
/// }
/// ```
public protocol Event: EventSet, Codable {
    /// The persisted name of this event type.
    static var eventName: String { get }
}

extension Event {
    public static var eventName: String { String(describing: Self.self) }
    public static var eventTypes: [any Event.Type] { [Self.self] }

    public init?(_ event: any Event) {
        guard let event = event as? Self else { return nil }
        self = event
    }

    public var event: any Event { self }
}

/// The set of event types a step consumes or emits: a single ``Event`` or a `OneOfN` union.
public protocol EventSet: Sendable {
    /// Every event type of the set, in declaration order.
    static var eventTypes: [any Event.Type] { get }
    /// Wraps `event` when its type belongs to the set.
    init?(_ event: any Event)
    /// The wrapped event.
    var event: any Event { get }
}

/// The empty event set, for steps that emit nothing.
public enum NoEvent: EventSet {
    public static var eventTypes: [any Event.Type] { [] }
    public init?(_ event: any Event) { return nil }
    public var event: any Event { switch self {} }
}
