import Foundation

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

/// A store key with its value type erased, for a workflow to declare (``Workflow/storeKeys``): validation
/// refuses one name declared with two types, and steps reading or writing a declared name with another type
/// fail with a sentence instead of decoding garbage.
public struct AnyStoreKey: Sendable, Hashable {
    public let name: String
    /// The value type, fully qualified.
    public let valueType: String

    public init<Value>(_ key: StoreKey<Value>) {
        name = key.name
        valueType = String(reflecting: Value.self)
    }
}

/// The run's store as one step execution sees it: the store as committed when the step started,
/// plus the step's own writes. Writes become visible to other steps when the step commits.
public struct Store: Sendable {
    let context: WorkflowContext

    /// The value for `key`, or `nil` when it was never set or was removed.
    public func get<Value>(_ key: StoreKey<Value>) throws -> Value? {
        try context.storeValue(for: key)
    }

    /// Writes `value` under `key`, published at the step's commit.
    public func set<Value>(_ key: StoreKey<Value>, _ value: Value) throws {
        try context.setStoreValue(value, for: key)
    }

    /// Removes `key` from the store, at the step's commit (journaled as a write of JSON `null`: for an
    /// optional value type, setting `nil` is the same thing).
    public func remove<Value>(_ key: StoreKey<Value>) throws {
        try context.removeStoreValue(for: key)
    }
}

/// Values to seed a run's store with at its start (``Engine/start(_:input:options:store:)``), journaled with
/// the start record: the first steps see them as committed.
public struct StoreValues: Sendable {
    private(set) var writes: [StoreWrite] = []

    public init() {}

    /// Sets `key` to `value`.
    public mutating func set<Value>(_ key: StoreKey<Value>, _ value: Value) throws {
        let data = try WorkflowContext.encode(value)
        writes.removeAll { $0.key == key.name }
        writes.append(StoreWrite(key: key.name, value: data))
        declared.append(AnyStoreKey(key))
    }

    /// The keys set, with their types: checked against the workflow's declared keys.
    private(set) var declared: [AnyStoreKey] = []
}

extension StoreWrite {
    /// Whether the write removes its key: JSON `null`.
    var removes: Bool { value == Data("null".utf8) }
}
