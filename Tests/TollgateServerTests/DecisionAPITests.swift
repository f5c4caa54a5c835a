import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateStore
import TollgateTestServers
import TollgateTestSupport

/// The auditor's endpoints over a real run: filters, paging, one decision, export, verify.
@Suite("Decision API", .serialized)
struct DecisionAPITests {
    func served() async throws -> ServiceFixture {
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough)
        try await f.start()
        for (stage, id) in [("dev", 1), ("test", 2)] {
            let body: JSONValue = ["dataProductId": .string(DevOpsAPITests.product), "dataProductVersion": "1.0.0", "stage": .string(stage)]
            _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body)
            try await f.waitFor(activity: id, status: "PROCESSED")
        }
        return f
    }

    func raw(_ f: ServiceFixture, _ path: String) async throws -> (String, HTTPHeaders) {
        let response = try await f.client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(f.port)\(path)"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (String(buffer: body), response.headers)
    }

    @Test func filtersPagesAndOneDecision() async throws {
        let f = try await served()
        defer { Task { try? await f.stop() } }
        let (_, all) = try await f.call(.GET, "/api/v1/tollgate/decisions")
        let decisions = try #require(all.arrayValue)
        #expect(decisions.count == 7, "dev: transition, 2 results, activity result; test: transition, result, activity result")
        let (_, results) = try await f.call(.GET, "/api/v1/tollgate/decisions?phase=TASK_EXECUTION_RESULT&dataProductId=\(DevOpsAPITests.product)&stage=dev")
        #expect(results.arrayValue?.map { $0["sequence"] } == [2, 3])
        #expect(results[0]?["input"]?["result"]?["results"] == Walkthrough.vmResults, "each decision carries its input")

        let first = try await f.client.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(f.port)/api/v1/tollgate/decisions?limit=3"), timeout: .seconds(10))
        let cursor = try #require(first.headers.first(name: "X-Next-Cursor"))
        #expect(cursor == "3")
        let (_, second) = try await f.call(.GET, "/api/v1/tollgate/decisions?limit=3&cursor=\(cursor)")
        #expect(second.arrayValue?.map { $0["sequence"] } == [4, 5, 6])

        let (status, one) = try await f.call(.GET, "/api/v1/tollgate/decisions/2")
        #expect(status == 200)
        #expect(one["phase"] == "TASK_EXECUTION_RESULT")
        #expect(one["outcomes"]?.arrayValue?.isEmpty == false)
        #expect(try await f.call(.GET, "/api/v1/tollgate/decisions/999").0 == 404)
        let (bad, message) = try await f.call(.GET, "/api/v1/tollgate/decisions?outcome=maybe")
        #expect(bad == 400)
        #expect(message["message"]?.stringValue?.hasPrefix("outcome must be pass, warn, block") == true)
    }

    @Test(.enabled(if: ServiceStore.isSQLite, "reads the SQLite file itself"))
    func anExportRoundTripsAndNamesThePositionItCovers() async throws {
        let f = try await served()
        defer { Task { try? await f.stop() } }
        let (ndjson, headers) = try await raw(f, "/api/v1/tollgate/decisions/export?format=ndjson")
        #expect(headers.first(name: "Content-Type") == "application/x-ndjson")
        let lines = ndjson.split(separator: "\n").map { try? JSONValue.parse(String($0)) }
        #expect(lines.count == 8)
        let trailer = try #require(lines.last??["export"])
        #expect(trailer["decisions"] == 7)
        #expect(trailer["chainSequence"] == 7)
        let store = try SQLiteLifecycleStore(path: f.directory.url("tollgate.db"))
        #expect(trailer["chainHash"] == .string(try #require(try await store.decision(sequence: 7)).hash), "checkable against the live log")
        for line in lines.dropLast() {
            let exported = try #require(line)
            let sequence = try #require(exported["sequence"]?.intValue)
            let live = try #require(try await store.decision(sequence: sequence))
            #expect(exported == DecisionRendering.json(live), "an exported decision is the stored one, to the letter")
        }

        let (csv, csvHeaders) = try await raw(f, "/api/v1/tollgate/decisions/export?format=csv&phase=ACTIVITY_STAGE_TRANSITION")
        #expect(csvHeaders.first(name: "Content-Type") == "text/csv; charset=utf-8")
        let rows = csv.split(separator: "\n")
        #expect(rows.first == Substring(DecisionRendering.csvHeader.joined(separator: ",")))
        #expect(rows.count == 4, "header, two transitions, trailer")
        #expect(rows.last?.hasPrefix("# {\"export\":{\"decisions\":2,\"chainSequence\":7") == true, "\(rows.last ?? "")")
    }

    @Test func verifyReportsAnIntactLog() async throws {
        let f = try await served()
        defer { Task { try? await f.stop() } }
        let (status, report) = try await f.call(.GET, "/api/v1/tollgate/decisions/verify")
        #expect(status == 200)
        #expect(report["intact"] == true, "\(report)")
        #expect(report["decisions"] == 7)
        #expect(report["chainProblem"] == .null)
        #expect(report["completenessProblems"] == [])
    }
}
