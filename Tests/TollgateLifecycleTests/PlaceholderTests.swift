import Testing
import TollgateJSON
import TollgateLifecycle

@Suite("Placeholders")
struct PlaceholderTests {
    let context: JSONValue = [
        "dev": [
            "status": "PROCESSED", "finishedAt": "2023-11-23T14:32:00Z",
            "results": [
                "task1": ["vm": ["name": "vm-dev", "ip": "198.168.20.120", "cores": 4, "tags": ["a", "b"]]],
                "task2": nil,
            ],
        ]
    ]

    /// The descriptor: stages `dev`, `test` and `prod`; dev's first task uses the template
    /// `provisionVm`, its second and third both use `shared`.
    static let lifecycle = LifecycleDescriptor(stages: [
        .init(
            name: "dev",
            tasks: [("task1", "provisionVm"), ("task2", "shared"), ("task3", "shared")].enumerated().map { i, task in
                TaskDefinition(name: nil, key: task.0, position: i + 1, executor: "azure-devops", template: ["name": .string(task.1)])
            }),
        .init(name: "test", tasks: []), .init(name: "prod", tasks: []),
    ])

    func resolve(_ configurations: JSONValue, mode: PlaceholderResolver.Mode = .strict) throws -> JSONValue {
        try PlaceholderResolver(context: context, lifecycle: Self.lifecycle, mode: mode).resolve(configurations)
    }

    @Test func aWholePlaceholderKeepsTheType() throws {
        let out = try resolve([
            "cores": "${dev.results.task1.vm.cores}", "vm": "${dev.results.task1.vm}",
            "first": "${dev.results.task1.vm.tags.0}", "none": "${dev.results.task2}",
        ])
        #expect(out["cores"] == 4)
        #expect(out["vm"]?["ip"] == "198.168.20.120")
        #expect(out["first"] == "a")
        #expect(out["none"] == .null)
    }

    @Test func anEmbeddedPlaceholderBecomesText() throws {
        let out = try resolve([
            "url": "http://${dev.results.task1.vm.ip}:8080/${dev.results.task1.vm.name}",
            "note": "cores=${dev.results.task1.vm.cores} tags=${dev.results.task1.vm.tags} at ${dev.finishedAt}",
        ])
        #expect(out["url"] == "http://198.168.20.120:8080/vm-dev")
        #expect(out["note"] == #"cores=4 tags=["a","b"] at 2023-11-23T14:32:00Z"#)
    }

    @Test func placeholdersAreFoundAtAnyDepthButNotInContext() throws {
        let out = try resolve([
            "params": ["list": ["${dev.results.task1.vm.name}", ["deep": "${dev.status}"]]],
            "context": ["left": "${not.resolved}"],
        ])
        #expect(out["params"]?["list"] == ["vm-dev", ["deep": "PROCESSED"]])
        #expect(out["context"]?["left"] == "${not.resolved}")
    }

    @Test(arguments: [
        ("${test.results.task1.url}", "stage 'test' is not in the context (it holds: dev)"),
        ("${dev.results.task9.url}", "task 'task9' of stage 'dev' has no results yet"),
        ("${dev.results.task1.vm.disk}", "'dev.results.task1.vm' has no field 'disk'"),
        ("${dev.results.task2.url}", "'dev.results.task2' is null"),
        ("x ${dev.results", "it is not closed with '}'"),
        ("${prod.results.task1.url}", "stage 'prod' is not in the context (it holds: dev)"),
        ("${dev..x}", "write it as ${stage.results.taskKey.field}"),
    ])
    func unresolvedPlaceholdersAreNamed(value: String, reason: String) throws {
        do {
            _ = try resolve(["params": ["p": .string(value)]])
            Issue.record("resolved \(value)")
        } catch let error as PlaceholderError {
            #expect(error.location == "params.p")
            #expect(error.reason == reason)
            #expect(error.description.contains("configurations.params.p"))
        }
    }

    @Test func lenientModeLeavesUnresolvedPlaceholders() throws {
        let out = try resolve(["a": "${test.results.x}", "b": "pre ${test.results.x} ${dev.status}"], mode: .lenient)
        #expect(out["a"] == "${test.results.x}")
        #expect(out["b"] == "pre ${test.results.x} PROCESSED")
    }

    @Test func shellVariablesAreLeftAsWritten() throws {
        let out = try resolve([
            "script": ["echo ${HOME}", "cd ${CI_PROJECT_DIR}/out && ls ${dev.results.task1.vm.name}", "x=${FOO:-bar}"],
            "dotted": "${not.a.stage}", "open": "echo ${", "brace": "awk '{print $1}'",
        ])
        #expect(out["script"] == ["echo ${HOME}", "cd ${CI_PROJECT_DIR}/out && ls vm-dev", "x=${FOO:-bar}"])
        #expect(out["dotted"] == "${not.a.stage}")
        #expect(out["open"] == "echo ${")
        #expect(out["brace"] == "awk '{print $1}'")
    }

    @Test func aTemplateNameStandsForItsTask() throws {
        let out = try resolve(["ip": "${dev.results.provisionVm.vm.ip}", "own": "${dev.results.task1.vm.cores}"])
        #expect(out["ip"] == "198.168.20.120")
        #expect(out["own"] == 4)
        do {
            _ = try resolve(["p": "${dev.results.shared.vm}"])
            Issue.record("an ambiguous template name resolved")
        } catch let error as PlaceholderError {
            #expect(error.reason == "template 'shared' names more than one task of stage 'dev' (task2, task3); use the task's key")
        }
    }

    @Test func doubleDollarEscapes() throws {
        let out = try resolve(["a": "$${dev.status} costs $5 and ${dev.status}"])
        #expect(out["a"] == "${dev.status} costs $5 and PROCESSED")
    }
}
