import Foundation

/// A directory under the system's temporary folder, removed when the value is released.
public final class TemporaryDirectory: Sendable {
    /// Absolute path of the directory.
    public let path: String

    public init(prefix: String = "tollgate-test") throws {
        let base = NSTemporaryDirectory()
        let path = (base as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `relative` (creating folders) and returns the absolute path.
    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        let full = (path as NSString).appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }

    /// Path of `relative` inside the directory.
    public func url(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

    /// Whether `relative` exists.
    public func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative)) }
}
