import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateTestSupport

/// The contexts and resolved parameters of the reference walk-through, exactly.
@Suite("Walk-through contexts")
struct WalkthroughContextTests {
    let descriptor: DataProductDescriptor
    let vm = Walkthrough.vmResults
    let url = Walkthrough.urlResults

    init() throws {
        let data = try #require(FileManager.default.contents(atPath: RepositoryPaths.path("examples/walkthrough/descriptor.json")))
        descriptor = try DataProductDescriptor(document: try JSONValue.parse(Array(data)))
    }

    func context(_ entries: [String: StageContext]) -> JSONValue {
        LifecycleContext(stageOrder: descriptor.lifecycle.stageNames, entries: entries).jsonValue
    }

    @Test func descriptorStagesAndTasks() throws {
        #expect(descriptor.lifecycle.stageNames == ["dev", "test"])
        let dev = try #require(descriptor.lifecycle.stage("dev"))
        #expect(dev.tasks.map(\.key) == ["task1", "task2"])
        #expect(dev.tasks.map(\.executor) == ["azure-devops", "azure-devops"])
        #expect(dev.tasks[1].definition?["pipelineId"] == "3")
        #expect(descriptor.fullyQualifiedName == "urn:org.opendatamesh:dataproducts:hello")
        #expect(descriptor.owner == "owner@example.com")
    }

    @Test func step1FirstTaskOfDev() throws {
        let expected = try Walkthrough.context(Walkthrough.step1Context)
        #expect(context(["dev": StageContext(status: .running)]) == expected)
    }

    @Test func step3SecondTaskSeesTheVMAndItsIP() throws {
        let ctx = context(["dev": StageContext(status: .running, results: ["task1": vm])])
        let expected = try Walkthrough.context(Walkthrough.step3Context)
        #expect(ctx == expected)
        let task2 = try #require(descriptor.lifecycle.stage("dev")?.tasks[1])
        let resolved = try PlaceholderResolver(context: ctx, lifecycle: descriptor.lifecycle).resolve(try #require(task2.configurations))
        #expect(resolved["params"]?["vmIp"] == "198.168.20.120")
        #expect(resolved["params"]?["param"] == "value")
        #expect(resolved["stageToSkip"] == [])
    }

    @Test func step5TestStageSeesDevProcessedAndTheURL() throws {
        let finished = try #require(Timestamp.parse("2023-11-23T14:32:00Z"))
        let ctx = context([
            "test": StageContext(status: .running),
            "dev": StageContext(status: .processed, finishedAt: finished, results: ["task1": vm, "task2": url]),
        ])
        let expected = try Walkthrough.context(Walkthrough.step5Context)
        #expect(ctx == expected)
        #expect(ctx.serialized() == expected.serialized(), "key order too")
        let task = try #require(descriptor.lifecycle.stage("test")?.tasks.first)
        let resolved = try PlaceholderResolver(context: ctx, lifecycle: descriptor.lifecycle).resolve(try #require(task.configurations))
        #expect(resolved["params"]?["endpointURL"] == "localhost:8121/helloWorld")
    }

    @Test func normalizedFormReadsTheSame() throws {
        let normalized = try JSONValue.parse(
            #"""
            { "info": { "fullyQualifiedName": "urn:x:hello", "version": "1.0.0" },
              "internalComponents": { "lifecycleInfo": { "tasksInfo": [
                { "name": "dev:task:2", "stageName": "dev", "order": 2, "service": { "$href": "azure-devops" } },
                { "name": "dev:task:1", "stageName": "dev", "order": 1, "service": { "$href": "azure-devops" },
                  "configurations": { "params": { "x": "${dev.results.task1.vm.ip}" } } },
                { "name": "test:task:1", "stageName": "test", "order": 1, "service": { "$href": "azure-devops" } },
                { "name": "smoke", "stageName": "test", "order": 2 }
              ] } } }
            """#)
        let lifecycle = try DataProductDescriptor(document: normalized).lifecycle
        #expect(lifecycle.stageNames == ["dev", "test"])
        #expect(lifecycle.stage("dev")?.tasks.map(\.key) == ["task1", "task2"])
        #expect(lifecycle.stage("dev")?.tasks.first?.configurations?["params"]?["x"] == "${dev.results.task1.vm.ip}")
        #expect(lifecycle.stage("test")?.tasks.map(\.key) == ["task1", "smoke"])
        #expect(lifecycle.stage("test")?.tasks[1].executor == nil)
    }
}
