import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import VeleroAPI

/// Velero's backup filter flags (`velero backup create`), shared by backup and schedule commands.
struct BackupFilterOptions: ParsableArguments {
    @Option(name: .long, help: "Namespaces to include (comma-separated, globs allowed; default *).")
    var includeNamespaces: [String] = []
    @Option(name: .long, help: "Namespaces to exclude (comma-separated, globs allowed).")
    var excludeNamespaces: [String] = []
    @Option(name: .long, help: "Resources to include (comma-separated; e.g. deployments.apps,po).")
    var includeResources: [String] = []
    @Option(name: .long, help: "Resources to exclude.")
    var excludeResources: [String] = []
    @Option(name: .long, help: "Include cluster-scoped resources (true|false; default: auto).")
    var includeClusterResources: Bool?
    @Option(name: .long, help: "Cluster-scoped resources to include (new-style filter).")
    var includeClusterScopedResources: [String] = []
    @Option(name: .long, help: "Cluster-scoped resources to exclude (new-style filter).")
    var excludeClusterScopedResources: [String] = []
    @Option(name: .long, help: "Namespace-scoped resources to include (new-style filter).")
    var includeNamespaceScopedResources: [String] = []
    @Option(name: .long, help: "Namespace-scoped resources to exclude (new-style filter).")
    var excludeNamespaceScopedResources: [String] = []
    @Option(
        name: [.customShort("l"), .customLong("selector")],
        help: "Only back up objects matching this label selector."
    )
    var selector: String?
    @Option(name: .long, help: "Back up objects matching any of these selectors: 'a=b or c=d'.")
    var orSelector: String?

    /// Comma-separated values flattened (`--include-namespaces a,b --include-namespaces c`).
    static func flatten(_ values: [String]) -> [String]? {
        let all = values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter {
            !$0.isEmpty
        }
        return all.isEmpty ? nil : all
    }

    /// The label selector in its JSON form. - Throws: `ValidationError` with the parse error and its position.
    func labelSelector() throws -> LabelSelectorSpec? {
        guard let selector, !selector.isEmpty else { return nil }
        return try Self.parse(selector, flag: "--selector")
    }

    func orLabelSelectors() throws -> [LabelSelectorSpec]? {
        guard let orSelector, !orSelector.isEmpty else { return nil }
        return try orSelector.components(separatedBy: " or ").map {
            try Self.parse($0.trimmingCharacters(in: .whitespaces), flag: "--or-selector")
        }
    }

    static func parse(_ text: String, flag: String) throws -> LabelSelectorSpec {
        do {
            let selector = try LabelSelector(parsing: text)
            return try selector.json.decode(as: LabelSelectorSpec.self)
        } catch {
            throw ValidationError("\(flag) \(text.debugDescription): \(error)")
        }
    }

    /// Fills the filter fields of a backup spec.
    func apply(to spec: inout BackupSpec) throws {
        spec.includedNamespaces = Self.flatten(includeNamespaces) ?? ["*"]
        spec.excludedNamespaces = Self.flatten(excludeNamespaces)
        spec.includedResources = Self.flatten(includeResources)
        spec.excludedResources = Self.flatten(excludeResources)
        spec.includeClusterResources = includeClusterResources
        spec.includedClusterScopedResources = Self.flatten(includeClusterScopedResources)
        spec.excludedClusterScopedResources = Self.flatten(excludeClusterScopedResources)
        spec.includedNamespaceScopedResources = Self.flatten(includeNamespaceScopedResources)
        spec.excludedNamespaceScopedResources = Self.flatten(excludeNamespaceScopedResources)
        spec.labelSelector = try labelSelector()
        spec.orLabelSelectors = try orLabelSelectors()
    }
}

/// `k=v,k2=v2` flags (`--labels`, `--annotations`, `--config`).
enum KeyValueList {
    static func parse(_ values: [String], flag: String) throws -> [String: String]? {
        var result: [String: String] = [:]
        for item in values.flatMap({ $0.split(separator: ",") }) {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("\(flag): \(String(item).debugDescription) is not key=value")
            }
            result[String(parts[0]).trimmingCharacters(in: .whitespaces)] = String(parts[1]).trimmingCharacters(
                in: .whitespaces
            )
        }
        return result.isEmpty ? nil : result
    }
}
