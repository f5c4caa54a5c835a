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

    func resolve(_ configurations: JSONValue, mode: PlaceholderResolver.Mode = .strict) throws -> JSONValue {
        try PlaceholderResolver(context: context, mode: mode).resolve(configurations)
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
        let out = try resolve(["a": "${x.y}", "b": "pre ${x.y} ${dev.status}"], mode: .lenient)
        #expect(out["a"] == "${x.y}")
        #expect(out["b"] == "pre ${x.y} PROCESSED")
    }

    @Test func doubleDollarEscapes() throws {
        let out = try resolve(["a": "$${dev.status} costs $5 and ${dev.status}"])
        #expect(out["a"] == "${dev.status} costs $5 and PROCESSED")
    }
}
