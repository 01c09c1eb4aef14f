public import Foundation

/// The one JSON spelling of everything Cairn prints or serves: sorted keys, ISO 8601 times with milliseconds.
public enum CairnJSON {
    private static let dates = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// An encoder for read-model values.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(dates))
        }
        return encoder
    }

    /// A decoder for what ``encoder`` wrote.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try Date(text, strategy: dates)
        }
        return decoder
    }

    /// `value` as one line of JSON text.
    public static func text(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
