import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// What an operator reads when a promotion stalls: `tollgate serve`'s own log, as JSON lines on
/// standard error, with the activity, the reason and the next retry in them.
@Suite("tollgate serve log", .serialized)
struct ServeLogTests {
    /// Starts `tollgate serve` in `directory` with its standard error in `serve.log`.
    func start(_ directory: TemporaryDirectory, port: Int, format: String) throws -> Process {
        try ServeProcess.useDescriptor("examples/walkthrough/descriptor.json", in: directory)
        let config = try ServeProcess.configuration(
            in: directory, port: port, server: "log: { level: info, format: \(format) }",
            """
            executors:
              azure-devops: { kind: odm, address: "http://127.0.0.1:\(FreePort.next())" }
            """)
        return try ServeProcess.start(config: config, standardError: directory.url("serve.log"))
    }

    func post(_ client: HTTPClient, port: Int, stage: String) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/pp/devops/activities?startAfterCreation=true")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(
            ByteBuffer(string: #"{"dataProductId":"urn:org.opendatamesh:dataproducts:hello","dataProductVersion":"1.0.0","stage":"\#(stage)"}"#))
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), try JSONValue.parse(Array(body.readableBytesView)))
    }

    func lines(_ directory: TemporaryDirectory) -> [String] {
        let text = (try? String(contentsOfFile: directory.url("serve.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    @Test func aBlockedPromotionAndAnUnreachableExecutorAreInTheJSONLog() async throws {
        let directory = try TemporaryDirectory()
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        let port = FreePort.next()
        let server = try start(directory, port: port, format: "json")
        defer { server.terminate() }
        try await waitUntilListening(port: port, client: client)

        // `test` before `dev`: the stage-order policy blocks the start.
        let (blockedStatus, blocked) = try await post(client, port: port, stage: "test")
        #expect(blockedStatus == 409)
        // `dev`: its first task goes to an executor nobody listens for.
        let (startedStatus, started) = try await post(client, port: port, stage: "dev")
        #expect(startedStatus == 201)
        let devActivity = try #require(started["id"]?.intValue)

        try await waitUntil("the failed dispatch of activity \(devActivity) is logged", within: .seconds(20)) {
            lines(directory).contains { $0.contains("executor-error") && $0.contains("\"activity\":\"\(devActivity)\"") }
        }
        let records = try lines(directory).map { line in
            let record = try JSONValue.parse(line)
            #expect(record["time"]?.stringValue != nil && record["level"]?.stringValue != nil, "\(line)")
            return record
        }

        // The blocked promotion: its activity, the decision, the blocking policy and its reason.
        #expect(blocked["code"] == "40910")
        let verdict = try #require(records.first { $0["verdict"] == "block" })
        #expect(verdict["activity"] == "1", "the first activity created, the one blocked")
        #expect(verdict["level"] == "notice")
        #expect(verdict["phase"] == "ACTIVITY_STAGE_TRANSITION")
        #expect(verdict["decision"]?.stringValue.flatMap(Int.init) != nil)
        let message = try #require(verdict["message"]?.stringValue)
        #expect(message.contains("stage-order"), "\(message)")
        #expect(message.contains("stage 'test' requires 'dev' to be the current stage"), "\(message)")

        // The unreachable executor: the activity, the task, the executor, the error and the next try.
        let retry = try #require(records.first { $0["activity"]?.stringValue == "\(devActivity)" && ($0["message"]?.stringValue ?? "").contains("executor-error") })
        #expect(retry["level"] == "warning")
        #expect(retry["executor"] == "azure-devops")
        #expect(retry["task"]?.stringValue.flatMap(Int.init) != nil)
        let retryMessage = try #require(retry["message"]?.stringValue)
        #expect(retryMessage.contains("attempt 1; next in 1 s"), "\(retryMessage)")
        #expect(retryMessage.contains("127.0.0.1"), "the address that could not be reached: \(retryMessage)")

        // The activity's own start is an info line with the same activity.
        #expect(records.contains { $0["activity"]?.stringValue == "\(devActivity)" && $0["message"]?.stringValue?.contains("→ PROCESSING") == true })
    }

    @Test func theTextFormatCarriesTheSameMetadata() async throws {
        let directory = try TemporaryDirectory()
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        let port = FreePort.next()
        let server = try start(directory, port: port, format: "text")
        defer { server.terminate() }
        try await waitUntilListening(port: port, client: client)
        let (status, _) = try await post(client, port: port, stage: "test")
        #expect(status == 409)
        try await waitUntil("the blocked start is logged", within: .seconds(10)) { lines(directory).contains { $0.contains("stage-order") } }
        let line = try #require(lines(directory).first { $0.contains("stage-order") })
        #expect(line.contains("notice"), "\(line)")
        #expect(line.contains("activity=1"), "\(line)")
        #expect(line.contains("verdict=block"), "\(line)")
    }
}
