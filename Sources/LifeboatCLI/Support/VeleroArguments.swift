import ArgumentParser

/// Rewrites a command line written with Velero's (cobra's and pflag's) habits into the form ArgumentParser
/// parses, before parsing:
///
/// - **Persistent flags anywhere.** Velero's global flags (`--kubeconfig`, `--kubecontext`, `-n/--namespace`,
///   `--features`, `--colorized`, `--client-qps`, `--client-burst`, `--verbose`) may come before or between the
///   subcommand names (`lifeboat -n ns backup get`); they are moved after the subcommand path, ahead of the
///   command's own arguments, so that one given again later wins as in cobra.
/// - **kubectl-style verbs.** `get backups`, `describe backup x`, `create restore …`, `delete schedule x`
///   become `backup get`, `backup describe x`, … (Velero's `velero get|create|delete|describe <kind>`).
/// - **Optional booleans given bare.** Velero's optional-bool flags (`--snapshot-volumes`,
///   `--include-cluster-resources`, `--default-volumes-to-fs-backup`, `--restore-volumes`,
///   `--preserve-nodeports`, …) mean `true` when given without a value, as pflag's `NoOptDefVal` does; a value
///   must be joined (`--snapshot-volumes=false`), as in pflag.
/// - **Go's empty values.** `--flag=` is `--flag ""`, as Velero's node agent passes `--cache-volume-path=` to
///   data-mover pods.
///
/// Nothing after `--` is touched.
struct VeleroArguments {
    /// A command and its subcommands by name (aliases included).
    struct CommandTree: Sendable {
        var children: [String: CommandTree]

        init(_ command: any ParsableCommand.Type) {
            var children: [String: CommandTree] = [:]
            for subcommand in command.configuration.subcommands {
                let tree = CommandTree(subcommand)
                let configuration = subcommand.configuration
                let name = configuration.commandName ?? String(describing: subcommand).lowercased()
                children[name] = tree
                for alias in configuration.aliases { children[alias] = tree }
            }
            self.children = children
        }
    }

    /// Global options that take a value, by every spelling (pflag accepts `--x v`, `--x=v`, and for a short
    /// name `-n v`, `-n=v`, `-nv`).
    static let valueOptions: Set<String> = [
        "--kubeconfig", "--kubecontext", "--namespace", "-n", "--features", "--client-qps", "--client-burst",
    ]
    /// Global options without a value.
    static let flagOptions: Set<String> = ["--verbose"]
    /// Velero's optional booleans (`flag.NewOptionalBool`): bare means `true`.
    static let optionalBooleans: Set<String> = [
        "--snapshot-volumes", "--snapshot-move-data", "--include-cluster-resources", "--default-volumes-to-fs-backup",
        "--restore-volumes", "--preserve-nodeports", "--skip-immediately", "--use-owner-references-in-backup",
        "--colorized", "--allow-partially-failed", "--write-sparse-files",
    ]
    /// The kinds the kubectl-style verbs name, singular and plural, and the command group each belongs to.
    static let kinds: [String: String] = [
        "backup": "backup", "backups": "backup", "restore": "restore", "restores": "restore",
        "schedule": "schedule", "schedules": "schedule", "backup-location": "backup-location",
        "backup-locations": "backup-location", "snapshot-location": "snapshot-location",
        "snapshot-locations": "snapshot-location",
    ]
    /// The kubectl-style verbs.
    static let verbs: Set<String> = ["get", "create", "delete", "describe"]

    let tree: CommandTree

    /// The command line as ArgumentParser should see it.
    func normalize(_ arguments: [String]) -> [String] {
        let terminator = arguments.firstIndex(of: "--") ?? arguments.endIndex
        let tail = Array(arguments[terminator...])
        let options = arguments[..<terminator].flatMap(Self.rewriteValueForms)

        var path: [String] = []
        var moved: [String] = []
        var node = tree
        var index = 0
        while index < options.count {
            let token = options[index]
            if let (normalized, consumed) = Self.globalOption(options, at: index) {
                moved += normalized
                index += consumed
                continue
            }
            if token.hasPrefix("-") { break }
            if let child = node.children[token] {
                path.append(token)
                node = child
                index += 1
                continue
            }
            if path.isEmpty, Self.verbs.contains(token), index + 1 < options.count,
                let group = Self.kinds[options[index + 1]],
                let verb = tree.children[group]?.children[token]
            {
                path += [group, token]
                node = verb
                index += 2
                continue
            }
            break
        }
        return path + moved + options[index...] + tail
    }

    /// The global option at `index` in the forms ArgumentParser reads (`--x v`, `--x=v` kept, `-n=v` and `-nv`
    /// split) and how many tokens it took; nil when the token is not one.
    static func globalOption(_ tokens: [String], at index: Int) -> (normalized: [String], consumed: Int)? {
        let token = tokens[index]
        if flagOptions.contains(token) || optionalBooleans.contains(where: { token.hasPrefix($0 + "=") }) {
            return ([token], 1)
        }
        if valueOptions.contains(token) {
            return index + 1 < tokens.count ? ([token, tokens[index + 1]], 2) : ([token], 1)
        }
        if let equals = token.firstIndex(of: "="), valueOptions.contains(String(token[..<equals])) {
            let name = String(token[..<equals])
            return (name.hasPrefix("--") ? [token] : [name, String(token[token.index(after: equals)...])], 1)
        }
        if token.hasPrefix("-n"), token.count > 2, !token.hasPrefix("--") {
            return (["-n", String(token.dropFirst(2))], 1)
        }
        return nil
    }

    /// One token in the form ArgumentParser reads: `--flag=` as `--flag ""`, a bare optional boolean as
    /// `--flag=true`.
    static func rewriteValueForms(_ token: String) -> [String] {
        if token.count > 3, token.hasPrefix("--"), token.hasSuffix("="), !token.dropLast().contains("=") {
            return [String(token.dropLast()), ""]
        }
        if optionalBooleans.contains(token) { return [token + "=true"] }
        return [token]
    }

    /// The command names from `root` to `command` (`["lifeboat", "backup", "get"]`); just the root's name when
    /// `command` is not in its tree.
    static func path(to command: any ParsableCommand.Type, from root: any ParsableCommand.Type) -> [String] {
        func name(_ type: any ParsableCommand.Type) -> String {
            type.configuration.commandName ?? String(describing: type).lowercased()
        }
        func search(_ node: any ParsableCommand.Type) -> [String]? {
            if ObjectIdentifier(node) == ObjectIdentifier(command) { return [name(node)] }
            for child in node.configuration.subcommands {
                if let rest = search(child) { return [name(node)] + rest }
            }
            return nil
        }
        return search(root) ?? [name(root)]
    }
}
