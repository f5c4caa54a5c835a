import Testing
import TollgateJSON
import TollgateLifecycle

@Suite("Descriptors")
struct DescriptorTests {
    func lifecycle(_ json: String) throws -> LifecycleDescriptor {
        let document = try JSONValue.parse(
            #"{"info": {"fullyQualifiedName": "urn:x", "version": "1"}, "internalComponents": {"lifecycleInfo": "#
                + json + "}}")
        return try DataProductDescriptor(document: document).lifecycle
    }

    @Test func stageOrderIsKeyOrderNotAlphabetical() throws {
        #expect(try lifecycle(#"{"prod": [], "dev": [], "test": []}"#).stageNames == ["prod", "dev", "test"])
    }

    @Test func taskOrderIsHonoured() throws {
        let stage = try #require(try lifecycle(
            #"{"dev": [{"name": "b", "order": 2}, {"name": "a", "order": 1}, {"name": "c", "order": 3}]}"#).stage("dev"))
        #expect(stage.tasks.map(\.key) == ["a", "b", "c"])
        #expect(stage.tasks.map(\.position) == [1, 2, 3])
    }

    @Test func unnamedTasksAreKeyedByPositionAfterOrdering() throws {
        let stage = try #require(try lifecycle(#"{"dev": [{"order": 2}, {"order": 1, "name": "first"}, {}]}"#).stage("dev"))
        #expect(stage.tasks.map(\.key) == ["first", "task2", "task3"])
    }

    @Test(arguments: [
        (#"{"dev": [{"service": {"$href": 3}}]}"#, "internalComponents.lifecycleInfo.dev[1].service.$href"),
        (#"{"dev": [{"order": "first"}]}"#, "internalComponents.lifecycleInfo.dev[1].order"),
        (#"{"dev": [{"configurations": []}]}"#, "internalComponents.lifecycleInfo.dev[1].configurations"),
        (#"{"dev": "build"}"#, "internalComponents.lifecycleInfo.dev"),
        (#"{"tasksInfo": [{"name": "x"}]}"#, "internalComponents.lifecycleInfo.tasksInfo[1].stageName"),
        (#"{"dev": [{"template": {"definition": {"rawContent": "{oops", "inline": true}}}]}"#,
         "internalComponents.lifecycleInfo.dev[1].template.definition.rawContent"),
        (#"{"dev": [{"template": {"definition": {"$ref": "templates/x", "resolvedRef": false}}}]}"#,
         "internalComponents.lifecycleInfo.dev[1].template.definition"),
    ])
    func malformedDescriptorsNameThePlace(json: String, path: String) throws {
        do {
            _ = try lifecycle(json)
            Issue.record("accepted \(json)")
        } catch let error as DescriptorError {
            #expect(error.path == path)
        }
    }

    @Test func theRegistrysWrappedDefinitionIsUnwrapped() throws {
        // The ODM registry's normalized form carries the definition as JSON text.
        let stage = try #require(try lifecycle(
            #"""
            {"tasksInfo": [{"name": "dev:task:1", "stageName": "dev", "order": 1, "service": {"$href": "azure-devops"},
              "template": {"name": "testPipeline", "definition": {
                "rawContent": "{\"pipelineId\":\"3\",\"timeoutSeconds\":120}", "inline": true, "resolvedRef": false}}}]}
            """#).stage("dev"))
        let task = try #require(stage.tasks.first)
        #expect(task.definition == ["pipelineId": "3", "timeoutSeconds": 120])
        #expect(task.templateName == "testPipeline")
        #expect(task.key == "task1")
    }

    @Test func aDefinitionWithARawContentFieldOfItsOwnIsNotAWrapper() throws {
        let stage = try #require(try lifecycle(
            #"{"dev": [{"template": {"definition": {"rawContent": "kept", "pipelineId": "3"}}}]}"#).stage("dev"))
        #expect(stage.tasks.first?.definition == ["rawContent": "kept", "pipelineId": "3"])
    }

    @Test func templateNamesAliasTheirTasks() throws {
        let lifecycle = try lifecycle(
            #"{"prod": [{"template": {"name": "testPipeline"}}, {"template": {"name": "testPipeline2"}}, {"template": {"name": "testPipeline2"}}]}"#)
        #expect(lifecycle.taskKeys(usingTemplate: "testPipeline", inStage: "prod") == ["task1"])
        #expect(lifecycle.taskKeys(usingTemplate: "testPipeline2", inStage: "prod") == ["task2", "task3"])
        #expect(lifecycle.taskKeys(usingTemplate: "testPipeline", inStage: "dev").isEmpty)
    }

    @Test func duplicateTaskNamesAreRefused() throws {
        #expect(throws: DescriptorError.self) { try lifecycle(#"{"dev": [{"name": "a"}, {"name": "a"}]}"#) }
    }

    @Test func missingInfoIsNamed() throws {
        do {
            _ = try DataProductDescriptor(document: ["info": ["version": "1"]])
            Issue.record("accepted")
        } catch {
            #expect(error.path == "info.fullyQualifiedName")
        }
    }
}
