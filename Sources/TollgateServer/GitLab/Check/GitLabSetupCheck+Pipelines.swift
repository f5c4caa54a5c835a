import TollgateJSON

extension GitLabSetupCheck {
    /// Tollgate sets `TOLLGATE_*` variables on every pipeline it starts: the project must let the
    /// user's role set pipeline variables.
    func checkVariables(_ state: ProjectState, _ findings: inout [Finding]) {
        let role = state.access.role ?? .guest
        let setting = "Settings > CI/CD > Variables: Minimum role to use pipeline variables"
        if let minimum = state.variablesMinimumRole {
            let allowed: Bool =
                switch minimum {
                case "developer": role >= .developer
                case "maintainer": role >= .maintainer
                case "owner": role >= .owner
                default: false
                }
            if allowed {
                findings.append(Finding(level: .ok, topic: "pipeline variables", message: "allowed from \(minimum) (\(state.access.user) is \(role))"))
            } else {
                findings.append(
                    Finding(
                        level: .problem, topic: "pipeline variables",
                        message: "the project lets \(minimum == "no_one_allowed" ? "no one" : minimum + "s and above") set pipeline variables, and"
                            + " \(state.access.user) is \(role): every pipeline Tollgate starts would be refused",
                        fix: "\(setting): \(role >= .developer ? "\(role)" : "Developer"), or use a token of a user with that role"))
            }
        } else if let restricts = state.restrictsVariables {
            // GitLab before 17.1: restricted means Maintainers and above only.
            if restricts && role < .maintainer {
                findings.append(
                    Finding(
                        level: .problem, topic: "pipeline variables",
                        message: "the project restricts pipeline variables to Maintainers, and \(state.access.user) is \(role)",
                        fix: "Settings > CI/CD > Variables: turn off Limit CI/CD variable overrides, or use a Maintainer's token"))
            } else {
                findings.append(Finding(level: .ok, topic: "pipeline variables", message: "allowed for \(role)"))
            }
        } else {
            findings.append(
                Finding(
                    level: .warning, topic: "pipeline variables",
                    message: "GitLab shows this setting only to Maintainers, so it was not checked; projects created on GitLab.com since 17.7"
                        + " let no one set pipeline variables, and then every run fails with 'Insufficient permissions to set pipeline variables'",
                    fix: "ask a Maintainer to check \(setting) (it must allow \(role))"))
        }
    }

    /// That the trigger token is one of the project's, and whose its pipelines will be.
    func checkTrigger(_ state: ProjectState, _ findings: inout [Finding]) async {
        guard let token = target.triggerToken else { return }
        let triggers: [JSONValue]
        do {
            triggers = try await api.list("/projects/\(GitLabAPI.project(state.project))/triggers?per_page=100", what: "listing the trigger tokens")
        } catch where error.status == 403 {
            findings.append(
                Finding(
                    level: .warning, topic: "trigger token",
                    message: "GitLab lists trigger tokens only to Maintainers; \(state.access.user) is \(state.access.role.map { "\($0)" } ?? "no member"),"
                        + " so the trigger token was not checked. If it is another user's, its pipelines run as that user, whose pipeline"
                        + " variables \(state.access.user) may not read: a retry after a lost answer then waits for the callback instead of"
                        + " starting another pipeline",
                    fix: "a wrong trigger token shows at the first run (404 when starting the pipeline); use the trigger owner's token or a"
                        + " Maintainer's as executors.<name>.token"))
            return
        } catch {
            findings.append(Finding(level: .warning, topic: "trigger token", message: error.message))
            return
        }
        // Tokens of other owners are shown by their first four characters after the prefix.
        let bare = token.hasPrefix("glptt-") ? String(token.dropFirst(6)) : token
        guard
            let trigger = triggers.first(where: { trigger in
                guard let shown = trigger["token"]?.stringValue else { return false }
                return shown == token || shown.count <= 4 && bare.hasPrefix(shown)
            })
        else {
            findings.append(
                Finding(
                    level: .problem, topic: "trigger token", message: "it is not one of \(state.project)'s trigger tokens (revoked, or another project's)",
                    fix: "create one in Settings > CI/CD > Pipeline trigger tokens and set executors.<name>.triggerToken to it"))
            return
        }
        let owner = trigger["owner"]?["username"]?.stringValue ?? "?"
        findings.append(Finding(level: .ok, topic: "trigger token", message: "one of \(state.project)'s, owned by \(owner)"))
    }

    /// That an online runner can take the jobs (one with the tag, when a tag is set).
    func checkRunners(_ state: ProjectState, _ findings: inout [Finding]) async {
        var query: [(String, String)] = [("status", "online"), ("per_page", "100")]
        if let tag = target.runnerTag { query.append(("tag_list", tag)) }
        let wanted = target.runnerTag.map { "with tag \($0)" } ?? "at all"
        let runners: [JSONValue]
        do {
            runners = try await api.list("/projects/\(GitLabAPI.project(state.project))/runners?\(GitLabAPI.query(query))", what: "listing runners")
        } catch where error.status == 403 {
            findings.append(
                Finding(
                    level: .warning, topic: "runners",
                    message: "GitLab lists a project's runners only to Maintainers, so runners \(wanted) were not checked",
                    fix: "a job no runner takes fails its task at the task's timeout, naming the tags it waited for"))
            return
        } catch {
            findings.append(Finding(level: .warning, topic: "runners", message: error.message))
            return
        }
        if runners.isEmpty {
            let shared = state.sharedRunnersEnabled == false ? " (instance runners are turned off for the project)" : ""
            findings.append(
                Finding(
                    level: .problem, topic: "runners",
                    message: "no online runner \(wanted) can take \(state.project)'s jobs\(shared): they would wait until the task times out",
                    fix: "register a runner\(target.runnerTag.map { " with tag \($0)" } ?? "") for the project or its group, or enable instance runners"))
        } else {
            findings.append(Finding(level: .ok, topic: "runners", message: "\(runners.count) online runner(s) \(wanted)"))
        }
    }

    /// That the CI file exists on the ref (GitLab refuses pipelines without one).
    func checkCIFile(_ state: ProjectState, _ findings: inout [Finding]) async {
        let path = state.ciConfigPath.flatMap { $0.isEmpty ? nil : $0 } ?? ".gitlab-ci.yml"
        guard !path.contains("@"), !path.contains("://") else {
            findings.append(Finding(level: .ok, topic: "CI file", message: "\(path) is in another project or online; not checked"))
            return
        }
        let repository = GitLabRepository(api: api)
        do {
            if try await repository.fileInfo(project: state.project, path: path, ref: state.ref) != nil {
                findings.append(Finding(level: .ok, topic: "CI file", message: "\(path) is on \(state.ref)"))
            } else {
                findings.append(
                    Finding(
                        level: .problem, topic: "CI file", message: "there is no \(path) on \(state.ref): GitLab refuses to start pipelines without it",
                        fix: "commit \(path) to \(state.ref), or set the project's CI/CD configuration file"))
            }
        } catch {
            findings.append(Finding(level: .warning, topic: "CI file", message: error.message))
        }
    }
}
