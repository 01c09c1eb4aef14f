import Foundation

/// A workflow with its types erased: the steps, every event type they name, and who consumes what.
///
/// The scheduler, validation, drawing and the fingerprint all read this one description.
public struct WorkflowGraph: Sendable {
    /// The workflow's persisted name.
    public let name: String
    /// The steps in declaration order.
    public let steps: [AnyStep]
    /// `StartEvent<Input>` of the workflow.
    public let startType: any Event.Type
    /// `StopEvent<Output>` of the workflow.
    public let stopType: any Event.Type
    /// Every event type named by a step, the start and stop types included, by persisted name.
    let eventTypes: [String: any Event.Type]
    /// The event types runs accept from outside (``Workflow/accepts``), in declaration order, then the ends of
    /// child runs a step consumes (``ChildRunEnded``).
    public let accepted: [any Event.Type]
    /// The persisted names of ``accepted``.
    public var acceptedNames: [String] { accepted.map { $0.eventName } }
    /// `ContinueAsNew<Input>` of the workflow: decoded like any event, but named by no step (any step may continue).
    let continueType: (any Event.Type)?
    /// Step indices subscribed to each event name, in declaration order.
    let subscribers: [String: [Int]]
    /// The names of the steps subscribed to each event name, in declaration order.
    let consumersByEvent: [String: [String]]
    /// How many step failures the failure handler may recover in one run (``Workflow/recoveryBudget``).
    public let recoveryBudget: Int
    /// The store keys the workflow declares (``Workflow/storeKeys``).
    public let storeKeys: [AnyStoreKey]
    /// The workflow's version and patches (``Workflow/version``, ``Workflow/patches``), sorted: what a run
    /// this code starts records, its successors included.
    public let version: String?
    public let patches: [String]
    /// The value type of each declared store key name (the first, when validation finds two).
    let storeKeyTypes: [String: String]

    init(
        name: String, steps: [AnyStep], startType: any Event.Type, stopType: any Event.Type, continueType: (any Event.Type)? = nil,
        accepted: [any Event.Type] = [], recoveryBudget: Int = 3, storeKeys: [AnyStoreKey] = [], version: String? = nil, patches: [String] = []
    ) {
        self.name = name
        self.steps = steps
        self.startType = startType
        self.stopType = stopType
        self.recoveryBudget = recoveryBudget
        self.storeKeys = storeKeys
        self.storeKeyTypes = Dictionary(storeKeys.map { ($0.name, $0.valueType) }, uniquingKeysWith: { first, _ in first })
        self.version = version
        self.patches = patches
        self.continueType = continueType
        // A consumed child's end (``ChildRunEnded``) comes from outside the run, like a declared external event.
        let reports = steps.flatMap(\.consumes).filter { $0 is any RunEndReport.Type }
        self.accepted = accepted + reports.filter { report in
            !accepted.contains { $0.eventName == report.eventName }
        }.reduce(into: [any Event.Type]()) { unique, report in
            if !unique.contains(where: { $0.eventName == report.eventName }) { unique.append(report) }
        }
        var types: [String: any Event.Type] = [startType.eventName: startType, stopType.eventName: stopType]
        for type in self.accepted { types[type.eventName] = types[type.eventName] ?? type }
        var subscribers: [String: [Int]] = [:]
        for (index, step) in steps.enumerated() {
            for type in step.consumes {
                types[type.eventName] = types[type.eventName] ?? type
                subscribers[type.eventName, default: []].append(index)
            }
            for type in step.emits { types[type.eventName] = types[type.eventName] ?? type }
        }
        self.eventTypes = types
        self.subscribers = subscribers
        self.consumersByEvent = subscribers.mapValues { $0.map { steps[$0].name } }
    }

    /// Whether a step handles ``StepFailed``: then a step whose attempts are spent emits one instead of failing the run.
    var hasFailureHandler: Bool { subscribers[StepFailed.eventName] != nil }

    /// Events that come from elsewhere than the steps: a consumed ``StepFailed``, which the engine emits on a
    /// failing step's behalf, and the accepted external events.
    var engineEmitted: Set<String> { Set(acceptedNames).union(hasFailureHandler ? [StepFailed.eventName] : []) }

    /// Refuses `key` when the workflow declares its name with another value type.
    func checkStoreKey(_ key: AnyStoreKey, usedBy user: String) throws {
        guard let declared = storeKeyTypes[key.name], declared != key.valueType else { return }
        throw CairnError(.codingFailed, "\(user) used store key '\(key.name)' as \(key.valueType), but workflow '\(name)' "
            + "declares it as \(declared): use the declared key")
    }

    /// The step with the given name.
    public func step(named name: String) -> AnyStep? {
        steps.first { $0.name == name }
    }

    /// A canonical text of the graph's shape: one line per step, `name(consumed)->(emitted)`, sorted, and a
    /// last line `accepts(names)` when the workflow accepts external events (none for one that does not, so
    /// that the fingerprints of runs journaled before external events existed still match).
    public var shape: String {
        let accepts = accepted.isEmpty ? [] : ["accepts(" + acceptedNames.sorted().joined(separator: ",") + ")"]
        let lines = steps.map { step in
            let kind = step.join.map { join in
                "join[" + join.required.map { "\($0.name)x\($0.count)" }.joined(separator: ",") + "]"
            } ?? "step"
            return "\(step.name) \(kind)(\(step.consumedNames.sorted().joined(separator: ",")))"
                + "->(\(step.emittedNames.sorted().joined(separator: ",")))"
        }
        return (lines.sorted() + accepts).joined(separator: "\n")
    }

    /// Whether a run started with `shape` differs from today's only by accepting fewer events from outside: its
    /// steps are today's, so today's code drives it as its own (a run never got the events it did not accept).
    func onlyAcceptsMore(than shape: String) -> Bool {
        func split(_ shape: String) -> (steps: [Substring], accepts: Set<Substring>) {
            var steps = shape.split(separator: "\n", omittingEmptySubsequences: false)
            guard let last = steps.last, last.hasPrefix("accepts("), last.hasSuffix(")") else { return (steps, []) }
            steps.removeLast()
            return (steps, Set(last.dropFirst("accepts(".count).dropLast().split(separator: ",")))
        }
        let (old, new) = (split(shape), split(self.shape))
        return old.steps == new.steps && old.accepts.isSubset(of: new.accepts)
    }

    /// A stable 16-hex-digit hash of ``shape``: what a run records to refuse resuming under changed code.
    public var fingerprint: String {
        let hash = FNV1a.hash(shape.utf8)
        return String(format: "%016llx", hash)
    }

    /// The event type registered under `name`.
    /// - Throws: ``CairnError`` `unknown-event-type` when the workflow has none.
    func eventType(_ name: String) throws -> any Event.Type {
        guard let type = eventTypes[name] ?? continueType.flatMap({ $0.eventName == name ? $0 : nil }) else {
            throw CairnError(
                .unknownEventType,
                "the journal holds an event '\(name)' that workflow '\(self.name)' does not know; "
                    + "resume it with the workflow version that started it"
            )
        }
        return type
    }

    /// Decodes a journaled payload into the event type registered under `name`.
    func decode(_ name: String, from payload: Data) throws -> any Event {
        let type = try eventType(name)
        do {
            return try JSONDecoder().decode(type, from: payload)
        } catch {
            throw CairnError(.codingFailed, "its event '\(name)' does not decode as \(type): \(InputError.describe(error))")
        }
    }
}
