import AsyncHTTPClient
import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateRuntime
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// Descriptors discovered in a GitLab group's projects.
@Suite("Descriptors from GitLab", .serialized)
struct GitLabDescriptorSourceTests {
    static func descriptor(_ name: String, version: String) -> [UInt8] {
        let json: JSONValue = [
            "dataProductDescriptor": "1.0.0",
            "info": ["fullyQualifiedName": .string("urn:org.opendatamesh:dataproducts:\(name)"), "name": .string(name), "version": .string(version), "owner": ["id": "o"]],
            "internalComponents": ["lifecycleInfo": ["dev": [["service": ["$href": "local"], "template": ["definition": ["command": "true"]]]]]],
        ]
        return Array(json.serialized().utf8)
    }

    /// A client with `gitlab` listening.
    static func started(_ gitlab: FakeGitLab) async throws -> HTTPClient {
        let client = TollgateService.makeHTTPClient()
        try await gitlab.start(client: client)
        return client
    }

    static func stop(_ gitlab: FakeGitLab, _ client: HTTPClient) {
        gitlab.stop()
        Task { try? await client.shutdown() }
    }

    @Test func descriptorsAreFoundByNameODMIdAndVersionAndBrokenOnesAreReported() async throws {
        let gitlab = FakeGitLab()
        let fake = gitlab.repositories
        fake.addGroup(id: 1, path: "platform")
        fake.addProject(id: 20, group: 1, path: "hello")
        fake.addProject(id: 21, group: 1, path: "orders")
        fake.addProject(id: 22, group: 1, path: "empty")
        fake.setFile(project: 20, path: "data-product-descriptor.json", content: Self.descriptor("hello", version: "1.0.0"))
        fake.setFile(project: 21, path: "products/orders/data-product-descriptor.json", content: Self.descriptor("orders", version: "2.1.0"))
        fake.setFile(project: 21, path: "products/broken/data-product-descriptor.json", content: Array("{ not json".utf8))
        fake.setFile(project: 21, path: "README.md", content: Array("# orders".utf8))
        let client = try await Self.started(gitlab)
        defer { Self.stop(gitlab, client) }
        var settings = GitLabDescriptorSource.Settings(address: gitlab.address, token: gitlab.token, group: "platform")
        settings.refreshSeconds = 0.3
        let source = GitLabDescriptorSource(settings: settings, http: OutboundHTTP(client: client))

        let found = try await source.discover()
        #expect(found.count == 3)
        #expect(found.filter { (try? $0.descriptor.get()) == nil }.map(\.path) == ["products/broken/data-product-descriptor.json"])

        let hello = try await source.descriptor(productId: "urn:org.opendatamesh:dataproducts:hello", version: "1.0.0")
        #expect(hello.name == "hello")
        let byId = try await source.descriptor(
            productId: ODMProductId.make(fullyQualifiedName: "urn:org.opendatamesh:dataproducts:orders"), version: "2.1.0")
        #expect(byId.version == "2.1.0")
        await #expect(throws: DescriptorSourceError.self) { try await source.descriptor(productId: "orders", version: "9.9.9") }

        // A descriptor added after discovery is found by a lookup that misses once refreshSeconds passed.
        fake.setFile(project: 22, path: "data-product-descriptor.json", content: Self.descriptor("late", version: "0.1.0"))
        try await Task.sleep(for: .milliseconds(350))
        #expect(try await source.descriptor(productId: "late", version: "0.1.0").name == "late")
    }

