import AsyncHTTPClient
import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// The GitLab CI executor against a GitLab fake speaking REST v4 over loopback.
@Suite("GitLab CI executor", .serialized)
struct GitLabExecutorTests {
    final class Rig: Sendable {
        let gitlab = FakeGitLab()
        let client = TollgateService.makeHTTPClient()

        func executor(
            token: String? = "glpat-good-token", trigger: String? = nil, poll: Double = 0.01, logLimit: Int = 256 << 10
        ) -> GitLabExecutor {
            var settings = GitLabExecutorSettings(address: gitlab.address, token: token, triggerToken: trigger, project: "platform/app")
            settings.pollSeconds = poll
            settings.maxPollSeconds = poll * 4
            settings.logLimitBytes = logLimit
            var http = OutboundHTTP(client: client)
            http.backoff = .milliseconds(5)
            return GitLabExecutor(name: "gitlab", settings: settings, http: http)
        }

        func start() async throws {
            gitlab.addProject(id: 7, path: "platform/app", refs: ["main", "release/1.0"])
            try await gitlab.start(client: client)
        }

        func stop() {
            gitlab.stop()
            Task { try? await client.shutdown() }
        }
    }

    static func request(
        task: Int64 = 11, attempt: Int64 = 1, template: JSONValue = ["ref": "main"], timeout: Int = 600, queuedAt: Date = Date()
    ) -> DispatchRequest {
        var request = DispatchRequest(
            taskId: task, activityId: 3, taskKey: "task1", taskName: "provision", executor: "gitlab", template: template,
            configurations: ["params": ["vmSize": "large", "replicas": 3], "context": [:]],
            callbackRef: "http://127.0.0.1:8002/api/v1/pp/devops/tasks/\(task)/status?action=STOP&token=t0k", timeoutSeconds: timeout)
        request.attempt = attempt
        request.queuedAt = queuedAt
        return request
    }

    /// Dispatches `request` and returns it with the reference the executor answered.
    func started(_ executor: GitLabExecutor, _ request: DispatchRequest) async throws -> DispatchRequest {
        guard case .accepted(let reference?) = try await executor.dispatch(request) else { throw ODMTestError("not accepted") }
        var started = request
        started.reference = reference
        return started
    }

