import Foundation

/// Paths of files shipped in this repository (policies, examples, benchmark inputs).
public enum RepositoryPaths {
    /// The repository root, found from this file's location.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `relative` under the repository root.
    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// The shipped starter policies.
    public static var policies: String { path("policies") }
}
