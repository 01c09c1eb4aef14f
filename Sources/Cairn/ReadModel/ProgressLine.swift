import Foundation

/// One line of a run's progress stream, as `--json` prints it.
public struct ProgressLine: Encodable, Sendable {
    public let type = "event"
    public let position: Int
    public let name: String
    public let step: String
    public let payload: JSONValue

    public init(_ event: StreamedEvent) {
        position = event.position
        name = event.name
        step = event.step
        payload = JSONValue(json: event.payload) ?? .string(String(decoding: event.payload, as: UTF8.self))
    }
}
