/// A typed key into a run's store.
///
/// ## Usage
/// ```swift
/// extension StoreKey where Value == String {
///     static let sku = StoreKey("sku")
/// }
/// try context.store.set(.sku, "Apple")
/// let sku = try context.store.get(.sku)
/// ```
public struct StoreKey<Value: Codable & Sendable>: Sendable, Hashable {
    /// The persisted key name.
    public let name: String

    public init(_ name: String) { self.name = name }
}

/// The run's store as one step execution sees it: the store as committed when the step started,
/// plus the step's own writes. Writes become visible to other steps when the step commits.
public struct Store: Sendable {
    let context: WorkflowContext

    /// The value for `key`, or `nil` when it was never set.
    public func get<Value>(_ key: StoreKey<Value>) throws -> Value? {
        try context.storeValue(for: key)
    }

    /// Writes `value` under `key`, published at the step's commit.
    public func set<Value>(_ key: StoreKey<Value>, _ value: Value) throws {
        try context.setStoreValue(value, for: key)
    }
}
