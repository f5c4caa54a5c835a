import AsyncHTTPClient
import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateTestServers

/// The Azure DevOps executor against a fake organization over loopback, in Azure DevOps' wire format.
@Suite("Azure DevOps executor", .serialized)
struct AzureDevOpsExecutorTests {
    /// A fake organization and an executor pointed at it.
    struct Setup {
        let fake: FakeAzureDevOps
        let client: HTTPClient
        let executor: AzureDevOpsExecutor

        func stop() {
            fake.stop()
            let client = client
            Task { try? await client.shutdown() }
        }

        /// Requests the fake received with `method` whose path ends with `suffix`.
        func requests(_ method: String, _ suffix: String = "") -> [FakeAzureDevOps.Received] {
            fake.requests.filter { $0.method == method && $0.path.hasSuffix(suffix) }
        }
    }

    static func start(
        fake: FakeAzureDevOps = FakeAzureDevOps(), token: String? = nil, _ change: (inout AzureDevOpsExecutorSettings) -> Void = { _ in }
    ) async throws -> Setup {
        let client = TollgateService.makeHTTPClient()
        try await fake.start(client: client)
        var settings = AzureDevOpsExecutorSettings(organization: fake.organizationURL + "/", project: fake.project, token: token ?? fake.pat)
        settings.pipelineId = 12
        settings.branch = "main"
        settings.pollSeconds = 0.05
        settings.maxPollSeconds = 0.2
        change(&settings)
        var http = OutboundHTTP(client: client)
        http.backoff = .milliseconds(10)
        return Setup(fake: fake, client: client, executor: AzureDevOpsExecutor(name: "azure", settings: settings, http: http))
    }

    static func request(
        taskId: Int64 = 7, template: JSONValue? = nil, params: JSONValue = ["environment": "dev", "replicas": 3, "dryRun": false],
        reference: String? = nil
    ) -> DispatchRequest {
        var request = DispatchRequest(
            taskId: taskId, activityId: 1, taskKey: "task1", taskName: "deploy", executor: "azure", template: template,
            configurations: ["params": params, "context": [:]], callbackRef: "https://tollgate.example.com/api/v1/up/callbacks/\(taskId)?sig=abc",
            timeoutSeconds: 600)
        request.attempt = 41
        request.queuedAt = Date()
        request.reference = reference
        return request
    }

    static func reference(_ outcome: DispatchOutcome) -> String? {
        guard case .accepted(let reference) = outcome else { return nil }
        return reference
    }

    /// Dispatches `request` and answers the reference of the run it started.
    static func started(_ executor: AzureDevOpsExecutor, _ request: DispatchRequest) async throws -> String {
        try #require(reference(try await executor.dispatch(request)))
    }

    /// Polls until the executor reports, at most `seconds`.
    static func waitForReport(_ executor: AzureDevOpsExecutor, _ request: DispatchRequest, seconds: Double = 5) async throws -> TaskReport? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if let report = try await executor.status(of: request) { return report }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test func aRunStartsOnTheBranchWithItsParametersAndEndsProcessedWithItsResults() async throws {
        let s = try await Self.start()
        defer { s.stop() }
        var request = Self.request()
        let reference = try #require(Self.reference(try await s.executor.dispatch(request)))
        let runId = try #require(s.fake.runIds.first)
        #expect(reference == "12/\(runId)")

        let post = try #require(s.requests("POST").first)
        #expect(post.path == "/contoso/platform/_apis/pipelines/12/runs")
        #expect(post.query == "api-version=7.1")
        #expect(post.authorization == "Basic " + Data((":" + s.fake.pat).utf8).base64EncodedString())
        let body = try #require(post.body)
        #expect(body["resources"]?["repositories"]?["self"]?["refName"] == "refs/heads/main")
        #expect(body["resources"]?["repositories"]?["refName"] == nil, "the branch sits under self, or Azure ignores it")
        #expect(
            body["templateParameters"]
                == [
                    "environment": "dev", "replicas": "3", "dryRun": "false",
                    "callbackRef": "https://tollgate.example.com/api/v1/up/callbacks/7?sig=abc",
                ])
        #expect(body["stagesToSkip"] == nil)

