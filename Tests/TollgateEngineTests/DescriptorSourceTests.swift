import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateRuntime
import TollgateTestSupport

@Suite("Descriptor files")
struct DescriptorSourceTests {
    @Test func yamlAndJSONDescriptorsAreFoundByNameOrProductId() async throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "hello.yaml",
            """
            info:
              fullyQualifiedName: urn:org.opendatamesh:dataproducts:hello
              name: hello
              version: 1.0.0
            internalComponents:
              lifecycleInfo:
                test:
                  - service: { $href: local }
                    configurations: { params: { retries: 3, ratio: 0.5, enabled: true, note: null } }
                dev:
                  - service: { $href: local }
            """)
        try directory.write("other.json", #"{"info": {"fullyQualifiedName": "urn:x:other", "version": "2"}}"#)
        try directory.write("broken.yml", "info: [unclosed")
        let source = DirectoryDescriptorSource(directory: directory.path)
        #expect(source.problems.count == 1)
        #expect(source.problems.first?.contains("broken.yml") == true)
        let byName = try await source.descriptor(productId: "hello", version: "1.0.0")
        #expect(byName.lifecycle.stageNames == ["test", "dev"], "YAML mapping order is stage order")
        let params = byName.lifecycle.stage("test")?.tasks.first?.configurations?["params"]
        #expect(params == ["retries": 3, "ratio": 0.5, "enabled": true, "note": nil])
        let id = ODMProductId.make(fullyQualifiedName: "urn:org.opendatamesh:dataproducts:hello")
        #expect(try await source.descriptor(productId: id, version: "1.0.0").name == "hello")
        #expect(try await source.descriptor(productId: "urn:x:other", version: "2").version == "2")
        await #expect(throws: DescriptorSourceError.self) { try await source.descriptor(productId: "hello", version: "9") }
    }

    @Test func odmProductIdsAreNameBasedUUIDs() {
        // Java: UUID.nameUUIDFromBytes("hello".getBytes()) == 5d41402a-bc4b-3a76-b971-9d911017c592
        #expect(ODMProductId.make(fullyQualifiedName: "hello") == "5d41402a-bc4b-3a76-b971-9d911017c592")
    }
}
