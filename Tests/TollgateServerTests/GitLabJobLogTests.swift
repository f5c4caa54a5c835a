import Testing
import TollgateLifecycle
import TollgateServer

/// Job traces as GitLab runners write them, made readable.
@Suite("GitLab job logs")
struct GitLabJobLogTests {
    static let runnerOutput =
        "\u{1B}[0KRunning with gitlab-runner 17.5.1 (e1a9a3b2)\u{1B}[0;m\n"
        + "\u{1B}[0K  on docker-runner-7 t3_Xa1b2, system ID: s_0123456789ab\u{1B}[0;m\n"
        + "section_start:1732262400:prepare_executor\r\u{1B}[0K\u{1B}[0K\u{1B}[36;1mPreparing the \"docker\" executor\u{1B}[0;m\u{1B}[0;m\n"
        + "\u{1B}[0KUsing Docker executor with image ubuntu:20.04 ...\u{1B}[0;m\n"
        + "section_end:1732262401:prepare_executor\r\u{1B}[0K\n"
        + "section_start:1732262402:step_script[collapsed=true]\r\u{1B}[0K\u{1B}[0K\u{1B}[36;1mExecuting \"step_script\" stage of the job script\u{1B}[0;m\u{1B}[0;m\n"
        + "\u{1B}[32;1m$ lifecycle/execute\u{1B}[0;m\n"
        + "Zürich → São Paulo: 12 ✓\n"
        + "progress 10%\rprogress 50%\rprogress 100%\n"
        + "\n\n"
        + "\u{1B}[31;1mERROR: Job failed: exit code 1\n\u{1B}[0;m\n"
        + "section_end:1732262410:step_script\r\u{1B}[0K\n"

    @Test func coloursSectionsAndOverwritesAreRemovedAndUTF8Survives() {
        let log = GitLabJobLog.clean(Array(Self.runnerOutput.utf8), name: "execute", status: "failed", limit: 1 << 20)
        #expect(log.text == """
            Running with gitlab-runner 17.5.1 (e1a9a3b2)
              on docker-runner-7 t3_Xa1b2, system ID: s_0123456789ab
            Preparing the "docker" executor
            Using Docker executor with image ubuntu:20.04 ...
            Executing "step_script" stage of the job script
            $ lifecycle/execute
            Zürich → São Paulo: 12 ✓
            progress 100%
            ERROR: Job failed: exit code 1
            """)
        #expect(log.omittedBytes == 0)
        #expect(log.name == "execute")
        #expect(log.status == "failed")
    }

    @Test func aLongLogKeepsItsEndFromALineBoundaryAndSaysHowMuchWasLeftOut() {
        let lines = (1...2_000).map { "line \($0) — ünïcödé" }
        let raw = Array(lines.joined(separator: "\n").utf8)
        let log = GitLabJobLog.clean(raw, name: "build", status: "success", limit: 4_096)
        let kept = log.text.split(separator: "\n")
        #expect(kept.last == "line 2000 — ünïcödé")
        #expect(kept.first?.hasPrefix("line ") == true, "starts on a whole line: \(kept.first ?? "")")
        #expect(log.omittedBytes > 0)
        #expect(log.omittedBytes + log.text.utf8.count == raw.count, "omitted plus kept is everything")
        #expect(log.text.utf8.count <= 4_096)
    }

    @Test func invalidUTF8BecomesReplacementCharactersNotGarbage() {
        let raw: [UInt8] = Array("caf".utf8) + [0xC3] + Array(" ok\n".utf8) + [0xFF, 0xFE] + Array("end".utf8)
        let log = GitLabJobLog.clean(raw, name: "j", status: nil, limit: 1 << 20)
        #expect(log.text == "caf\u{FFFD} ok\n\u{FFFD}\u{FFFD}end")
    }
}