        request.reference = reference
        #expect(try await s.executor.status(of: request) == nil, "the run is in progress")
        #expect(s.requests("GET", "/pipelines/12/runs/\(runId)").count == 1)
        #expect(s.requests("GET").first?.query == "api-version=7.1")

        s.fake.complete(runId: runId, result: "succeeded")
        let report = try #require(try await Self.waitForReport(s.executor, request))
        #expect(report.status == .processed)
        #expect(report.errors == nil)
        #expect(
            report.results
                == [
                    "runId": .int(runId), "pipelineId": 12, "webUrl": .string("\(s.fake.organizationURL)/platform/_build/results?buildId=\(runId)"),
                    "state": "completed", "result": "succeeded",
                ])
    }

    @Test func theTemplateChoosesPipelineBranchAndStagesAndWithoutAPipelineNothingStarts() async throws {
        let s = try await Self.start { $0.pipelineId = nil }
        defer { s.stop() }
        s.fake.addPipeline(id: 34, name: "release")
        let template: JSONValue = ["pipelineId": "34", "branch": "refs/tags/v1.2.0", "stagesToSkip": ["smoke", "notify"]]
        let reference = Self.reference(try await s.executor.dispatch(Self.request(template: template)))
        #expect(reference?.hasPrefix("34/") == true)
        let body = try #require(s.requests("POST", "/pipelines/34/runs").first?.body)
        #expect(body["resources"]?["repositories"]?["self"]?["refName"] == "refs/tags/v1.2.0", "a full ref is kept")
        #expect(body["stagesToSkip"] == ["smoke", "notify"])

        _ = try await s.executor.dispatch(Self.request(template: ["pipelineId": 34, "branch": "release/2024"]))
        #expect(s.requests("POST").last?.body?["resources"]?["repositories"]?["self"]?["refName"] == "refs/heads/release/2024")

        let before = s.fake.requests.count
        do {
            _ = try await s.executor.dispatch(Self.request(template: ["branch": "main"]))
            Issue.record("a task without a pipeline was dispatched")
        } catch {
            #expect(!error.retryable)
            #expect(error.message.contains("set pipelineId in the task's template definition or executors.azure.pipelineId"), "\(error)")
        }
        do {
            _ = try await s.executor.dispatch(Self.request(template: ["pipelineId": "deploy"]))
            Issue.record("a pipeline name was taken for an id")
        } catch {
            #expect(!error.retryable)
            #expect(error.message.contains("must be a pipeline's number"), "\(error)")
        }
        #expect(s.fake.requests.count == before, "nothing is sent for a task that names no pipeline")
    }

    @Test func failedCanceledAndUnknownResultsEndFailedAbortedAndFailed() async throws {
        let s = try await Self.start()
        defer { s.stop() }
        for (result, status, words) in [
            ("failed", TaskOutcomeStatus.failed, "failed"), ("canceled", .aborted, "was canceled"),
            ("unknown", .failed, "completed with result unknown"),
        ] {
            var request = Self.request()
            request.reference = try await Self.started(s.executor, request)
            let runId = try #require(s.fake.runIds.last)
            s.fake.complete(runId: runId, result: result)
            let report = try #require(try await Self.waitForReport(s.executor, request), "\(result)")
            #expect(report.status == status, "\(result)")
            let web = "\(s.fake.organizationURL)/platform/_build/results?buildId=\(runId)"
            #expect(report.errors == "Azure Pipelines run \(runId) (pipeline 12) \(words): \(web)", "\(result)")
            #expect(report.results?["result"] == .string(result))
            #expect(report.results?["webUrl"] == .string(web))
        }
    }

    @Test func aRepeatedDispatchWithItsReferenceStartsNoSecondRun() async throws {
        let s = try await Self.start()
        defer { s.stop() }
        var request = Self.request()
        let reference = try #require(Self.reference(try await s.executor.dispatch(request)))
        request.reference = reference
        #expect(try await s.executor.dispatch(request) == .accepted(reference: reference))
        #expect(try await s.executor.dispatch(request) == .accepted(reference: reference))
        #expect(s.fake.runIds.count == 1)
        #expect(s.requests("POST").count == 1)
    }

    @Test func aBadTokenIsRefusedOnceWithoutTheTokenInTheMessage() async throws {
        let fake = FakeAzureDevOps()
        let wrong = "wrong-pat-0123456789abcdef"
        let s = try await Self.start(fake: fake, token: wrong)
        defer { s.stop() }
        let basic = Data((":" + wrong).utf8).base64EncodedString()
        for signInPage in [false, true] {
            fake.answerBadTokensWithSignInPage(signInPage)
            do {
                _ = try await s.executor.dispatch(Self.request())
                Issue.record("a bad token started a run")
            } catch {
                #expect(!error.retryable)
                let refused = signInPage ? "Azure DevOps refused the token (203" : "Azure DevOps refused the token (401)"
                #expect(error.message.hasPrefix(refused), "\(error)")
                #expect(error.message.contains("Build (read & execute) scope"), "\(error)")
                #expect(!error.message.contains(wrong) && !error.message.contains(basic))
            }
        }
        #expect(s.requests("POST").count == 2, "a refused start is not repeated")
        #expect(fake.runIds.isEmpty)
    }

    @Test func anEntraTokenIsSentAsBearer() async throws {
        let fake = FakeAzureDevOps()
        let s = try await Self.start(fake: fake, token: fake.bearerToken) { $0.tokenKind = .bearer }
        defer { s.stop() }
        #expect(Self.reference(try await s.executor.dispatch(Self.request())) != nil)
        #expect(s.requests("POST").first?.authorization == "Bearer \(fake.bearerToken)")
    }

    @Test func anUnknownPipelineAndAnUndeclaredParameterAreNamedInAzureDevOpsOwnWords() async throws {
        let s = try await Self.start { $0.pipelineId = 99 }
        defer { s.stop() }
        do {
            _ = try await s.executor.dispatch(Self.request())
            Issue.record("a run of an unknown pipeline was started")
        } catch {
            #expect(!error.retryable)
            #expect(error.message.contains("(404)"), "\(error)")
            #expect(error.message.contains("\"Pipeline with id 99 not found.\""), "\(error)")
            #expect(error.message.contains("pipeline 99 exists in project platform"), "\(error)")
        }
        s.fake.addPipeline(id: 40, name: "strict", parameters: ["environment", "callbackRef"])
        do {
            _ = try await s.executor.dispatch(Self.request(template: ["pipelineId": 40], params: ["environment": "dev", "region": "westeurope"]))
            Issue.record("an undeclared parameter was accepted")
        } catch {
            #expect(!error.retryable)
            #expect(error.message.contains("(400)"), "\(error)")
            #expect(error.message.contains("\"Unexpected parameter 'region'\""), "\(error)")
            #expect(error.message.contains("Declare every parameter"), "\(error)")
        }
        #expect(s.requests("POST").count == 2)
        #expect(s.fake.runIds.isEmpty)
    }

    @Test func aThrottledServiceIsLeftAloneUntilItsRetryAfterHasPassed() async throws {
        let s = try await Self.start()
        defer { s.stop() }
        var request = Self.request()
        request.reference = try await Self.started(s.executor, request)
        let runId = try #require(s.fake.runIds.first)
        let runPath = "/pipelines/12/runs/\(runId)"

        s.fake.throttle(1, retryAfterSeconds: 1)
        #expect(try await s.executor.status(of: request) == nil, "a throttled poll is no result")
        let throttled = s.requests("GET", runPath).count
        #expect(throttled == 1, "one poll: a throttle is waited out between polls, not inside one")
        // Polls within the second Azure DevOps asked for (a busy machine makes fewer of them).
        let paused = ContinuousClock.now
        var polls = 0
        while polls < 20, ContinuousClock.now - paused < .milliseconds(700) {
            #expect(try await s.executor.status(of: request) == nil)
            polls += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(s.requests("GET", runPath).count == throttled, "no polls while Azure DevOps asked to wait (\(polls) polls)")

        s.fake.complete(runId: runId, result: "succeeded")
        try await Task.sleep(for: .milliseconds(1100))
        let report = try #require(try await Self.waitForReport(s.executor, request))
        #expect(report.status == .processed)
        #expect(s.requests("GET", runPath).count == throttled + 1)
    }

    @Test func aServiceErrorOnDispatchIsRetryableAndTheStartIsSentOnce() async throws {
        let s = try await Self.start()
        defer { s.stop() }
        s.fake.failNext(1)
        do {
            _ = try await s.executor.dispatch(Self.request())
            Issue.record("a 503 started a run")
        } catch {
            #expect(error.retryable)
            #expect(error.message.contains("Azure DevOps answered 503 when starting a run of pipeline 12"), "\(error)")
        }
        #expect(s.requests("POST").count == 1, "a start is never repeated by the HTTP layer")
        #expect(s.fake.runIds.isEmpty)
        #expect(Self.reference(try await s.executor.dispatch(Self.request())) != nil, "the engine's next attempt starts the run")
        #expect(s.fake.runIds.count == 1)
    }

    @Test func cancellingARunningRunCancelsItsBuildAndACompletedRunIsLeftAlone() async throws {
        let s = try await Self.start()
        defer { s.stop() }
        var request = Self.request()
        request.reference = try await Self.started(s.executor, request)
        let runId = try #require(s.fake.runIds.first)

        let outcome = try await s.executor.cancel(request)
        guard case .cancelled(let text) = outcome else {
            Issue.record("not cancelled: \(outcome)")
            return
        }
        #expect(text.contains("run \(runId) of pipeline 12"), "\(text)")
        let patch = try #require(s.requests("PATCH").first)
        #expect(patch.path == "/contoso/platform/_apis/build/builds/\(runId)")
        #expect(patch.query == "api-version=7.1")
        #expect(patch.body == ["status": "cancelling"])
        #expect(patch.authorization?.hasPrefix("Basic ") == true)

        let report = try #require(try await Self.waitForReport(s.executor, request))
        #expect(report.status == .aborted)

        let again = try await s.executor.cancel(request)
        guard case .nothingToCancel(let why) = again else {
            Issue.record("a completed run was cancelled: \(again)")
            return
        }
        #expect(why.contains("had already completed (canceled)"), "\(why)")
        #expect(s.requests("PATCH").count == 1, "a completed run's build is not patched")

        #expect(try await s.executor.cancel(Self.request()) == .nothingToCancel("no Azure Pipelines run was started for task 7"))
    }

    /// The dispatch's trace context goes to the run as `TRACEPARENT` when the executor is set to
    /// hand it on; the organization refuses variables the pipeline does not mark settable.
    @Test func theTraceContextIsARunVariableOnlyWhenAskedFor() async throws {
        let fake = FakeAzureDevOps()
        fake.addPipeline(id: 12, name: "deploy", settableVariables: ["TRACEPARENT"])
        fake.addPipeline(id: 13, name: "locked")
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        var request = Self.request()
        request.traceContext = ["traceparent": parent]

        let quiet = try await Self.start(fake: fake)
        _ = try await quiet.executor.dispatch(request)
        #expect(fake.variables(ofRun: try #require(fake.runIds.last)).isEmpty, "off by default")
        quiet.stop()

        let fake2 = FakeAzureDevOps()
        fake2.addPipeline(id: 12, name: "deploy", settableVariables: ["TRACEPARENT"])
        fake2.addPipeline(id: 13, name: "locked")
        let handing = try await Self.start(fake: fake2) { $0.traceparentVariable = true }
        defer { handing.stop() }
        _ = try await handing.executor.dispatch(request)
        #expect(fake2.variables(ofRun: try #require(fake2.runIds.last)) == ["TRACEPARENT": parent])

        // A pipeline that does not let it be set: the run is refused, and the error says what to change.
        var locked = request
        locked.taskId = 8
        locked.template = ["pipelineId": 13]
        do {
            _ = try await handing.executor.dispatch(locked)
            Issue.record("a pipeline without a settable TRACEPARENT took the run")
        } catch {
            #expect(!error.retryable)
            #expect(error.message.contains("Settable at queue time"), "\(error.message)")
        }
    }
}
