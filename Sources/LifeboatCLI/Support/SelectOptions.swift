import ArgumentParser
import Foundation
import Kubernetes

/// Which objects a delete command acts on, as Velero's `SelectOptions`: names, `--all`, or `-l/--selector` —
/// exactly one of them.
struct SelectOptions: ParsableArguments {
    @Argument(help: "Names of the objects.") var names: [String] = []
    @Flag(name: .long, help: "All of them.") var all = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Those whose labels match this selector.")
    var selectorText: String?

    /// The parsed selector, nil without `--selector`.
    var selector: LabelSelector? {
        get throws {
            guard let selectorText else { return nil }
            return try Self.parse(selector: selectorText)
        }
    }

    /// `-l/--selector`'s value as a selector, or a usage error naming it.
    static func parse(selector text: String) throws -> LabelSelector {
        do {
            return try LabelSelector(parsing: text)
        } catch {
            throw ValidationError("--selector \(text.debugDescription): \(error)")
        }
    }

    /// The names of the objects selected: those given, else those of `resource` in `namespace` that `--all` or
    /// `--selector` takes.
    func names(of resource: GroupVersionResource, client: KubeClient, namespace: String) async throws -> [String] {
        guard names.isEmpty else { return names }
        let list: ObjectList
        do {
            list = try await client.list(resource, namespace: namespace)
        } catch let error as KubeError where error.code == .notFound {
            throw CLIError("the velero.io CRDs are not installed in the cluster (run `lifeboat install --crds-only`)")
        }
        let selector = try self.selector
        return list.items.filter { selector?.matches($0.labels) ?? true }.compactMap(\.name)
    }

    /// Velero's rule, with its message naming the kind (`restore`, `backup`).
    func validate(kind: String) throws {
        let given = [!names.isEmpty, all, selectorText != nil].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError(
                "you must specify exactly one of: specific \(kind) name(s), the --all flag, or the --selector flag"
            )
        }
        _ = try selector
    }
}

/// Velero's confirmation prompt: asks until the answer is one letter, `y` or `n`; true for `y`.
enum Confirmation {
    static func ask() -> Bool {
        while true {
            print("Are you sure you want to continue (Y/N)? ", terminator: "")
            guard let line = readLine() else { return false }
            let answer = line.trimmingCharacters(in: .whitespaces).lowercased()
            if answer == "y" { return true }
            if answer == "n" { return false }
        }
    }
}
