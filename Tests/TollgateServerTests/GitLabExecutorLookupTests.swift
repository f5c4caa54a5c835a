import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// Finding a pipeline again after its creation's answer was lost, on a busy project, with the
/// tokens operators really use; and lists read to their end.
extension GitLabExecutorTests {
    /// An executor whose creation answers time out, and a first dispatch whose answer is lost
    /// (GitLab creates pipeline 500 nonetheless); with the error that dispatch reported and an
    /// executor of ordinary timeouts for the retry, so that a loaded machine's slow read is not
    /// taken for a lost one and asked twice.
    func loseTheFirstAnswer(_ rig: Rig, _ request: DispatchRequest) async throws -> (GitLabExecutor, ExecutorError?) {
        var settings = GitLabExecutorSettings(address: rig.gitlab.address, token: rig.gitlab.token, project: "platform/app")
        settings.pollSeconds = 0.01
        var http = OutboundHTTP(client: rig.client)
        http.timeout = .milliseconds(300)
        let executor = GitLabExecutor(name: "gitlab", settings: settings, http: http)
        rig.gitlab.answerCreationAfter(.seconds(1))
        var reported: ExecutorError?
        do {
            _ = try await executor.dispatch(request)
        } catch {
            reported = error
        }
        #expect(rig.gitlab.createdPipelines == [500], "GitLab created it though the answer was lost")
        rig.gitlab.answerCreationAfter(.zero)
        return (rig.executor(), reported)
    }

    @Test func aDeveloperTokenSkipsPipelinesWhoseVariablesItMayNotRead() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.setRole(.developer)
        let request = Self.request(attempt: 5)
        let (executor, _) = try await loseTheFirstAnswer(rig, request)
        // Someone else's pipelines on the ref: GitLab answers 403 for their variables.
        rig.gitlab.addForeignPipeline(projectId: 7, variables: [("DEPLOY_ENV", "staging")])
        guard case .accepted(let reference?) = try await executor.dispatch(request) else { Issue.record("not accepted"); return }
        #expect(reference == "7:500", "found its own pipeline past the ones it may not read")
        #expect(rig.gitlab.createdPipelines == [500])
        let asked = rig.gitlab.requests.filter { $0.hasSuffix("/variables") }
        #expect(asked.map { $0.components(separatedBy: "/pipelines/")[1] } == ["503/variables", "501/variables", "500/variables"], "\(asked)")
        #expect(!rig.gitlab.repositories.requests.contains { $0.contains("/members/") || $0.hasSuffix("/user") }, "an expected refusal costs no further requests")
    }

    @Test func theLookUpReadsEveryPipelineStartedSinceTheDispatch() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let request = Self.request(attempt: 6)
        let (executor, _) = try await loseTheFirstAnswer(rig, request)
        for index in 0..<25 {
            rig.gitlab.addForeignPipeline(projectId: 7, variables: [("TOLLGATE_TASK_ID", String(900 + index)), ("TOLLGATE_ATTEMPT", "1")])
        }
        guard case .accepted(let reference?) = try await executor.dispatch(request) else { Issue.record("not accepted"); return }
        #expect(reference == "7:500", "found past 26 newer pipelines")
        #expect(rig.gitlab.createdPipelines == [500], "no second pipeline")
    }

    @Test func listsAreReadToTheirEnd() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let plans = (1...60).map { FakeGitLab.JobPlan(name: "step-\($0)", stage: "run", trace: "step \($0)\n") }
        rig.gitlab.planJobs(plans)
        rig.gitlab.maxPerPage(1)
        let executor = rig.executor()
        let request = try await started(executor, Self.request())
        rig.gitlab.setJobs(ofChildOf: 500, Dictionary(uniqueKeysWithValues: plans.map { ($0.name, "success") }))
        let report = try await waitForReport(executor, request)
        #expect(report.results?["jobs"]?.arrayValue?.count == 60, "sixty pages of one job each")
    }
}

/// GitLab's throttles, which last a minute or more: waited out, not given up on.
extension GitLabExecutorTests {
    @Test func aThrottledReadWaitsTheWholeRetryAfterUpToTheCeiling() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        var http = OutboundHTTP(client: rig.client)
        http.maxRetryAfter = .seconds(300)
        let url = "\(rig.gitlab.address)/api/v4/projects/7/pipelines"
        rig.gitlab.throttle(4)
        let answer = try await http.send(.GET, url, headers: [("PRIVATE-TOKEN", rig.gitlab.token)], what: "GitLab")
        #expect(answer.status == 200, "four 429s of Retry-After: 1 waited out")
        http.maxRetryAfter = .seconds(2)
        rig.gitlab.throttle(4)
        do {
            _ = try await http.send(.GET, url, headers: [("PRIVATE-TOKEN", rig.gitlab.token)], what: "GitLab")
            Issue.record("read past the ceiling")
        } catch {
            #expect(error.status == 429)
            #expect(error.retryAfter != nil, "the wait is passed on to the caller")
        }
    }

    @Test func aThrottledDispatchTellsTheEngineHowLongToWait() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.throttle(1)
        do {
            _ = try await rig.executor().dispatch(Self.request())
            Issue.record("accepted while throttled")
        } catch {
            #expect(error.retryable)
            #expect(error.retryAfter == 1, "Retry-After: 1")
        }
    }

    @Test func pollingPausesWhileTheQuotaIsSpent() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let executor = rig.executor()
        let request = try await started(executor, Self.request())
        // A window far longer than the calls below, however slow a loaded machine makes them
        // (GitLab's reset is a whole unix second: a 2 s window could be over in 1 s).
        rig.gitlab.spendQuota(forSeconds: 30)
        _ = try await executor.status(of: request)
        let before = rig.gitlab.requests.count
        for _ in 0..<10 {
            _ = try await executor.status(of: request)
            try await Task.sleep(for: .milliseconds(30))
        }
        #expect(rig.gitlab.requests.count == before, "no call while GitLab said RateLimit-Remaining: 0")
    }
}

