import Hummingbird
import Synchronization
import TollgateJSON

/// `GET /projects/:id/repository/tree`: folders implied by file paths, trees first then blobs.
extension FakeGitLabRepositories {
    func addTreeRoutes(to api: RouterGroup<BasicRequestContext>, base: @escaping @Sendable () -> String) {
        api.get("projects/:project/repository/tree") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            let key = Self.parameter("project", context) ?? ""
            let query = Dictionary(GitLabQuery.pairs(request.uri.query), uniquingKeysWith: { $1 })
            let recursive = RepoParams.bool(query["recursive"].map { .string($0) }) ?? false
            enum Outcome { case noProject, noTree, entries([JSONValue], maxPerPage: Int) }
            let outcome = state.withLock { state -> Outcome in
                guard let project = state.project(matching: key) else { return .noProject }
                let ref = query["ref"].flatMap { $0.isEmpty ? nil : $0 } ?? project.defaultBranch
                guard let branch = project.branchName(for: ref).flatMap({ project.branches[$0] }),
                    let entries = Self.tree(of: branch.files, under: query["path"] ?? "", recursive: recursive)
                else { return .noTree }
                return .entries(entries, maxPerPage: state.maxPerPage)
            }
            switch outcome {
            case .noProject: return GitLabAnswer.notFound("Project")
            case .noTree: return GitLabAnswer.notFound("Tree")
            case .entries(let entries, let maxPerPage):
                switch query["pagination"] {
                case "keyset": return GitLabPaging.keyset(entries, request: request, base: base(), maxPerPage: maxPerPage)
                case "none" where recursive: return GitLabAnswer.json(.ok, .array(entries))
                default: return GitLabPaging.offset(entries, request: request, base: base(), maxPerPage: maxPerPage)
                }
            }
        }
    }

    /// The entries below `path` (the root when empty): its direct children, or with `recursive`
    /// every folder and file beneath it. Nil when `path` is not a folder (missing, or a file).
    static func tree(of files: [String: RepoFile], under path: String, recursive: Bool) -> [JSONValue]? {
        let root = path.split(separator: "/").joined(separator: "/")
        let prefix = root.isEmpty ? "" : root + "/"
        let below = files.filter { $0.key.hasPrefix(prefix) }
        if !root.isEmpty && below.isEmpty { return nil }
        var folders: Set<String> = []
        var blobs: [String] = []
        for file in below.keys {
            let parts = file.dropFirst(prefix.count).split(separator: "/")
            if parts.count == 1 || recursive { blobs.append(file) }
            let depth = recursive ? parts.count - 1 : min(parts.count - 1, 1)
            for level in stride(from: 1, through: depth, by: 1) { folders.insert(prefix + parts.prefix(level).joined(separator: "/")) }
        }
        let byPath: (String, String) -> Bool = { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let trees = folders.sorted(by: byPath).map { folder -> JSONValue in
            let inside = files.filter { $0.key.hasPrefix(folder + "/") }.map { "\($0.key) \($0.value.blobId)" }.sorted(by: byPath)
            return entry(path: folder, id: RepoIds.sha1(Array(inside.joined(separator: "\n").utf8)), type: "tree", mode: "040000")
        }
        let blobEntries = blobs.sorted(by: byPath).compactMap { path -> JSONValue? in
            files[path].map { entry(path: path, id: $0.blobId, type: "blob", mode: $0.executable ? "100755" : "100644") }
        }
        return trees + blobEntries
    }

    private static func entry(path: String, id: String, type: String, mode: String) -> JSONValue {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return ["id": .string(id), "name": .string(name), "type": .string(type), "path": .string(path), "mode": .string(mode)]
    }
}
