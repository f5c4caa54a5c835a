import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TollgateJSON
import TollgatePolicy
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// `tollgate serve` under an address-space limit, with policies that attack the host's memory and
/// time: the server stays up, the decision is `error` (so the gate blocks), and SIGTERM is honoured.
@Suite("tollgate serve against hostile policies", .serialized)
struct ServeHostilePolicyTests {
    /// Room for the server (its threads reserve most of it) but not for a gigabyte more.
    static let addressSpace = 1_280 << 20

    static let attacks: [(String, String)] = [
        (
            "shared_details.lua",
            PolicySource.policy(
                name: "shared-details",
                body: #"local s = string.rep("x", 65536) local d = {} for i = 1, 16384 do d[i] = s end return deny("x", d)"#)
        ),
        (
            "many_reasons.lua",
            PolicySource.policy(
                name: "many-reasons",
                body: #"local s = string.rep("x", 65536) local r = {} for i = 1, 16384 do r[i] = s end return deny(r)"#)
        ),
        (
            "caught_cap.lua",
            PolicySource.policy(
                name: "caught-cap",
                body: #"local ok = pcall(function() local s = "x" while true do s = s .. s end end) return allow()"#)
        ),
        (
            "endless_handler.lua",
            PolicySource.policy(
                name: "endless-handler",
                body: "return xpcall(function() while true do end end, function() while true do end end)")
        ),
    ]

    /// Starts `tollgate serve` on the policies written in `directory`, with `limits` added to its
    /// `policies:` settings, through `launcher` (e.g. `prlimit`) when given.
    static func startServer(in directory: TemporaryDirectory, limits: String = "", launcher: [String] = []) throws -> (Process, Int) {
        try directory.write("descriptors/.keep", "")
        let port = FreePort.next()
        let config = try directory.write(
            "tollgate.yaml",
            """
            server: { host: 127.0.0.1, port: \(port) }
            database: { path: \(directory.url("tollgate.db")) }
            policies: { directory: \(directory.url("policies"))\(limits) }
            registry: { kind: directory, path: \(directory.url("descriptors")) }
            """)
        let server = Process()
        let command = launcher + [TollgateCommand.executable, "serve", "--config", config]
        server.executableURL = URL(fileURLWithPath: command[0])
        server.arguments = Array(command.dropFirst())
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        return (server, port)
    }

    /// A dry run of the stage-transition phase on the documented input.
    static func dryRun(port: Int) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/tollgate/policies/evaluate?phase=ACTIVITY_STAGE_TRANSITION")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: PolicyInputs.stageTransition.serialized()))
        return request
    }

    /// A policy that runs to its deadline occupies a thread of the policy engine's own, not one of
    /// the threads that serve HTTP: with more such evaluations running than the machine has cores,
    /// `/health` still answers before the first of them ends (5 s: room for a loaded machine).
    @Test func evaluationsThatRunToTheirDeadlineHoldNoRequestThread() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("policies/spin.lua", PolicySource.policy(name: "spin", body: "while true do end"))
        let (server, port) = try Self.startServer(in: directory, limits: ", deadlineMilliseconds: 5000, instructionBudget: 1000000000000")
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        try await waitUntilListening(port: port, client: client)

        let evaluations = 2 * ProcessInfo.processInfo.activeProcessorCount
        let seen = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<evaluations {
                group.addTask {
                    let response = try await client.execute(Self.dryRun(port: port), timeout: .seconds(60))
                    let body = try JSONValue.parse(Array(buffer: try await response.body.collect(upTo: 1 << 20)))
                    #expect(body["results"]?[0]?["error"] == "deadline", "\(body)")
                    return "evaluation"
                }
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(300))
                let health = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(60))
                #expect(health.status == .ok)
                return "health"
            }
            var finished: [String] = []
            for try await name in group { finished.append(name) }
            return finished
        }
        #expect(seen.first == "health", "health answered after \(seen.firstIndex(of: "health") ?? -1) of \(evaluations) evaluations that each ran 5 s")
    }

    @Test func theServerSurvivesDecidesErrorAndStops() async throws {
        let directory = try TemporaryDirectory()
        for (file, source) in Self.attacks { try directory.write("policies/\(file)", source) }
        let (server, port) = try Self.startServer(in: directory, launcher: ["/usr/bin/prlimit", "--as=\(Self.addressSpace)", "--"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        try await waitUntilListening(port: port, client: client)

        for _ in 0..<3 {
            let response = try await client.execute(Self.dryRun(port: port), timeout: .seconds(30))
            let body = try JSONValue.parse(Array(buffer: try await response.body.collect(upTo: 1 << 22)))
            #expect(response.status == .ok)
            #expect(body["verdict"] == "block")
            let results = body["results"]?.arrayValue ?? []
            #expect(results.count == Self.attacks.count)
            for result in results {
                #expect(result["outcome"] == "error", "\(result["policy"] ?? .null): \(result["reasons"] ?? .null)")
            }
        }
        #expect(server.isRunning, "the server is alive")
        let health = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(5))
        #expect(health.status == .ok)

        kill(server.processIdentifier, SIGTERM)
        let asked = ContinuousClock.now
        while server.isRunning, asked.duration(to: .now) < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
        let took = asked.duration(to: .now)
        print("serve under prlimit --as=\(Self.addressSpace >> 20) MiB: four hostile policies decided error three times; SIGTERM honoured in \(took)")
        #expect(!server.isRunning && took < .seconds(5), "SIGTERM honoured within 5 s (took \(took))")
        #expect(server.terminationReason == .exit)
    }
}
