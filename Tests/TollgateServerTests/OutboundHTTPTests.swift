import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

@Suite("Outbound HTTP", .serialized)
struct OutboundHTTPTests {
    /// Answers 503 (with Retry-After: 0) `failures` times per method, then 200.
    final class Flaky: Sendable {
        let calls = Mutex<[String: Int]>([:])
        let failures: Int
        let server = LoopbackServer()

        init(failures: Int) { self.failures = failures }

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            for method in [HTTPRequest.Method.get, .post] {
                router.on("flaky", method: method) { [self] request, _ -> Response in
                    let count = self.calls.withLock { calls -> Int in
                        calls[request.method.rawValue, default: 0] += 1
                        return calls[request.method.rawValue]!
                    }
                    if count <= failures {
                        return Response(status: .serviceUnavailable, headers: [.retryAfter: "0"], body: .init(byteBuffer: ByteBuffer(string: "busy")))
                    }
                    return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "{\"ok\":true}")))
                }
            }
            router.get("health") { _, _ in "ok" }
            return router
        }

        var port: Int { server.port }
    }

    @Test func requestsSafeToRepeatAreRetriedOthersAreNot() async throws {
        let client = TollgateService.makeHTTPClient()
        let flaky = Flaky(failures: 2)
        try await flaky.server.start(flaky.router(), client: client)
        defer {
            flaky.server.stop()
            Task { try? await client.shutdown() }
        }
        let http = OutboundHTTP(client: client)
        let answer = try await http.send(.GET, "http://127.0.0.1:\(flaky.port)/flaky", what: "the registry")
        #expect(answer.status == 200)
        #expect(flaky.calls.withLock { $0["GET"] } == 3, "two 503s retried")
        do {
            _ = try await http.send(.POST, "http://127.0.0.1:\(flaky.port)/flaky?token=s3cr3t&x=1", body: "{}", what: "executor azure-devops")
            Issue.record("a failed POST was not reported")
        } catch {
            #expect(error.status == 503)
            #expect(error.retryable)
            #expect(error.description.hasPrefix("executor azure-devops answered 503 to POST http://127.0.0.1:\(flaky.port)/flaky?token=***&x=1"))
            #expect(!error.description.contains("s3cr3t"))
        }
        #expect(flaky.calls.withLock { $0["POST"] } == 1, "a POST is sent once")
    }

    @Test func anUnreachablePeerIsNamedQuickly() async throws {
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        var http = OutboundHTTP(client: client)
        http.backoff = .milliseconds(10)
        let port = FreePort.next()
        let started = ContinuousClock.now
        do {
            _ = try await http.send(.GET, "http://127.0.0.1:\(port)/x", what: "observer main")
            Issue.record("reached nothing")
        } catch {
            #expect(error.retryable)
            #expect(error.status == nil)
            #expect(error.description.hasPrefix("observer main is unreachable (GET http://127.0.0.1:\(port)/x)"))
        }
        #expect(ContinuousClock.now - started < .seconds(3))
    }
}
