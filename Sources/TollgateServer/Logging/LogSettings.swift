public import Logging

/// How `tollgate serve` logs (`server.log: { level, format }`).
public struct LogSettings: Sendable, Equatable {
    /// The shape of each log line.
    public enum Format: String, Sendable, CaseIterable {
        /// One readable line: time, level, logger, metadata, message.
        case text
        /// One JSON object per line, metadata as its own fields: for log collectors.
        case json
    }

    /// The lowest level written (`info` keeps a production log readable; `debug` adds every
    /// decision that passed and each retry's schedule; `trace` each lease taken).
    public var level: Logger.Level = .info
    public var format: Format = .text

    public init(level: Logger.Level = .info, format: Format = .text) {
        self.level = level
        self.format = format
    }

    /// A log handler of these settings for `label`, writing to standard error.
    public func handler(label: String) -> any LogHandler {
        switch format {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        case .json:
            var handler = JSONLogHandler(label: label, output: .standardError)
            handler.logLevel = level
            return handler
        }
    }
}
