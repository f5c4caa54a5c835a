import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Synchronization
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// Tollgate in place of ODM's DevOps server, fed the ODM registry's real answers
/// (`Tests/Fixtures/odm-platform`, from odm-platform v1.0.42) from create through start, executor
/// and callback, with each kind of executor.
@Suite("ODM drop-in", .serialized)
struct ODMDropInTests {
    /// `dpdCore`'s id in the fixtures (the name-based id of its fully qualified name).
    static let product = "f350cab5-992b-32f7-9c90-79bca1bf10be"
    /// The template definition every task of the fixtures has, as the registry wraps it.
    static let definition: JSONValue = ["organization": "andreagioia", "project": "opendatamesh", "pipelineId": "3", "branch": "main"]

    static func fixture(_ name: String) throws -> JSONValue {
        let data = try #require(FileManager.default.contents(atPath: RepositoryPaths.path("Tests/Fixtures/odm-platform/\(name)")))
        return try JSONValue.parse(Array(data))
    }

    /// A registry serving `descriptor` as `dpdCore` 1.0.0, and the fixture's template.
    static func registry(_ descriptor: JSONValue) throws -> FakeODMRegistry {
        FakeODMRegistry(
            versions: ["\(product)@1.0.0": descriptor],
            templates: ["65f81a2f-65d8-3f03-9dff-ba598ba0292c": try fixture("template-canonical.json")])
    }

    static let prod: JSONValue = ["dataProductId": .string(product), "dataProductVersion": "1.0.0", "stage": "prod"]

