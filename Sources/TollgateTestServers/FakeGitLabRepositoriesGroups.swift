import Hummingbird
import Synchronization
import TollgateJSON

/// `GET /groups/:id`, `GET /groups/:id/projects` and `GET /projects/:id`.
extension FakeGitLabRepositories {
    func addGroupRoutes(to api: RouterGroup<BasicRequestContext>, base: @escaping @Sendable () -> String) {
        api.get("groups/:group") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            let key = Self.parameter("group", context) ?? ""
            guard let body = state.withLock({ state in state.group(matching: key).map { Self.groupJSON($0, state: state, base: base()) } }) else {
                return GitLabAnswer.notFound("Group")
            }
            return GitLabAnswer.json(.ok, body)
        }
        api.get("groups/:group/projects") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            let key = Self.parameter("group", context) ?? ""
            let query = Dictionary(GitLabQuery.pairs(request.uri.query), uniquingKeysWith: { $1 })
            guard let (items, maxPerPage) = state.withLock({ state -> ([JSONValue], Int)? in
                guard let group = state.group(matching: key) else { return nil }
                let projects = Self.ordered(state.projects.values.filter { $0.group == group.id }, query: query)
                return (projects.map { Self.projectJSON($0, state: state, base: base()) }, state.maxPerPage)
            }) else { return GitLabAnswer.notFound("Group") }
            return GitLabPaging.offset(items, request: request, base: base(), maxPerPage: maxPerPage)
        }
        api.get("projects/:project") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            let key = Self.parameter("project", context) ?? ""
            guard case .object(var body)? = state.withLock({ state in state.project(matching: key).map { Self.projectJSON($0, state: state, base: base()) } }) else {
                return GitLabAnswer.notFound("Project")
            }
            for (key, value) in access.projectJSON { body[key] = value }
            return GitLabAnswer.json(.ok, .object(body))
        }
    }

    /// Filtered by `search` (name or path, case-insensitive) and ordered by `order_by`
    /// (`id`, `name`, `path`, or creation by default) and `sort` (`desc` by default).
    static func ordered(_ projects: [RepoProject], query: [String: String]) -> [RepoProject] {
        var list = projects
        if let search = query["search"]?.lowercased(), !search.isEmpty {
            list = list.filter { $0.name.lowercased().contains(search) || $0.path.lowercased().contains(search) }
        }
        let ascending: (RepoProject, RepoProject) -> Bool =
            switch query["order_by"] {
            case "id": { $0.id < $1.id }
            case "name": { $0.name.lowercased() < $1.name.lowercased() }
            case "path": { $0.path.lowercased() < $1.path.lowercased() }
            default: { $0.sequence < $1.sequence }
            }
        return query["sort"] == "asc" ? list.sorted(by: ascending) : list.sorted { ascending($1, $0) }
    }

    static func groupJSON(_ group: RepoGroup, state: RepositoriesState, base: String) -> JSONValue {
        let parent = Self.parent(of: group, state: state)
        var names = [group.name]
        var ancestor = parent
        while let current = ancestor {
            names.insert(current.name, at: 0)
            ancestor = Self.parent(of: current, state: state)
        }
        return [
            "id": .int(group.id), "name": .string(group.name), "path": .string(group.path), "description": "",
            "visibility": "private", "full_name": .string(names.joined(separator: " / ")), "full_path": .string(group.fullPath),
            "web_url": .string("\(base)/groups/\(group.fullPath)"), "parent_id": parent.map { .int($0.id) } ?? .null,
        ]
    }

    static func parent(of group: RepoGroup, state: RepositoriesState) -> RepoGroup? {
        guard let slash = group.fullPath.lastIndex(of: "/") else { return nil }
        let parentPath = group.fullPath[..<slash]
        return state.groups.values.first { $0.fullPath == parentPath }
    }

    static func projectJSON(_ project: RepoProject, state: RepositoriesState, base: String) -> JSONValue {
        let standIn = state.groupPath(project.group)
        let group = state.groups[project.group] ?? RepoGroup(id: project.group, fullPath: standIn, name: standIn)
        let fullPath = state.fullPath(of: project)
        let webURL = "\(base)/\(fullPath)"
        return [
            "id": .int(project.id), "name": .string(project.name), "path": .string(project.path),
            "path_with_namespace": .string(fullPath), "name_with_namespace": .string("\(group.name) / \(project.name)"),
            "namespace": [
                "id": .int(group.id), "name": .string(group.name), "path": .string(group.path), "kind": "group",
                "full_path": .string(group.fullPath), "parent_id": Self.parent(of: group, state: state).map { .int($0.id) } ?? .null,
                "web_url": .string("\(base)/groups/\(group.fullPath)"),
            ],
            "default_branch": .string(project.defaultBranch), "visibility": "private", "web_url": .string(webURL),
            "http_url_to_repo": .string("\(webURL).git"),
        ]
    }
}