    /// Polls until the executor reports an end (the engine does this on every recovery round).
    func waitForReport(_ executor: GitLabExecutor, _ request: DispatchRequest) async throws -> TaskReport {
        for _ in 0..<300 {
            if let report = try await executor.status(of: request) { return report }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ODMTestError("no report")
    }

    @Test func aPipelineWithAChildIsFollowedToItsEndWithResultsAndJobLogs() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.planJobs([
            .init(name: "create", stage: "create", trace: "\u{1B}[32;1m$ lifecycle/create\u{1B}[0;m\nVM größe: large\n"),
            .init(name: "execute", stage: "execute", trace: "section_start:1:step_script\r\u{1B}[0Kran ✓\nsection_end:2:step_script\r\u{1B}[0K\n"),
        ])
        let executor = rig.executor()
        var request = Self.request()
        guard case .accepted(let reference?) = try await executor.dispatch(request) else { Issue.record("not accepted"); return }
        #expect(reference == "7:500")
        let variables = rig.gitlab.variables(of: 500)
        #expect(variables["vmSize"] == "large")
        #expect(variables["replicas"] == "3")
        #expect(variables["TOLLGATE_TASK_ID"] == "11")
        #expect(variables["TOLLGATE_ATTEMPT"] == "1")
        #expect(variables["TOLLGATE_CALLBACK_URL"] == request.callbackRef)
        request.reference = reference

        #expect(rig.gitlab.status(of: 500) == "success", "the parent succeeds as soon as its child exists")
        #expect(try await executor.status(of: request) == nil, "but the task waits for the child")
        rig.gitlab.setJobs(ofChildOf: 500, ["create": "success", "execute": "running"])
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await executor.status(of: request) == nil)
        rig.gitlab.setJobs(ofChildOf: 500, ["execute": "success"])
        let report = try await waitForReport(executor, request)
        #expect(report.status == .processed)
        let child = try #require(rig.gitlab.child(of: 500))
        #expect(child == 502, "the child comes from the bridge, not parent + 1 (501 is another pipeline)")
        #expect(report.results == [
            "pipelineId": 500, "childPipelineId": .int(child), "childPipelineIds": [.int(child)],
            "webUrl": .string("\(rig.gitlab.address)/platform/app/-/pipelines/500"),
            "status": "success", "jobs": [["name": "create", "status": "success"], ["name": "execute", "status": "success"]],
        ])
        #expect(report.logs.map(\.name) == ["create", "execute"], "in run order")
        #expect(report.logs.first?.text == "$ lifecycle/create\nVM größe: large")
        #expect(report.logs.last?.text == "ran ✓")
    }

    @Test func aFailedJobFailsTheTaskNamingTheJobAndWhy() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let executor = rig.executor()
        let request = try await started(executor, Self.request())
        rig.gitlab.setJobs(ofChildOf: 500, ["create": "success", "execute": "failed", "clean": "skipped"])
        let report = try await waitForReport(executor, request)
        #expect(report.status == .failed)
        #expect(report.errors?.hasPrefix("pipeline 502 (child of 500) failed: job execute (stage execute): script_failure") == true, "\(report.errors ?? "")")
        #expect(report.results?["status"] == "failed")
    }

    @Test func aPipelineCancelledInGitLabAbortsTheTask() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let executor = rig.executor()
        let request = try await started(executor, Self.request())
        rig.gitlab.cancelFromOutside(500)
        let report = try await waitForReport(executor, request)
        #expect(report.status == .aborted)
        #expect(report.errors == "pipeline 502 (child of 500) was canceled in GitLab")
    }

    @Test func aPipelineNoRunnerPicksUpFailsAtTheTimeoutSayingSoAndIsCancelled() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.planJobs([.init(name: "execute_hello", stage: "execute", tags: ["gpu"])])
        let executor = rig.executor()
        let request = try await started(executor, Self.request(timeout: 1, queuedAt: Date().addingTimeInterval(-5)))
        let report = try await waitForReport(executor, request)
        #expect(report.status == .failed)
        #expect(report.errors == "no runner picked up job execute_hello of pipeline 502 within 1 s (it needs a runner with tags: gpu); cancelled pipeline 500 and 502")
        #expect(rig.gitlab.status(of: 502) == "canceled")
    }

    @Test func aCrashBetweenCreatingAPipelineAndRecordingItDoesNotStartASecond() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let executor = rig.executor()
        let request = Self.request(attempt: 41)
        guard case .accepted(let first?) = try await executor.dispatch(request) else { return }
        // The engine died before recording `first`: the same attempt is dispatched again, without a reference.
        guard case .accepted(let again?) = try await executor.dispatch(request) else { return }
        #expect(again == first)
        #expect(rig.gitlab.createdPipelines.count == 1)
        // A new attempt (the task started again) is a new pipeline.
        guard case .accepted(let second?) = try await executor.dispatch(Self.request(attempt: 42)) else { return }
        #expect(second != first)
        #expect(rig.gitlab.createdPipelines.count == 2)
    }

    @Test func abortingCancelsParentAndChildOnceAndSaysSo() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let executor = rig.executor()
        let request = try await started(executor, Self.request())
        #expect(try await executor.cancel(request) == .cancelled("cancelled pipeline 500 and child pipeline 502"))
        #expect(rig.gitlab.status(of: 502) == "canceled")
        #expect(try await executor.cancel(request) == .nothingToCancel("pipeline 500 had already ended (canceled)"))
        let unstarted = Self.request(task: 12, attempt: 9)
        #expect(try await executor.cancel(unstarted) == .nothingToCancel("no pipeline was created for task 12"))
        #expect(try await rig.executor(token: nil, trigger: "glptt-good-trigger").cancel(request)
            == .notSupported("executor gitlab has only a trigger token; cancelling needs executors.gitlab.token"))
    }

    @Test func aTriggerTokenStartsThePipeline() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let executor = rig.executor(trigger: "glptt-good-trigger")
        guard case .accepted(let reference?) = try await executor.dispatch(Self.request(template: ["ref": "release/1.0", "trigger": "token"])) else {
            Issue.record("not accepted")
            return
        }
        #expect(reference == "7:500")
        #expect(rig.gitlab.requests.contains("POST /api/v4/projects/platform%2Fapp/trigger/pipeline"))
        let wrong = rig.executor(trigger: "glptt-forged")
        do {
            _ = try await wrong.dispatch(Self.request(attempt: 2, template: ["trigger": "token"]))
            Issue.record("a forged trigger token started a pipeline")
        } catch {
            #expect(!error.retryable)
            #expect(error.message.contains("(404)") && error.message.contains("check the token itself"), "\(error.message)")
            #expect(!error.message.contains("glptt-forged"))
        }
    }

    @Test(arguments: [
        ("token", "GitLab refused the token when looking for the pipeline of task 11 (401). GitLab said: 401 Unauthorized."),
        ("ref", "GitLab could not find the ref when starting a pipeline of platform/app at nope for task 11. GitLab said: Reference not found."),
        ("variables", "GitLab refused the pipeline variables when starting a pipeline of platform/app at main for task 11: the project's minimum role to use pipeline variables is above the token's user's role. GitLab said: Insufficient permissions to set pipeline variables."),
        ("project", "GitLab found nothing when looking for the pipeline of task 11 (404). GitLab said: 404 Project Not Found."),
        ("rules", "the pipeline would run no job when starting a pipeline of platform/app at main for task 11. GitLab said: Pipeline will not run"),
    ])
    func gitLabRefusalsSayWhatGitLabSaidAndAreNotRetried(_ problem: String, _ message: String) async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        var template: JSONValue = ["ref": "main"]
        var executor = rig.executor()
        switch problem {
        case "token": executor = rig.executor(token: "glpat-expired")
        case "ref": template = ["ref": "nope"]
        case "variables": rig.gitlab.allowVariables(false)
        case "rules": rig.gitlab.selectNoJobs()
        default: template = ["ref": "main", "project": "platform/missing"]
        }
        do {
            _ = try await executor.dispatch(Self.request(template: template))
            Issue.record("accepted")
        } catch {
            #expect(!error.retryable)
            #expect(error.message.hasPrefix(message), "\(error.message)")
            #expect(!error.message.contains("glpat-expired"))
        }
        #expect(rig.gitlab.createdPipelines.isEmpty)
    }

    @Test func proxyErrorsAtDispatchAreRetriedLaterAndStartNothingTwice() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let executor = rig.executor()
        rig.gitlab.failNext(3)  // the lookup's GET is retried by the HTTP layer, then gives up
        do {
            _ = try await executor.dispatch(Self.request())
            Issue.record("accepted")
        } catch {
            #expect(error.retryable)
            #expect(error.message.contains("502"), "\(error.message)")
        }
        #expect(rig.gitlab.createdPipelines.isEmpty)
        guard case .accepted = try await executor.dispatch(Self.request()) else { Issue.record("not accepted"); return }
        #expect(rig.gitlab.createdPipelines.count == 1)
    }

    @Test func aCreationWhoseAnswerTimesOutIsFoundAgainNotRepeated() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let request = Self.request(attempt: 77)
        let (executor, error) = try await loseTheFirstAnswer(rig, request)
        #expect(error?.retryable == true, "\(error?.message ?? "accepted")")
        #expect(error?.message.contains("unreachable") == true, "\(error?.message ?? "accepted")")
        let creations = rig.gitlab.requests.filter { $0.hasPrefix("POST ") && $0.contains("/pipeline") }
        #expect(creations.count == 1, "gave up at the timeout, did not retry the creation: \(creations)")
        guard case .accepted(let reference?) = try await executor.dispatch(request) else { Issue.record("not accepted"); return }
        #expect(reference == "7:500")
        #expect(rig.gitlab.createdPipelines == [500], "the retry found it instead of creating a second")
    }

    @Test func aStormOf429PausesPollingInsteadOfHammeringGitLab() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let executor = rig.executor()
        let request = try await started(executor, Self.request())
        rig.gitlab.setJobs(ofChildOf: 500, ["create": "success", "execute": "success", "clean": "success"])
        rig.gitlab.throttle(100)
        let before = rig.gitlab.requests.count
        // Polls within the one second GitLab asked for (a busy machine makes fewer of them).
        let start = ContinuousClock.now
        var polls = 0
        while polls < 20, ContinuousClock.now - start < .milliseconds(700) {
            #expect(try await executor.status(of: request) == nil)
            polls += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        let during = rig.gitlab.requests.count - before
        #expect(during <= 3, "paused after the 429s (Retry-After: 1): \(during) requests in \(polls) polls")
        rig.gitlab.throttle(0)
        try await Task.sleep(for: .milliseconds(1100))
        let report = try await waitForReport(executor, request)
        #expect(report.status == .processed, "polling resumes once GitLab allows")
    }

    @Test func oldGitLabsBridgesAndSmallPagesAreFollowed() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.onlyLegacyBridges()
        rig.gitlab.maxPerPage(1)
        let executor = rig.executor()
        let request = try await started(executor, Self.request())
        rig.gitlab.setJobs(ofChildOf: 500, ["create": "success", "execute": "success", "clean": "success"])
        let report = try await waitForReport(executor, request)
        #expect(report.results?["childPipelineId"] == 502)
        #expect(report.results?["jobs"]?.arrayValue?.count == 3, "three pages of one job each")
        #expect(rig.gitlab.requests.contains { $0.hasPrefix("GET /api/v4/projects/7/pipelines/500/bridges") })
    }
}