    /// Starts Tollgate on `registry` as a platform replacing ODM before it has policies would (an
    /// empty policy directory), with `executors`, and creates and starts `activity`.
    static func promote(
        _ f: ServiceFixture, registry: FakeODMRegistry, executors: [String: ServiceConfiguration.Executor]? = nil,
        _ activity: JSONValue = prod, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await f.start(registry: .odm(address: registry.address), executors: executors, policies: try noPolicies(f))
        let (status, created) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: activity)
        #expect(status == 201, "\(created)", sourceLocation: sourceLocation)
    }

    /// A platform replacing ODM before it has policies: an empty policy directory.
    static func noPolicies(_ f: ServiceFixture) throws -> String {
        let path = f.directory.url("no-policies")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func anODMExecutorReceivesTheDefinitionAsODMSendsIt() async throws {
        let registry = try Self.registry(try Self.fixture("dpd-core-normalized.json"))
        let f = try ServiceFixture(respond: { _ in ["status": "PROCESSED", "results": ["url": "https://prod.example.com"]] })
        try await registry.start(client: f.client)
        defer {
            registry.stop()
            Task { try? await f.stop() }
        }
        try await Self.promote(f, registry: registry)
        try await f.waitFor(activity: 1, status: "PROCESSED")
        let received = try #require(f.executor.tasks.first)
        #expect(received["template"]?.stringValue.flatMap { try? JSONValue.parse($0) } == Self.definition)
        #expect(received["name"] == "testPipeline", "ODM names a task by its template")
        #expect(received["activityId"] == "1")
        #expect(received["startedByActivity"] == true)
        #expect(received["callbackRef"]?.stringValue?.contains("/api/v1/pp/devops/tasks/1/status?action=STOP&token=") == true)
        #expect(received["callbackRef"]?.stringValue?.hasSuffix("&attempt=1") == true, "the dispatch attempt travels with the callback")
        #expect(received["status"] == "PROCESSING")
        let configurations = try JSONValue.parse(try #require(received["configurations"]?.stringValue))
        #expect(configurations["stagesToSkip"] == [])
        #expect(configurations["context"]?["prod"]?["status"] == "RUNNING")

        let (_, task) = try await f.call(.GET, "/api/v1/pp/devops/tasks/1")
        #expect(task["template"]?.stringValue.flatMap { try? JSONValue.parse($0) } == Self.definition, "the definition as JSON text")
        let (_, tasks) = try await f.call(.GET, "/api/v1/pp/devops/tasks?activityId=1")
        #expect(tasks[0]?["template"] == task["template"])
    }

    @Test func aTemplateGivenByReferenceIsReadFromTheRegistry() async throws {
        // The registry's canonical answer: definitions are `{"$ref": …, "resolvedRef": false}`.
        let registry = try Self.registry(try Self.fixture("dpd-core-canonical.json"))
        let f = try ServiceFixture(respond: { _ in ["status": "PROCESSED"] })
        try await registry.start(client: f.client)
        defer {
            registry.stop()
            Task { try? await f.stop() }
        }
        try await Self.promote(f, registry: registry)
        try await f.waitFor(activity: 1, status: "PROCESSED")
        #expect(f.executor.tasks.first?["template"]?.stringValue.flatMap { try? JSONValue.parse($0) } == Self.definition)
        let templateReads = registry.requests.withLock { $0.filter { $0 == "/api/v1/pp/registry/templates/65f81a2f-65d8-3f03-9dff-ba598ba0292c" } }
        #expect(templateReads.count == 1, "the template five tasks use is read once: \(templateReads)")
    }

    @Test func anAzurePipelineRunsTheDefinitionsPipelineAndBranch() async throws {
        let registry = try Self.registry(try Self.fixture("dpd-core-normalized.json"))
        let azure = FakeAzureDevOps(organization: "andreagioia", project: "opendatamesh")
        azure.addPipeline(id: 3, name: "testPipeline")
        let f = try ServiceFixture(respond: { _ in nil }, recoveryInterval: .milliseconds(50))
        try await registry.start(client: f.client)
        try await azure.start(client: f.client)
        defer {
            registry.stop()
            azure.stop()
            Task { try? await f.stop() }
        }
        var settings = AzureDevOpsExecutorSettings(organization: azure.organizationURL, project: azure.project, token: azure.pat)
        settings.branch = "develop"
        settings.pollSeconds = 0.02
        settings.maxPollSeconds = 0.05
        azure.completeNewRuns(with: "succeeded")
        let test: JSONValue = ["dataProductId": .string(Self.product), "dataProductVersion": "1.0.0", "stage": "test"]
        try await Self.promote(f, registry: registry, executors: ["azure-devops": .azureDevOps(settings)], test)
        try await f.waitFor(activity: 1, status: "PROCESSED")
        let run = try #require(azure.requests.first { $0.method == "POST" && $0.path.hasSuffix("/pipelines/3/runs") })
        #expect(run.body?["resources"]?["repositories"]?["self"]?["refName"] == "refs/heads/main", "the definition's branch")
        #expect(run.body?["stagesToSkip"] == ["Deploy"], "ODM descriptors name the stages to skip in the configurations")
    }

    @Test func aGitLabPipelineStartsInTheDefinitionsProject() async throws {
        let registry = try Self.registry(try Self.fixture("dpd-core-normalized.json"))
        let gitlab = FakeGitLab()
        gitlab.addProject(id: 9, path: "opendatamesh")
        let f = try ServiceFixture(respond: { _ in nil })
        try await registry.start(client: f.client)
        try await gitlab.start(client: f.client)
        defer {
            registry.stop()
            gitlab.stop()
            Task { try? await f.stop() }
        }
        try await Self.promote(
            f, registry: registry, executors: ["azure-devops": .gitlab(GitLabExecutorSettings(address: gitlab.address, token: gitlab.token))])
        try await waitUntil("a pipeline in project opendatamesh") { gitlab.createdPipelines.count == 1 }
        #expect(gitlab.requests.contains { $0.hasPrefix("POST /api/v4/projects/opendatamesh/pipeline") }, "\(gitlab.requests)")
        // The pipeline's last job reports through the callback it was given.
        let pipeline = try #require(gitlab.createdPipelines.first)
        let callback = try #require(gitlab.variables(of: pipeline)["TOLLGATE_CALLBACK_URL"])
        let (reported, _) = try await f.call(.PATCH, callback, body: ["status": "PROCESSED", "results": ["url": "https://prod.example.com"]])
        #expect(reported == 200)
        try await f.waitFor(activity: 1, status: "PROCESSED")
        let (_, task) = try await f.call(.GET, "/api/v1/pp/devops/tasks/1")
        #expect(task["template"]?.stringValue.flatMap { try? JSONValue.parse($0) } == Self.definition)
    }

    @Test func gitlabFilesCommitsToTheDefinitionsProjectAndBranch() async throws {
        // The registry's wrapper, around a gitlab-files definition.
        var descriptor = try Self.fixture("dpd-core-normalized.json")
        descriptor = try Self.replacing(descriptor, definition: #"{"project":"twins/opendatamesh","branch":"release"}"#) { configurations in
            configurations["files"] = [["action": "upsert", "path": "RELEASE.md", "content": "released ${prod.status}"]]
        }
        let registry = try Self.registry(descriptor)
        let repositories = FakeGitLabRepositories()
        repositories.addGroup(id: 1, path: "twins")
        repositories.addProject(id: 5, group: 1, path: "opendatamesh")
        repositories.addBranch(project: 5, branch: "release")
        let f = try ServiceFixture(respond: { _ in nil })
        try await registry.start(client: f.client)
        try await repositories.start(client: f.client)
        defer {
            registry.stop()
            repositories.stop()
            Task { try? await f.stop() }
        }
        let files = GitLabFilesExecutorSettings(address: repositories.address, token: repositories.token)
        try await Self.promote(f, registry: registry, executors: ["azure-devops": .gitlabFiles(files)])
        try await f.waitFor(activity: 1, status: "PROCESSED")
        #expect(repositories.files(project: 5, branch: "release")["RELEASE.md"] == Array("released RUNNING".utf8))
    }

    @Test func shellVariablesStayAndTemplateNamesNameTasks() async throws {
        // Two prod tasks of different templates; the second refers to the first by its template's name.
        var descriptor = try Self.fixture("dpd-multiple-tasks-normalized.json")
        descriptor = try Self.changingConfigurations(descriptor) { stage, order, configurations in
            guard stage == "prod", order == 2 else { return }
            configurations["script"] = ["cd ${CI_PROJECT_DIR}", "deploy --to ${prod.results.testPipeline.url} --home ${HOME}"]
        }
        let registry = FakeODMRegistry(versions: ["f350cab5-992b-32f7-9c90-79bca1bf10bc@1.0.0": descriptor])
        let f = try ServiceFixture(respond: { _ in ["status": "PROCESSED", "results": ["url": "https://prod.example.com"]] })
        try await registry.start(client: f.client)
        defer {
            registry.stop()
            Task { try? await f.stop() }
        }
        let prod: JSONValue = ["dataProductId": "f350cab5-992b-32f7-9c90-79bca1bf10bc", "dataProductVersion": "1.0.0", "stage": "prod"]
        try await Self.promote(f, registry: registry, prod)
        try await f.waitFor(activity: 1, status: "PROCESSED")
        let second = try #require(f.executor.tasks.last)
        #expect(second["name"] == "testPipeline2")
        let configurations = try JSONValue.parse(try #require(second["configurations"]?.stringValue))
        #expect(configurations["script"] == ["cd ${CI_PROJECT_DIR}", "deploy --to https://prod.example.com --home ${HOME}"])
    }

    /// `descriptor` (the registry's normalized form) with each entry of `tasksInfo` changed by `change`.
    static func changingTasks(_ descriptor: JSONValue, _ change: (inout JSONObject) -> Void) throws -> JSONValue {
        guard case .object(var root) = descriptor, case .object(var internals)? = root["internalComponents"],
            case .object(var lifecycle)? = internals["lifecycleInfo"], case .array(var tasks)? = lifecycle["tasksInfo"]
        else { throw ODMTestError("not a normalized descriptor") }
        for i in tasks.indices {
            guard case .object(var task) = tasks[i] else { continue }
            change(&task)
            tasks[i] = .object(task)
        }
        lifecycle["tasksInfo"] = .array(tasks)
        internals["lifecycleInfo"] = .object(lifecycle)
        root["internalComponents"] = .object(internals)
        return .object(root)
    }

    /// `descriptor` with the configurations of each task (by stage and order) changed by `change`.
    static func changingConfigurations(
        _ descriptor: JSONValue, _ change: (String, Int64, inout JSONObject) -> Void
    ) throws -> JSONValue {
        try changingTasks(descriptor) { task in
            guard let stage = task["stageName"]?.stringValue, let order = task["order"]?.intValue else { return }
            var configurations = task["configurations"]?.objectValue ?? [:]
            change(stage, order, &configurations)
            task["configurations"] = .object(configurations)
        }
    }

    /// `descriptor` with every task's wrapped definition text replaced by `definition`, and its
    /// configurations changed by `change`.
    static func replacing(_ descriptor: JSONValue, definition: String, _ change: (inout JSONObject) -> Void) throws -> JSONValue {
        try changingTasks(descriptor) { task in
            guard case .object(var template)? = task["template"], case .object(var wrapper)? = template["definition"] else { return }
            wrapper["rawContent"] = .string(definition)
            template["definition"] = .object(wrapper)
            task["template"] = .object(template)
            var configurations = task["configurations"]?.objectValue ?? [:]
            change(&configurations)
            task["configurations"] = .object(configurations)
        }
    }
}