    @Test func lookingAgainReadsOnlyProjectsThatMovedAndMissesDoNotRescanEachTime() async throws {
        let gitlab = FakeGitLab()
        let fake = gitlab.repositories
        fake.addGroup(id: 1, path: "platform")
        for id in Int64(20)..<30 {
            fake.addProject(id: id, group: 1, path: "product-\(id)")
            fake.setFile(project: id, path: "data-product-descriptor.json", content: Self.descriptor("product-\(id)", version: "1.0.0"))
        }
        let client = try await Self.started(gitlab)
        defer { Self.stop(gitlab, client) }
        func source(refreshSeconds: Double) -> GitLabDescriptorSource {
            var settings = GitLabDescriptorSource.Settings(address: gitlab.address, token: gitlab.token, group: "platform")
            settings.refreshSeconds = refreshSeconds
            return GitLabDescriptorSource(settings: settings, http: OutboundHTTP(client: client))
        }
        func count(_ fragment: String) -> Int { fake.requests.filter { $0.contains(fragment) }.count }

        // Misses in a row: one look again, not one each.
        let patient = source(refreshSeconds: 60)
        #expect(try await patient.descriptor(productId: "product-20", version: "1.0.0").name == "product-20")
        #expect(count("/repository/tree") == 10, "the first look reads every project")
        for _ in 0..<5 {
            await #expect(throws: DescriptorSourceError.self) { try await patient.descriptor(productId: "nowhere", version: "1.0.0") }
        }
        #expect(count("/groups/platform/projects") == 2, "one look for the first miss, none for the next four")
        #expect(count("/repository/tree") == 10, "nothing moved: no project read again")

        // One project moves; once what was found is older than refreshSeconds, a look reads it alone.
        let eager = source(refreshSeconds: 0.2)
        #expect(try await eager.descriptor(productId: "product-20", version: "1.0.0").name == "product-20")
        #expect(count("/repository/tree") == 20)
        fake.setFile(project: 27, path: "data-product-descriptor.json", content: Self.descriptor("product-27", version: "1.1.0"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await eager.descriptor(productId: "product-27", version: "1.1.0").version == "1.1.0")
        #expect(count("/repository/tree") == 21, "only the project whose head moved is read again")
    }

    @Test func withVersionsByTagAVersionIsTheDescriptorAsTagged() async throws {
        let gitlab = FakeGitLab()
        let fake = gitlab.repositories
        fake.addGroup(id: 1, path: "platform")
        fake.addProject(id: 20, group: 1, path: "hello")
        fake.setFile(project: 20, path: "data-product-descriptor.json", content: Self.descriptor("hello", version: "3.0.0-dev"))
        // The files API reads a tag by its name as it reads a branch; the fake keeps the ref as a branch.
        fake.addBranch(project: 20, branch: "v2.0.0")
        fake.setFile(project: 20, branch: "v2.0.0", path: "data-product-descriptor.json", content: Self.descriptor("hello", version: "ignored"))
        let client = try await Self.started(gitlab)
        defer { Self.stop(gitlab, client) }
        var settings = GitLabDescriptorSource.Settings(address: gitlab.address, token: gitlab.token, group: "platform")
        settings.versions = .tags
        let source = GitLabDescriptorSource(settings: settings, http: OutboundHTTP(client: client))
        let tagged = try await source.descriptor(productId: "urn:org.opendatamesh:dataproducts:hello", version: "2.0.0")
        #expect(tagged.version == "2.0.0", "the tag names the version")
        #expect(fake.requests.contains { $0.contains("ref=v2.0.0") })
        await #expect(throws: DescriptorSourceError.self) { try await source.descriptor(productId: "hello", version: "1.0.0") }
    }

    @Test(arguments: [
        ("**/data-product-descriptor.{json,yaml,yml}", "data-product-descriptor.json", true),
        ("**/data-product-descriptor.{json,yaml,yml}", "a/b/data-product-descriptor.yaml", true),
        ("**/data-product-descriptor.json", "a/b/other.json", false),
        ("products/*/dpd.json", "products/x/dpd.json", true),
        ("products/*/dpd.json", "products/x/y/dpd.json", false),
    ])
    func globs(_ pattern: String, _ path: String, _ expected: Bool) {
        #expect(GitLabDescriptorSource.matches(pattern, path) == expected)
    }
}
