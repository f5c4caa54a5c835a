import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import TollgateJSON

/// An ODM executor that accepts every task and calls its `callbackRef` back at once with
/// `PROCESSED`, from a task of its own (as a real executor answers after its work).
func startFakeExecutor(port: Int, client: HTTPClient, logger: Logger) -> Task<Void, any Error> {
    let router = Router()
    router.post("api/v1/up/executor/tasks") { request, _ -> Response in
        let body = try await request.body.collect(upTo: 1 << 20)
        let task = try JSONValue.parse(Array(body.readableBytesView))
        if let callback = task["callbackRef"]?.stringValue {
            Task {
                var call = HTTPClientRequest(url: callback)
                call.method = .PATCH
                call.headers.add(name: "Content-Type", value: "application/json")
                call.body = .bytes(ByteBuffer(string: #"{"status":"PROCESSED","results":{"ok":true}}"#))
                _ = try? await client.execute(call, timeout: .seconds(30))
            }
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body.readableBytesView)))
    }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
    return Task { try await app.runService(gracefulShutdownSignals: []) }
}