/// Pipelines with jobs of their own and several trigger jobs.
extension GitLabExecutorTests {
    @Test func everyChildAndTheParentsOwnJobsAreFollowedAndTheFailedJobIsNamed() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.planPipeline(
            ownJobs: [.init(name: "lint", stage: "test", trace: "lint ok\n")],
            children: [
                [.init(name: "build", stage: "build", trace: "built\n")],
                [.init(name: "deploy", stage: "deploy", trace: "deploy: permission denied\n")],
            ])
        let executor = rig.executor()
        let request = try await started(executor, Self.request())
        rig.gitlab.setJobs(ofChildOf: 500, ["lint": "success", "build": "success", "deploy": "failed"])
        let report = try await waitForReport(executor, request)
        #expect(report.status == .failed)
        #expect(report.errors?.contains("job deploy (stage deploy)") == true, "\(report.errors ?? "")")
        #expect(report.errors?.contains("build") == false, "the job that succeeded is not blamed: \(report.errors ?? "")")
        #expect(report.logs.map(\.name) == ["lint", "build", "deploy"], "every job's log, in run order")
        #expect(report.logs.last?.text.contains("permission denied") == true)
        #expect(report.results?["childPipelineIds"] == [502, 503])
    }
}

/// Pipelines started with a trigger token, whose answers were lost: found again when the token
/// may read them, and never started twice blindly when it may not.
extension GitLabExecutorTests {
    /// Dispatches `request` through the trigger token while GitLab's answer is too slow to arrive.
    func loseATriggerAnswer(_ rig: Rig, _ request: DispatchRequest) async throws {
        var settings = GitLabExecutorSettings(address: rig.gitlab.address, token: rig.gitlab.token, triggerToken: rig.gitlab.triggerToken, project: "platform/app")
        settings.pollSeconds = 0.01
        var http = OutboundHTTP(client: rig.client)
        http.timeout = .milliseconds(300)
        rig.gitlab.answerCreationAfter(.seconds(1))
        _ = try? await GitLabExecutor(name: "gitlab", settings: settings, http: http).dispatch(request)
        #expect(rig.gitlab.createdPipelines == [500], "GitLab started it though the answer was lost")
        rig.gitlab.answerCreationAfter(.zero)
    }

    @Test func aLostTriggerAnswerIsFoundAgainAmongTheTriggeredPipelines() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.giveTriggerToAnotherUser()
        var request = Self.request(attempt: 8, template: ["trigger": "token"])
        try await loseATriggerAnswer(rig, request)
        request.mayHaveLanded = true
        guard case .accepted(let reference?) = try await rig.executor(trigger: rig.gitlab.triggerToken).dispatch(request) else {
            Issue.record("not accepted")
            return
        }
        #expect(reference == "7:500", "a Maintainer reads the variables of the trigger owner's pipelines")
        #expect(rig.gitlab.createdPipelines == [500])
    }

    @Test func aTriggeredPipelineTheTokenMayNotReadIsNotDuplicatedBlindly() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.giveTriggerToAnotherUser()
        rig.gitlab.setRole(.developer)
        var request = Self.request(attempt: 9, template: ["trigger": "token"])
        try await loseATriggerAnswer(rig, request)
        request.mayHaveLanded = true
        do {
            _ = try await rig.executor(trigger: rig.gitlab.triggerToken).dispatch(request)
            Issue.record("started a second pipeline")
        } catch {
            #expect(error.retryable, "its callback may still come")
            #expect(error.message.contains("pipeline 500"), "\(error.message)")
            #expect(error.message.contains("Maintainer") && error.message.contains("owner"), "\(error.message)")
        }
        #expect(rig.gitlab.createdPipelines == [500], "no second pipeline")
        // A first try, which cannot have landed before, starts its pipeline whatever it cannot read.
        guard case .accepted = try await rig.executor(trigger: rig.gitlab.triggerToken).dispatch(Self.request(attempt: 10, template: ["trigger": "token"])) else {
            Issue.record("not accepted")
            return
        }
        #expect(rig.gitlab.createdPipelines.count == 2)
    }
}
