/// Lists a workflow's steps. Each line is one independent expression, so type-checking stays cheap.
@resultBuilder
public enum StepsBuilder {
    public static func buildExpression(_ step: some StepConvertible) -> [AnyStep] { [step.anyStep] }
    public static func buildExpression(_ steps: [AnyStep]) -> [AnyStep] { steps }
    public static func buildBlock(_ parts: [AnyStep]...) -> [AnyStep] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [AnyStep]?) -> [AnyStep] { part ?? [] }
    public static func buildEither(first part: [AnyStep]) -> [AnyStep] { part }
    public static func buildEither(second part: [AnyStep]) -> [AnyStep] { part }
    public static func buildArray(_ parts: [[AnyStep]]) -> [AnyStep] { parts.flatMap { $0 } }
}
