extension WorkflowGraph {
    /// Every problem that keeps the workflow from running, each naming its step and event type.
    public var problems: [String] {
        var problems: [String] = []
        problems += duplicateNames()
        problems += badOptions()
        problems += startAndStopProblems()
        problems += unmatchedEvents()
        problems += flowProblems()
        return problems
    }

    /// Throws a ``WorkflowValidationError`` listing every problem at once.
    public func validate() throws {
        let problems = problems
        if !problems.isEmpty { throw WorkflowValidationError(workflow: name, problems: problems) }
    }

    private var allTypes: [(step: String?, type: any Event.Type)] {
        [(nil, startType), (nil, stopType)] + accepted.map { (nil, $0) } + steps.flatMap { step in (step.consumes + step.emits).map { (step.name, $0) } }
    }

    private func duplicateNames() -> [String] {
        var problems: [String] = []
        var seenSteps: Set<String> = []
        for step in steps where !seenSteps.insert(step.name).inserted {
            problems.append("two steps are named '\(step.name)': step names must be unique")
        }
        var typesByName: [String: any Event.Type] = [:]
        var reported: Set<String> = []
        for (step, type) in allTypes {
            let name = type.eventName
            if name.contains("<"), reported.insert("generic " + name).inserted {
                problems.append("event type \(String(reflecting: type)) is generic and has no explicit eventName"
                    + (step.map { " (used by step '\($0)')" } ?? "") + ": give it a stable `static let eventName`")
            }
            if let other = typesByName[name], other != type, reported.insert(name).inserted {
                if name == startType.eventName || name == stopType.eventName {
                    continue  // reported as a start or stop mismatch, which says more
                }
                problems.append("event types \(String(reflecting: other)) and \(String(reflecting: type)) share the name '\(name)'"
                    + (step.map { " (step '\($0)')" } ?? "") + ": event names must be unique")
            }
            typesByName[name] = typesByName[name] ?? type
        }
        return problems
    }

    private func badOptions() -> [String] {
        var problems: [String] = []
        for step in steps {
            if step.options.workers < 1 {
                problems.append("step '\(step.name)' has \(step.options.workers) workers: it needs at least 1")
            }
            if let problem = step.options.retry.timeLimit?.limitProblem("the retry time limit of step '\(step.name)'") {
                problems.append(problem)
            }
            if let problem = step.options.timeout?.limitProblem("the timeout of step '\(step.name)'") {
                problems.append(problem)
            }
            if step.options.retry.maxAttempts < 1 {
                problems.append("step '\(step.name)' allows \(step.options.retry.maxAttempts) attempts: it needs at least 1")
            }
            guard let join = step.join else { continue }
            if join.required.isEmpty {
                problems.append("join '\(step.name)' waits for no event types: give it at least one")
            }
            for requirement in join.required where requirement.count < 1 {
                problems.append("join '\(step.name)' waits for \(requirement.count) '\(requirement.name)' events: it needs at least 1")
            }
            let names = join.required.map(\.name)
            if Set(names).count != names.count {
                problems.append("join '\(step.name)' lists an event type twice: use CountedJoinStep to wait for several of one type")
            }
        }
        return problems
    }

    private func startAndStopProblems() -> [String] {
        var problems: [String] = []
        for (name, keys) in Dictionary(grouping: storeKeys, by: \.name).sorted(by: { $0.key < $1.key })
            where Set(keys.map(\.valueType)).count > 1 {
            problems.append("store key '\(name)' is declared with \(Set(keys.map(\.valueType)).count) types ("
                + Set(keys.map(\.valueType)).sorted().joined(separator: ", ") + "): one name, one type")
        }
        for name in acceptedNames where name == startType.eventName || name == stopType.eventName || name == StepFailed.eventName {
            problems.append("the workflow accepts '\(name)' from outside, which only the engine may emit: accept an event type of your own")
        }
        if recoveryBudget < 0 {
            problems.append("the recovery budget is \(recoveryBudget): it must be 0 or more")
        }
        let startName = startType.eventName
        if !steps.contains(where: { $0.consumes.contains { $0 == startType } }) {
            problems.append("no step consumes '\(startName)' (\(String(reflecting: startType))): nothing would run")
        }
        for step in steps {
            for type in step.consumes where type.eventName == startName && type != startType {
                problems.append("step '\(step.name)' consumes \(String(reflecting: type)) but the workflow starts with "
                    + "\(String(reflecting: startType)): make its input type the workflow's Input")
            }
            for type in step.emits where type is any _StopEventMarker.Type && type != stopType {
                problems.append("step '\(step.name)' emits \(String(reflecting: type)) but the workflow's result is "
                    + "\(String(reflecting: stopType)): make its result type the workflow's Output")
            }
        }
        return problems
    }

