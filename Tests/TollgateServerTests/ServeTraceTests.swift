import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// Traces of `tollgate serve` (its own process: the tracer is the process's) sent over OTLP/HTTP
/// to a collector: one trace per activity, continuing the client's, with a span for each gate and
/// each dispatch; the GitLab pipeline is handed the dispatch span in `TRACEPARENT`, and its
/// callback, carrying it back, continues the same trace.
@Suite("tollgate serve traces", .serialized)
struct ServeTraceTests {
    static let clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let clientSpan = "00f067aa0ba902b7"

    /// Starts `tollgate serve` with `executors` (YAML lines) and traces sent to `collector`, and
    /// the walk-through's dev stage from a client that traces its own work.
    func serveAndStart(
        _ directory: TemporaryDirectory, descriptor: String, executors: String, collector: FakeOTLPReceiver, client: HTTPClient
    ) async throws -> Process {
        try ServeProcess.useDescriptor(descriptor, in: directory)
        let port = FreePort.next()
        let config = try ServeProcess.configuration(
            in: directory, port: port,
            """
            executors:
            \(executors)
            telemetry:
              serviceName: tollgate-test
              traces: { endpoint: "\(collector.endpoint)" }
            """)
        let server = try ServeProcess.start(config: config, environment: ["OTEL_BSP_SCHEDULE_DELAY": "100"])
        try await waitUntilListening(port: port, client: client)
        var create = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/pp/devops/activities?startAfterCreation=true")
        create.method = .POST
        create.headers.add(name: "Content-Type", value: "application/json")
        create.headers.add(name: "traceparent", value: "00-\(Self.clientTrace)-\(Self.clientSpan)-01")
        create.body = .bytes(ByteBuffer(string: #"{"dataProductId":"urn:org.opendatamesh:dataproducts:hello","dataProductVersion":"1.0.0","stage":"dev"}"#))
        #expect(try await client.execute(create, timeout: .seconds(10)).status == .created)
        return server
    }

    /// Waits until the activity's last gate arrived with every span's parent, and returns the
    /// activity's spans (those of the client's trace).
    func activitySpans(_ collector: FakeOTLPReceiver) async throws -> [FakeOTLPReceiver.Span] {
        try await waitUntil("the activity's spans arrived, each with its parent", within: .seconds(30)) {
            collector.spans.withLock { received in
                let activity = received.filter { $0.traceId == Self.clientTrace }
                let ids = Set(activity.map(\.spanId))
                return activity.contains { $0.name == "gate ACTIVITY_EXECUTION_RESULT" }
                    && activity.allSatisfy { $0.parentSpanId == Self.clientSpan || ids.contains($0.parentSpanId) }
            }
        }
        let received = collector.spans.withLock { $0 }
        #expect(received.allSatisfy { $0.service == "tollgate-test" })
        // Work of no activity (the GitLab setup check at start) has traces of its own.
        let others = received.filter { $0.traceId != Self.clientTrace }
        #expect(others.allSatisfy { !$0.name.hasPrefix("gate") && !$0.name.hasPrefix("dispatch") }, "\(others.map(\.name))")
        return received.filter { $0.traceId == Self.clientTrace }
    }

    @Test func oneActivityIsOneTraceThroughItsGitLabPipelineAndBack() async throws {
        let directory = try TemporaryDirectory()
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        let collector = FakeOTLPReceiver()
        try await collector.start(client: client)
        let gitlab = FakeGitLab()
        gitlab.addProject(id: 9, path: "platform/hello")
        gitlab.planJobs([.init(name: "work", stage: "work", trace: "done\n")])
        try await gitlab.start(client: client)
        defer {
            collector.stop()
            gitlab.stop()
        }
        let server = try await serveAndStart(
            directory, descriptor: "examples/walkthrough/descriptor-ci.json",
            executors: "  gitlab: { kind: gitlab, address: \"\(gitlab.address)\", token: \"\(gitlab.token)\", project: platform/hello, pollSeconds: 0.05 }",
            collector: collector, client: client)
        defer { server.terminate() }

        // Each pipeline calls back with the trace context it was handed, as a traced job would.
        var handed: [String] = []
        var answered = Set<Int64>()
        try await waitUntil("both pipelines of the dev stage ran and called back", within: .seconds(30)) {
            for pipeline in gitlab.createdPipelines where !answered.contains(pipeline) {
                let variables = gitlab.variables(of: pipeline)
                guard let traceparent = variables["TRACEPARENT"], let callback = variables["TOLLGATE_CALLBACK_URL"] else { continue }
                answered.insert(pipeline)
                handed.append(traceparent)
                let results = variables["STEP"] == "provision" ? Walkthrough.vmResults : Walkthrough.urlResults
                var call = HTTPClientRequest(url: callback)
                call.method = .PATCH
                call.headers.add(name: "Content-Type", value: "application/json")
                call.headers.add(name: "traceparent", value: traceparent)
                call.body = .bytes(ByteBuffer(string: (["status": "PROCESSED", "results": results] as JSONValue).serialized()))
                _ = try await client.execute(call, timeout: .seconds(10))
                gitlab.setJobs(ofChildOf: pipeline, ["work": "success"])
            }
            return answered.count == 2
        }
        let spans = try await activitySpans(collector)
        let names = spans.map(\.name)
        // Every parent link leads to a span of the trace, except the client's own span.
        let ids = Set(spans.map(\.spanId))
        for span in spans where !span.parentSpanId.isEmpty {
            #expect(ids.contains(span.parentSpanId) || span.parentSpanId == Self.clientSpan, "\(span.name) has an unknown parent")
        }
        func parent(of span: FakeOTLPReceiver.Span) -> FakeOTLPReceiver.Span? { spans.first { $0.spanId == span.parentSpanId } }
        func ancestors(of span: FakeOTLPReceiver.Span) -> [String] {
            var chain: [String] = [], current = span
            while let next = parent(of: current) {
                chain.append(next.name)
                current = next
            }
            return chain
        }

        // The start: the request's span continues the client's, the stage-transition gate is inside it.
        let start = try #require(spans.first { $0.parentSpanId == Self.clientSpan }, "\(names)")
        #expect(start.kind == 2, "a server span")
        let transition = try #require(spans.first { $0.name == "gate ACTIVITY_STAGE_TRANSITION" })
        #expect(parent(of: transition)?.spanId == start.spanId)
        #expect(transition.attributes["tollgate.verdict"] == "pass")
        #expect(transition.attributes["tollgate.policies"]?.contains("stage-order=allow") == true, "\(transition.attributes)")
        #expect(transition.attributes["tollgate.activity"] == "1")

        // Each dispatch has its span; the pipeline got that span's context, and the call to GitLab is its child.
        // (A gate evaluated again after a concurrent writer's commit has a span of its own: counts are per task.)
        let dispatches = spans.filter { $0.name == "dispatch gitlab" }
        #expect(Set(dispatches.compactMap { $0.attributes["tollgate.task"] }) == ["1", "2"], "\(names)")
        let dispatchParents = Set(dispatches.map { "00-\(Self.clientTrace)-\($0.spanId)-01" })
        #expect(handed.count == 2 && Set(handed).isSubset(of: dispatchParents), "TRACEPARENT is the dispatch span: \(handed)")
        for dispatch in dispatches {
            #expect(spans.contains { $0.parentSpanId == dispatch.spanId && $0.kind == 3 && $0.name.hasPrefix("POST ") }, "the GitLab call of \(dispatch.spanId)")
        }
        let first = try #require(dispatches.first { $0.attributes["tollgate.task"] == "1" })
        #expect(parent(of: first)?.spanId == start.spanId, "the first dispatch continues the start")

        // Each callback continues its dispatch; the task-result gate is inside the callback.
        let results = spans.filter { $0.name == "gate TASK_EXECUTION_RESULT" }
        #expect(Set(results.compactMap { $0.attributes["tollgate.task"] }) == ["1", "2"])
        for result in results {
            let callback = try #require(parent(of: result))
            #expect(callback.kind == 2, "the callback request's span")
            #expect(dispatches.contains { $0.spanId == callback.parentSpanId }, "the callback continues a dispatch")
        }
        // The second dispatch was queued by the first task's result: it descends from the first dispatch.
        let second = try #require(dispatches.first { $0.attributes["tollgate.task"] == "2" })
        #expect(ancestors(of: second).contains("dispatch gitlab"), "\(ancestors(of: second))")
        let final = try #require(spans.first { $0.name == "gate ACTIVITY_EXECUTION_RESULT" })
        #expect(ancestors(of: final).filter { $0 == "dispatch gitlab" }.count == 2, "the activity result comes at the end of the chain")
    }

    /// ODM executor adapters call back without a trace context: the callback is still handled in
    /// the activity's trace, continuing the context its dispatch was queued in.
    @Test func aCallbackWithoutTraceparentJoinsItsActivitysTrace() async throws {
        let directory = try TemporaryDirectory()
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        let collector = FakeOTLPReceiver()
        try await collector.start(client: client)
        let executor = FakeODMExecutor(client: client, respond: DevOpsAPITests.walkthrough)
        try await executor.start()
        defer {
            collector.stop()
            executor.stop()
        }
        let server = try await serveAndStart(
            directory, descriptor: "examples/walkthrough/descriptor.json",
            executors: "  azure-devops: { kind: odm, address: \"\(executor.address)\" }", collector: collector, client: client)
        defer { server.terminate() }

        let spans = try await activitySpans(collector)
        func parent(of span: FakeOTLPReceiver.Span) -> FakeOTLPReceiver.Span? { spans.first { $0.spanId == span.parentSpanId } }
        let callbacks = spans.filter { $0.name.hasPrefix("callback task ") }
        #expect(Set(callbacks.compactMap { $0.attributes["tollgate.task"] }) == ["1", "2"], "\(spans.map(\.name))")
        let results = spans.filter { $0.name == "gate TASK_EXECUTION_RESULT" }
        #expect(Set(results.compactMap { $0.attributes["tollgate.task"] }) == ["1", "2"])
        for result in results {
            #expect(parent(of: result)?.name.hasPrefix("callback task ") == true, "the task-result gate is inside its callback")
        }
        // The executor was handed the trace in the dispatch's HTTP call.
        let dispatches = spans.filter { $0.name == "dispatch azure-devops" }
        #expect(Set(dispatches.compactMap { $0.attributes["tollgate.task"] }) == ["1", "2"])
        #expect(spans.contains { $0.name.hasPrefix("POST ") && dispatches.map(\.spanId).contains($0.parentSpanId) })
    }
}
