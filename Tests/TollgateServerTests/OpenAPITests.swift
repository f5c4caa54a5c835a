import AsyncHTTPClient
import Foundation
import Hummingbird
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

@Suite("OpenAPI document")
struct OpenAPITests {
    @Test func everyRouteIsDocumentedAndNothingElse() throws {
        let directory = try TemporaryDirectory()
        var configuration = ServiceConfiguration()
        configuration.database = .sqlite(path: directory.url("t.db"))
        configuration.policies = RepositoryPaths.policies
        configuration.registry = .directory(path: directory.path)
        let client = TollgateService.makeHTTPClient()
        defer { try? client.syncShutdown() }
        let service = try TollgateService(configuration: configuration, httpClient: client)
        let router = service.router()
        try router.validate()
        let routes = Set(
            router.routes.map { route in
                let path = route.path.description.split(separator: "/").map { part in
                    part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
                }.joined(separator: "/")
                return "\(route.method) /\(path)"
            })
        let documented = Set(TollgateService.documentedOperations)
        #expect(routes.subtracting(documented).isEmpty, "undocumented: \(routes.subtracting(documented).sorted())")
        #expect(documented.subtracting(routes).isEmpty, "documented but not served: \(documented.subtracting(routes).sorted())")
        #expect(routes.count >= 20)
    }
}
