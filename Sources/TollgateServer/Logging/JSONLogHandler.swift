public import Foundation
public import Logging
import Synchronization
import TollgateJSON
import TollgateLifecycle

/// Writes each log record as one JSON object on a line: `time` (UTC, milliseconds), `level`,
/// `logger`, `message`, `source`, then the metadata as fields of their own (`activity`, `task`,
/// `decision`, `executor`, …). Metadata named like one of the fixed fields goes under `metadata`.
public struct JSONLogHandler: LogHandler {
    /// Where lines go; one lock per output keeps lines from several threads whole.
    public final class Output: Sendable {
        let handle: FileHandle
        let lock = Mutex(())

        public init(handle: FileHandle) { self.handle = handle }

        public static let standardError = Output(handle: .standardError)

        func write(_ line: [UInt8]) {
            lock.withLock { _ in handle.write(Data(line)) }
        }
    }

    static let fixedFields: Set<String> = ["time", "level", "logger", "message", "source"]

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let output: Output

    public init(label: String, output: Output, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        var object = JSONObject()
        object["time"] = .string(Timestamp.formatMilliseconds(Date()))
        object["level"] = .string(event.level.rawValue)
        object["logger"] = .string(label)
        object["message"] = .string(event.message.description)
        object["source"] = .string(event.source)
        var displaced = JSONObject()
        for key in merged.keys.sorted() {
            let value = Self.json(merged[key]!)
            if Self.fixedFields.contains(key) { displaced[key] = value } else { object[key] = value }
        }
        if !displaced.isEmpty { object["metadata"] = .object(displaced) }
        output.write(JSONValue.object(object).serializedBytes() + [UInt8(ascii: "\n")])
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let entries):
            .object(JSONObject(entries.keys.sorted().map { ($0, json(entries[$0]!)) }))
        }
    }
}
