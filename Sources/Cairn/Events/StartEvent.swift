/// The event a run begins with, carrying the workflow's typed input. Journaled as `cairn.start`.
public struct StartEvent<Input: Codable & Sendable>: Event {
    public static var eventName: String { "cairn.start" }
    /// The run's input.
    public var input: Input

    public init(_ input: Input) { self.input = input }
}

/// The event that ends a run, carrying its typed result. Journaled as `cairn.stop`.
public struct StopEvent<Result: Codable & Sendable>: Event, _StopEventMarker {
    public static var eventName: String { "cairn.stop" }
    /// The run's result.
    public var result: Result

    public init(_ result: Result) { self.result = result }

    public static var _resultTypeName: String { String(reflecting: Result.self) }
}

/// Lets validation recognise any `StopEvent<T>` without knowing `T`. Not API.
public protocol _StopEventMarker {
    static var _resultTypeName: String { get }
}

/// An input or result that carries nothing: `{}` in JSON.
public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}