    private func unmatchedEvents() -> [String] {
        let consumed = Set(steps.flatMap(\.consumedNames))
        let emitted = Set(steps.flatMap(\.emittedNames)).union(engineEmitted)
        var problems: [String] = []
        var reported: Set<String> = []
        for step in steps {
            for name in step.emittedNames where name != stopType.eventName && !consumed.contains(name)
                && reported.insert("emit " + name).inserted {
                problems.append("step '\(step.name)' emits '\(name)' but no step consumes it")
            }
            for name in step.consumedNames where name != startType.eventName && !emitted.contains(name)
                && reported.insert("consume " + name).inserted {
                problems.append("step '\(step.name)' consumes '\(name)' but no step emits it")
            }
        }
        return problems
    }

    /// Problems of the flow as a whole: the stop out of reach, a step that can never run (an island), a step
    /// from which no path leads to the stop (a dead end, such as a loop without an exit), a step that
    /// consumes the stop event. A step already reported for an event nobody emits or consumes is not
    /// reported again. A sink (a step emitting ``NoEvent``, run for its effects) ends its path.
    private func flowProblems() -> [String] {
        var problems: [String] = []
        let stopName = stopType.eventName
        for step in steps where step.consumedNames.contains(stopName) {
            problems.append("step '\(step.name)' consumes '\(stopName)': the run ends at its stop event, so the step would never run")
        }
        let fired = stepsReachableFromStart()
        if !fired.reachedEvents.contains(stopName) {
            problems.append("no step can reach '\(stopName)' from '\(startType.eventName)': the run could never finish")
        }
        let emittedSomewhere = Set(steps.flatMap(\.emittedNames)).union([startType.eventName]).union(engineEmitted)
        let consumedSomewhere = Set(steps.flatMap(\.consumedNames)).union([stopName])
        let ending = stepsThatCanEnd()
        for (index, step) in steps.enumerated() where !step.consumedNames.contains(stopName) {
            if !fired.steps.contains(index) {
                // A step waiting for an event nobody emits is already reported by name.
                guard step.consumedNames.allSatisfy(emittedSomewhere.contains), !step.consumedNames.isEmpty else { continue }
                problems.append("step '\(step.name)' can never run: no path from '\(startType.eventName)' emits "
                    + (step.isJoin ? "all of " : "any of ") + step.consumedNames.map { "'\($0)'" }.joined(separator: ", "))
            } else if !ending.contains(index), step.emittedNames.allSatisfy(consumedSomewhere.contains) {
                problems.append("step '\(step.name)' is a dead end: nothing it emits ("
                    + step.emittedNames.map { "'\($0)'" }.joined(separator: ", ")
                    + ") can lead to '\(stopName)', so a run that reaches it loops or stalls")
            }
        }
        return problems
    }

    /// The steps that can fire in some run, and the event names such runs can emit.
    private func stepsReachableFromStart() -> (steps: Set<Int>, reachedEvents: Set<String>) {
        var reachable: Set<String> = Set([startType.eventName] + acceptedNames)  // sent from outside at any time
        var fired: Set<Int> = []
        var changed = true
        while changed {
            changed = false
            for (index, step) in steps.enumerated() where !fired.contains(index) && !step.consumedNames.isEmpty {
                let fires = step.isJoin
                    ? step.consumedNames.allSatisfy(reachable.contains)
                    : step.consumedNames.contains(where: reachable.contains)
                guard fires else { continue }
                fired.insert(index)
                changed = true
                reachable.formUnion(step.emittedNames)
                reachable.formUnion(engineEmitted)  // a step that runs may fail
            }
        }
        return (fired, reachable)
    }

    /// The steps from which some path ends: at the stop event, or at a sink.
    private func stepsThatCanEnd() -> Set<Int> {
        let stopName = stopType.eventName
        var ending: Set<Int> = Set(steps.indices.filter { steps[$0].emits.isEmpty || steps[$0].emittedNames.contains(stopName) })
        var changed = true
        while changed {
            changed = false
            for (index, step) in steps.enumerated() where !ending.contains(index) {
                let leadsOn = step.emittedNames.contains { name in (subscribers[name] ?? []).contains(where: ending.contains) }
                if leadsOn { ending.insert(index); changed = true }
            }
        }
        return ending
    }
}
