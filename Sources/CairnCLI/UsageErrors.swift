/// Usage errors in the contract's words: argument-parser's own messages reworded where they name no rule,
/// and what it lets through that a person did not mean (a single-valued option given twice).
enum UsageErrors {
    /// Options a command takes several times, and flags, which say the same however often they are given.
    private static let repeatable: Set<String> = [
        "--status", "--json", "--no-color", "--check", "--all", "--fail-fast", "--yes", "--wait", "--retry-broken", "--from-failure",
        "--csv", "--schema", "--help", "--version",
    ]

    /// The sentence for an option given twice on `arguments` (a command line without the program name), or `nil`.
    static func repeatedOption(in arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("---"), first != "--generate-completion-script" else { return nil }
        var seen: Set<String> = []
        for argument in arguments.prefix(while: { $0 != "--" }) where argument.hasPrefix("--") {
            let option = String(argument.prefix { $0 != "=" })
            if !repeatable.contains(option), !seen.insert(option).inserted {
                return "\(option) is given twice; give it once"
            }
        }
        return nil
    }

    /// argument-parser's message for a value it could not read, in the contract's words when it gave no rule.
    static func reworded(_ message: String) -> String {
        if let match = message.wholeMatch(of: /The value '(.*)' is invalid for '(--[\w-]+) <[^>]*>'/) {
            return "\(match.2) takes a whole number; '\(match.1)' is not one"  // the options with no rule of their own are integers
        }
        if let match = message.wholeMatch(of: /The value '(.*)' is invalid for '(--[\w-]+) <[^>]*>'\. Please provide one of (.*)/) {
            return "\(match.2) takes one of \(match.3.trimmingSuffix(".")); '\(match.1)' is not one"
        }
        return message
    }
}

extension Substring {
    fileprivate func trimmingSuffix(_ suffix: String) -> Substring { hasSuffix(suffix) ? dropLast(suffix.count) : self }
}
