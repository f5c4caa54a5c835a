import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgatePolicy
import TollgateTestSupport

/// The transition rules of the ODM reference, and its defects not copied.
@Suite("Transition rules")
struct TransitionRuleTests {
    let vm: JSONValue = ["vm": ["name": "vm-dev", "ip": "198.168.20.120"]]

    @Test func aSecondPlannedActivityForTheSameStageIsRefused() async throws {
        let f = try EngineFixture()
        let first = try await f.engine.createActivity(dataProductId: EngineFixture.productId, version: "1.0.0", stage: "dev", principal: EngineFixture.ci)
        await #expect(throws: LifecycleError.activityAlreadyExists(first.id)) {
            try await f.engine.createActivity(dataProductId: EngineFixture.productId, version: "1.0.0", stage: "dev", principal: EngineFixture.ci)
        }
    }

    @Test func anUndeclaredStageOrUnknownVersionIsInvalid() async throws {
        let f = try EngineFixture()
        await #expect(throws: LifecycleError.self) {
            try await f.engine.createActivity(dataProductId: EngineFixture.productId, version: "1.0.0", stage: "prod", principal: EngineFixture.ci)
        }
        do {
            _ = try await f.engine.createActivity(dataProductId: EngineFixture.productId, version: "9.9.9", stage: "dev", principal: EngineFixture.ci)
            Issue.record("accepted an unknown version")
        } catch {
            guard case .activityInvalid(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("9.9.9"))
        }
    }

    @Test func startingTwiceOrAFinishedActivityIsRefused() async throws {
        let f = try EngineFixture()
        let dev = try await f.run("dev")
        await #expect(throws: LifecycleError.activityNotPlanned(dev.id, status: .processing)) {
            try await f.engine.startActivity(id: dev.id, principal: EngineFixture.ci)
        }
        try await f.engine.abortActivity(id: dev.id)
        await #expect(throws: LifecycleError.self) { try await f.engine.startActivity(id: dev.id, principal: EngineFixture.ci) }
    }

    @Test func onlyOneProcessingActivityPerVersion() async throws {
        let f = try EngineFixture()
        let dev = try await f.run("dev")
        let test = try await f.engine.createActivity(dataProductId: EngineFixture.productId, version: "1.0.0", stage: "test", principal: EngineFixture.ci)
        await #expect(throws: LifecycleError.versionBusy(dev.id)) {
            try await f.engine.startActivity(id: test.id, principal: EngineFixture.ci)
        }
    }

    @Test func onlyPlannedActivitiesCanBeDeleted() async throws {
        let f = try EngineFixture()
        let planned = try await f.engine.createActivity(dataProductId: EngineFixture.productId, version: "1.0.0", stage: "dev", principal: EngineFixture.ci)
        try await f.engine.deleteActivity(id: planned.id)
        await #expect(throws: LifecycleError.activityNotFound(planned.id)) { try await f.engine.activity(id: planned.id) }
        let dev = try await f.run("dev")
        await #expect(throws: LifecycleError.self) { try await f.engine.deleteActivity(id: dev.id) }
    }

    @Test func aFailedTaskFailsTheActivityAndAbortsTheRest() async throws {
        let f = try EngineFixture()
        let dev = try await f.run("dev")
        let first = try #require(f.executor.requests.first)
        try await f.report(first.taskId, .failed, errors: "terraform apply failed")
        let activity = try await f.engine.activity(id: dev.id)
        #expect(activity.status == .failed)
        #expect(activity.errors == #"{"\#(first.taskId)":"terraform apply failed"}"#)
        let tasks = try await f.engine.tasks(activityId: dev.id)
        #expect(tasks.map(\.status) == [.failed, .aborted])
        #expect(f.executor.requests.count == 1, "nothing after the failure is dispatched")
        #expect(try f.store.stageRecords(dataProductId: EngineFixture.productId, version: "1.0.0").isEmpty)
    }

    @Test func callbacksAreIdempotentAndLateOnesAreRefused() async throws {
        let f = try EngineFixture()
        let dev = try await f.run("dev")
        let first = try #require(f.executor.requests.first)
        let applied = try await f.report(first.taskId, results: vm)
        guard case .applied(let task) = applied else { Issue.record("\(applied)"); return }
        #expect(task.status == .processed)
        let decisionsBefore = f.store.allDecisions.count
        let repeated = try await f.report(first.taskId, results: vm)
        #expect(repeated == .repeated(task))
        #expect(f.store.allDecisions.count == decisionsBefore, "a repeat decides nothing")
        #expect(f.executor.requests.count == 2, "a repeat dispatches nothing")
        await #expect(throws: LifecycleError.taskAlreadyFinished(taskId: first.taskId, status: .processed)) {
            try await f.report(first.taskId, .failed, errors: "late")
        }
        // After an abort, the running task takes no result.
        let second = f.executor.requests[1]
        try await f.engine.abortActivity(id: dev.id)
        await #expect(throws: LifecycleError.self) { try await f.report(second.taskId, results: ["url": "x"]) }
        #expect(try await f.engine.task(id: second.taskId).status == .aborted)
    }

    @Test func aCallbackWithoutBodyIsSuccessWithNullResults() async throws {
        let f = try EngineFixture()
        let dev = try await f.run("dev")
        let first = try #require(f.executor.requests.first)
        try await f.report(first.taskId)
        #expect(try await f.engine.task(id: first.taskId).results == nil)
        // The context shows task1 with null results, so task 2's ${dev.results.task1.vm.ip} names nothing.
        #expect(try await f.engine.context(activityId: dev.id)["dev"]?["results"] == ["task1": nil])
        let second = try await f.engine.tasks(activityId: dev.id)[1]
        #expect(second.errors?.contains("'dev.results.task1' is null") == true)
    }

    @Test func anUnresolvablePlaceholderFailsTheTaskBeforeDispatch() async throws {
        let f = try EngineFixture()
        let dev = try await f.run("dev")
        let first = try #require(f.executor.requests.first)
        try await f.report(first.taskId, results: ["novm": true])
        let task2 = try await f.engine.tasks(activityId: dev.id)[1]
        #expect(task2.status == .failed)
        #expect(task2.errors?.contains("${dev.results.task1.vm.ip}") == true)
        #expect(task2.errors?.contains("'dev.results.task1' has no field 'vm'") == true)
        #expect(f.executor.requests.count == 1)
        #expect(try await f.engine.activity(id: dev.id).status == .failed)
    }

    @Test func tasksRunInDeclaredOrderAndTasksWithoutExecutorSucceedAtOnce() async throws {
        let document = try JSONValue.parse(
            #"""
            {"info": {"fullyQualifiedName": "urn:org.opendatamesh:dataproducts:hello", "version": "1.0.0", "owner": {"id": "o"}},
             "internalComponents": {"lifecycleInfo": {"dev": [
               {"name": "third", "order": 3, "service": {"$href": "azure-devops"}},
               {"name": "marker", "order": 1},
               {"name": "second", "order": 2, "service": {"$href": "azure-devops"}}
             ]}}}
            """#)
        let f = try EngineFixture(descriptorDocument: document)
        let dev = try await f.run("dev")
        #expect(f.executor.requests.map(\.taskKey) == ["second"])
        #expect(f.executor.requests[0].configurations["context"]?["dev"]?["results"] == ["marker": nil])
        try await f.report(f.executor.requests[0].taskId, results: ["ok": true])
        #expect(f.executor.requests.map(\.taskKey) == ["second", "third"])
        try await f.report(f.executor.requests[1].taskId, results: ["ok": true])
        #expect(try await f.engine.activity(id: dev.id).status == .processed)
    }

    @Test func anExecutorThatAnswersAtOnceDoesNotStallTheActivity() async throws {
        let executor = ScriptedExecutor(.finishAtOnce(TaskReport(status: .processed, results: ["vm": ["name": "vm-dev", "ip": "10.0.0.1"]])))
        let f = try EngineFixture(executor: executor)
        let dev = try await f.run("dev")
        #expect(executor.requests.count == 2)
        #expect(executor.requests[1].configurations["params"]?["vmIp"] == "10.0.0.1")
        let activity = try await f.engine.activity(id: dev.id)
        #expect(activity.status == .processed)
        #expect(f.store.allDecisions.filter { $0.phase == .activityResult }.count == 1, "completion handled once")
    }

    @Test func anUnreachableExecutorIsRetriedWithBackoffUntilItsRetryLimit() async throws {
        let executor = ScriptedExecutor(.fail(ExecutorError(retryable: true, message: "connection refused by 127.0.0.1:9003")))
        let f = try EngineFixture(executor: executor)
        let dev = try await f.run("dev")
        #expect(try await f.engine.activity(id: dev.id).status == .processing)
        await f.engine.recover()
        #expect(executor.requests.count == 1, "the next attempt waits for its backoff")
        for seconds in [1.0, 2, 4, 8] {
            f.clock.advance(seconds: seconds + 0.01)
            await f.engine.recover()
        }
        #expect(executor.requests.count == 5)
        let waiting = try await f.engine.tasks(activityId: dev.id)[0]
        #expect(waiting.status == .processing, "an unreachable executor is waited for, not given up")
        #expect(waiting.errors?.hasPrefix("executor 'azure-devops' could not take the task: connection refused") == true, "\(waiting.errors ?? "")")
        f.clock.advance(seconds: 300)
        await f.engine.recover()
        let task = try await f.engine.tasks(activityId: dev.id)[0]
        #expect(task.status == .failed)
        #expect(
            task.errors == "50072 Executor service is disabled or not reachable: executor 'azure-devops' could not be reached "
                + "within 300 s (6 attempts); last error: connection refused by 127.0.0.1:9003")
        // One last attempt past the retry limit, then it gives up.
        #expect(executor.requests.count == 6)
        let errors = f.store.history(taskId: task.id).filter { $0.kind == "executor-error" }.map(\.message)
        #expect(errors.count == 6)
        // Each retry says which attempt failed and when the next comes (the backoff doubles).
        #expect(errors.prefix(5).map { $0.components(separatedBy: " (").last } == [
            "attempt 1; next in 1 s)", "attempt 2; next in 2 s)", "attempt 3; next in 4 s)", "attempt 4; next in 8 s)",
            "attempt 5; next in 16 s)",
        ])
    }

    @Test func lostCallbacksAreReconciledAndSilentTasksTimeOut() async throws {
        let f = try EngineFixture()
        let dev = try await f.run("dev")
        let first = try #require(f.executor.requests.first)
        f.executor.setStatus(TaskReport(status: .processed, results: ["vm": ["name": "v", "ip": "10.0.0.2"]]), for: first.taskId)
        await f.engine.recover()
        #expect(try await f.engine.task(id: first.taskId).status == .processed)
        let second = try #require(f.executor.requests.last)
        await f.engine.recover()
        #expect(try await f.engine.task(id: second.taskId).status == .processing, "not yet timed out")
        f.clock.advance(seconds: 3_601)
        await f.engine.recover()
        let timedOut = try await f.engine.task(id: second.taskId)
        #expect(timedOut.status == .failed)
        #expect(timedOut.errors?.contains("timed out") == true)
        #expect(try await f.engine.activity(id: dev.id).status == .failed)
    }
}

extension TransitionRuleTests {
    @Test func aDispatchRetryWaitsAsLongAsTheExecutorAsked() async throws {
        var throttled = ExecutorError(retryable: true, message: "GitLab is rate-limiting requests (429)")
        throttled.retryAfter = 90
        let executor = ScriptedExecutor(.fail(throttled))
        let f = try EngineFixture(executor: executor)
        let dev = try await f.run("dev")
        #expect(executor.requests.count == 1)
        for _ in 0..<8 {
            f.clock.advance(seconds: 10)
            await f.engine.recover()
        }
        #expect(executor.requests.count == 1, "no retry before the 90 s the executor asked for")
        f.clock.advance(seconds: 11)
        await f.engine.recover()
        #expect(executor.requests.count == 2)
        let errors = f.store.history(taskId: try await f.engine.tasks(activityId: dev.id)[0].id).filter { $0.kind == "executor-error" }
        #expect(errors.first?.message.hasSuffix("(attempt 1; next in 90 s)") == true, "\(errors.map(\.message))")
    }
}
