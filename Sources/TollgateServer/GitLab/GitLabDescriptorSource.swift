import Foundation
public import TollgateLifecycle
import TollgateRuntime

/// Descriptors kept in Git: found in the projects of a GitLab group by a path pattern, and
/// looked up by fully qualified name, ODM product id (the name-based UUID ODM derives) or
/// `info.name`, with a version.
///
/// With `versions: field` a descriptor's version is its `info.version` on the project's default
/// branch (or `ref`); with `versions: tags` version `V` is the descriptor as tagged `V` or `vV`.
/// What discovery found is kept for `refreshSeconds`; a lookup that misses looks again, at most
/// once per `refreshSeconds`, reading again only the projects whose head commit moved.
public struct GitLabDescriptorSource: DescriptorSource {
    /// `registry: { kind: gitlab, … }`.
    public struct Settings: Sendable, Equatable {
        public enum Versions: String, Sendable, Equatable {
            case field
            case tags
        }

        public var address: String
        public var token: String
        public var group: String
        /// Which files are descriptors: a glob over the repository path (`*` within a folder, `**` across folders).
        public var pattern = "**/data-product-descriptor.{json,yaml,yml}"
        public var ref: String?
        public var versions = Versions.field
        public var refreshSeconds = 60.0
        /// The longest a read waits in all for GitLab's `Retry-After` (`retryAfterCeilingSeconds`).
        public var retryAfterCeilingSeconds = 300.0

        public init(address: String, token: String, group: String) {
            self.address = address
            self.token = token
            self.group = group
        }
    }

    /// A descriptor file found by discovery.
    public struct Found: Sendable {
        public var project: GitLabProject
        public var path: String
        public var ref: String
        /// The descriptor, or why the file is not one.
        public var descriptor: Result<DataProductDescriptor, DescriptorFileProblem>
    }

    /// A file that matched the pattern but is not a usable descriptor.
    public struct DescriptorFileProblem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    let settings: Settings
    let repository: GitLabRepository
    let cache: DiscoveryCache

    public init(settings: Settings, http: OutboundHTTP) {
        self.settings = settings
        repository = GitLabRepository(
            address: settings.address, token: settings.token, http: http, retryAfterCeiling: .seconds(settings.retryAfterCeilingSeconds))
        cache = DiscoveryCache(maximumAge: .milliseconds(Int64(settings.refreshSeconds * 1000)))
    }

    /// The descriptor of a version. What was discovered is kept for `refreshSeconds`; a lookup that
    /// misses looks again (at most once per `refreshSeconds`), and every look reads again only the
    /// projects whose head commit moved.
    public func descriptor(productId: String, version: String) async throws(DescriptorSourceError) -> DataProductDescriptor {
        for attempt in 0..<2 {
            let found: [Found]
            do {
                found = try await cache.value(refresh: attempt == 1) { previous async throws(GitLabFailure) -> [Int64: ProjectScan] in
                    try await discover(reusing: previous)
                }
            } catch {
                throw error.retryable ? .unreachable("GitLab: \(error.message)") : .notFound("GitLab: \(error.message)")
            }
            if let match = try await lookup(found, productId: productId, version: version) { return match }
        }
        throw .notFound(
            "no descriptor for data product '\(productId)' version \(version) in the projects of group \(settings.group) (files matching \(settings.pattern))")
    }

    private func lookup(_ found: [Found], productId: String, version: String) async throws(DescriptorSourceError) -> DataProductDescriptor? {
        let key = "\(productId)@\(version)"
        switch settings.versions {
        case .field:
            return found.compactMap { try? $0.descriptor.get() }.first { DirectoryDescriptorSource.keys($0).contains(key) }
        case .tags:
            for file in found {
                guard let current = try? file.descriptor.get(),
                    DirectoryDescriptorSource.keys(current).contains(where: { $0.hasPrefix(productId + "@") })
                else { continue }
                for tag in [version, "v" + version] {
                    guard let tagged = try? await repository.file(project: String(file.project.id), path: file.path, ref: tag) else { continue }
                    guard var descriptor = try? DirectoryDescriptorSource.parse(tagged.bytes, name: file.path) else {
                        throw .invalid(DescriptorError(path: file.path, message: "the file at tag \(tag) of \(file.project.pathWithNamespace) is not a descriptor"))
                    }
                    descriptor.version = version
                    return descriptor
                }
            }
            return nil
        }
    }

    /// Whether `path` matches a descriptor `pattern`.
    public static func matches(_ pattern: String, _ path: String) -> Bool { Glob.matches(pattern, path) }

    /// Every descriptor file of the group's projects, read.
    public func discover() async throws(GitLabFailure) -> [Found] {
        ProjectScan.found(in: try await discover(reusing: [:]))
    }

