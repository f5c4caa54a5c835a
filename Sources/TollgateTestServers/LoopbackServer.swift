public import AsyncHTTPClient
public import Hummingbird
public import Logging
import Synchronization
public import TollgateTestSupport

/// A free loopback port that serves a Hummingbird router while started.
public final class LoopbackServer: Sendable {
    public let port: Int
    private let serving = BackgroundServing()

    public init(port: Int = FreePort.next()) {
        self.port = port
    }

    /// `http://127.0.0.1:<port>`.
    public var address: String { "http://127.0.0.1:\(port)" }

    /// Serves `router` and returns once the port answers HTTP.
    public func start(_ router: Router<BasicRequestContext>, client: HTTPClient) async throws {
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quietLogger)
        serving.start(app)
        try await waitUntilListening(port: port, client: client)
    }

    /// Stops serving (the port refuses connections soon after).
    public func stop() { serving.stop() }
}

/// Waits until something answers HTTP on the port (any status will do).
public func waitUntilListening(port: Int, client: HTTPClient) async throws {
    for _ in 0..<200 {
        if (try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(1))) != nil {
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Servers in tests log only what matters (cancelled servers otherwise log their shutdown).
public let quietLogger: Logger = {
    var logger = Logger(label: "tollgate-test")
    logger.logLevel = .critical
    return logger
}()
