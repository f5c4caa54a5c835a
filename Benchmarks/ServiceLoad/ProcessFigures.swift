import Foundation

/// Fields of `/proc/PID/stat` after the command name (field 3 is index 0).
func statFields(pid: Int32) -> [Substring]? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let afterName = text.range(of: ") ", options: .backwards)
    else { return nil }
    return text[afterName.upperBound...].split(separator: " ")
}

let clockTicks = Double(sysconf(Int32(_SC_CLK_TCK)))

/// CPU seconds (user + system) a process has used so far.
func cpuSeconds(pid: Int32) -> Double {
    guard let fields = statFields(pid: pid), fields.count > 12 else { return 0 }
    // utime and stime are fields 14 and 15.
    return ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / clockTicks
}

/// CPU seconds a PostgreSQL server has used so far: the postmaster, its live children (backends,
/// WAL writer, checkpointer…) and the children that have already exited (`cutime`, `cstime`).
func postgresCPUSeconds(postmaster: Int32) -> Double {
    guard let own = statFields(pid: postmaster), own.count > 14 else { return 0 }
    var ticks = [11, 12, 13, 14].reduce(0.0) { $0 + (Double(own[$1]) ?? 0) }
    let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for name in processes {
        guard let pid = Int32(name), pid != postmaster, let fields = statFields(pid: pid), fields.count > 12,
            Int32(fields[1]) == postmaster
        else { continue }
        ticks += (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    }
    return ticks / clockTicks
}

/// The postmaster's pid, from the first line of `postmaster.pid` in the data directory.
func postmasterPid(dataDirectory: String) -> Int32? {
    guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
    return text.split(separator: "\n").first.flatMap { Int32($0) }
}

/// A `/proc/PID/status` figure in kilobytes: `VmRSS` (all resident memory) or `RssAnon` (the
/// process's own heap and stacks, without the code and data pages of its files).
func rssKilobytes(pid: Int32, field: String = "VmRSS") -> Int {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