    /// Every descriptor file of the group's projects: read again only in projects whose head commit
    /// at the ref differs from the one `previous` saw.
    func discover(reusing previous: [Int64: ProjectScan]) async throws(GitLabFailure) -> [Int64: ProjectScan] {
        var scans: [Int64: ProjectScan] = [:]
        for (order, project) in try await repository.projects(inGroup: settings.group).enumerated() {
            guard let ref = settings.ref ?? project.defaultBranch else { continue }
            let head = try await repository.head(project: String(project.id), ref: ref)
            if let head, var earlier = previous[project.id], earlier.head == head, earlier.ref == ref {
                earlier.order = order
                scans[project.id] = earlier
                continue
            }
            var found: [Found] = []
            let entries: [GitLabTreeEntry]
            do {
                entries = try await repository.tree(project: String(project.id), ref: ref, recursive: true)
            } catch where error.status == 404 {
                entries = []  // an empty repository has no tree
            }
            for entry in entries where !entry.isFolder && Glob.matches(settings.pattern, entry.path) {
                guard let file = try await repository.file(project: String(project.id), path: entry.path, ref: ref) else { continue }
                let descriptor: Result<DataProductDescriptor, DescriptorFileProblem>
                do {
                    descriptor = .success(try DirectoryDescriptorSource.parse(file.bytes, name: entry.path))
                } catch {
                    descriptor = .failure(DescriptorFileProblem(description: "\(project.pathWithNamespace):\(entry.path): \(error)"))
                }
                found.append(Found(project: project, path: entry.path, ref: ref, descriptor: descriptor))
            }
            scans[project.id] = ProjectScan(order: order, ref: ref, head: head, found: found)
        }
        return scans
    }
}

/// What discovery read in one project, at which head commit of which ref.
struct ProjectScan: Sendable {
    var order: Int
    var ref: String
    var head: String?
    var found: [GitLabDescriptorSource.Found]

    /// The descriptor files of every project, in the group's order.
    static func found(in scans: [Int64: ProjectScan]) -> [GitLabDescriptorSource.Found] {
        scans.values.sorted { $0.order < $1.order }.flatMap(\.found)
    }
}

/// What discovery found last, and when; a look forced by a lookup that missed is allowed once
/// per `maximumAge`.
actor DiscoveryCache {
    let maximumAge: Duration
    private var scans: [Int64: ProjectScan] = [:]
    private var at: ContinuousClock.Instant?
    private var forcedAt: ContinuousClock.Instant?

    init(maximumAge: Duration) { self.maximumAge = maximumAge }

    /// The kept descriptors while fresh (and not `refresh`, or refreshed on demand lately), else
    /// those `make` reads from what was kept.
    func value(
        refresh: Bool, _ make: ([Int64: ProjectScan]) async throws(GitLabFailure) -> [Int64: ProjectScan]
    ) async throws(GitLabFailure) -> [GitLabDescriptorSource.Found] {
        let fresh = at.map { $0.duration(to: .now) < maximumAge } ?? false
        let mayForce = forcedAt.map { $0.duration(to: .now) >= maximumAge } ?? true
        if fresh && (!refresh || !mayForce) { return ProjectScan.found(in: scans) }
        if refresh { forcedAt = .now }
        scans = try await make(scans)
        at = .now
        return ProjectScan.found(in: scans)
    }
}

/// Path globs: `*` matches within a folder, `**/` any number of folders, `{a,b}` alternatives.
enum Glob {
    static func matches(_ pattern: String, _ path: String) -> Bool {
        for alternative in expand(pattern) where match(Array(alternative), Array(path)) { return true }
        return false
    }

    static func expand(_ pattern: String) -> [String] {
        guard let open = pattern.firstIndex(of: "{"), let close = pattern[open...].firstIndex(of: "}") else { return [pattern] }
        let head = pattern[..<open]
        let tail = String(pattern[pattern.index(after: close)...])
        return pattern[pattern.index(after: open)..<close].split(separator: ",", omittingEmptySubsequences: false)
            .flatMap { expand(head + $0 + tail) }
    }

    static func match(_ p: [Character], _ s: [Character]) -> Bool {
        if p.isEmpty { return s.isEmpty }
        if p.count >= 3, p[0] == "*", p[1] == "*", p[2] == "/" {
            let rest = Array(p[3...])
            if match(rest, s) { return true }
            for i in s.indices where s[i] == "/" && match(rest, Array(s[(i + 1)...])) { return true }
            return false
        }
        if p[0] == "*" {
            let rest = Array(p[1...])
            var i = 0
            while true {
                if match(rest, Array(s[i...])) { return true }
                if i == s.count || s[i] == "/" { return false }
                i += 1
            }
        }
        guard let first = s.first, first == p[0] else { return false }
        return match(Array(p[1...]), Array(s[1...]))
    }
}
