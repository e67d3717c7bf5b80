import Kubernetes
import Synchronization

/// The resource types currently served: built-ins plus one entry per served version of each
/// established CustomResourceDefinition. Lookups are lock-protected and cheap.
final class ResourceRegistry: Sendable {
    private struct State {
        var custom: [String: [ResourceType]] = [:]  // CRD name -> its served versions
        var generation = 0
    }

    private let state = Mutex(State())
    private let builtins: [ResourceType]
    private let builtinIndex: [String: ResourceType]
    /// The first built-in type of each storage key.
    private let builtinStorageIndex: [String: ResourceType]

    init() {
        builtins = BuiltinResources.all
        var index: [String: ResourceType] = [:]
        var storage: [String: ResourceType] = [:]
        for type in builtins {
            index["\(type.groupVersion)|\(type.plural)"] = type
            if storage[type.storageKey] == nil { storage[type.storageKey] = type }
        }
        builtinIndex = index
        builtinStorageIndex = storage
    }

    /// The first type in ``all``'s order stored under `storageKey` (without building ``all``: the
    /// controllers look types up on every event).
    func type(storageKey: String) -> ResourceType? {
        if let type = builtinStorageIndex[storageKey] { return type }
        return state.withLock { state in
            state.custom.values.lazy.flatMap { $0 }.filter { $0.storageKey == storageKey }
                .min { ($0.group, $0.version, $0.plural) < ($1.group, $1.version, $1.plural) }
        }
    }

    /// Changes whenever a CRD is added, changed or removed (used to cache discovery documents).
    var generation: Int { state.withLock { $0.generation } }

    /// All served types (built-ins first, then custom types sorted by group, version, plural).
    var all: [ResourceType] {
        let custom = state.withLock { $0.custom.values.flatMap { $0 } }
        return builtins
            + custom.sorted { ($0.group, $0.version, $0.plural) < ($1.group, $1.version, $1.plural) }
    }

    /// The type served at `groupVersion` (e.g. `v1`, `apps/v1`) under `plural`.
    func lookup(groupVersion: String, plural: String) -> ResourceType? {
        if let type = builtinIndex["\(groupVersion)|\(plural)"] { return type }
        return state.withLock { state in
            for versions in state.custom.values {
                if let type = versions.first(where: { $0.groupVersion == groupVersion && $0.plural == plural }) {
                    return type
                }
            }
            return nil
        }
    }

    /// The type with this apiVersion and kind.
    func lookup(apiVersion: String, kind: String) -> ResourceType? {
        all.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }

    /// The custom types whose storage key is `storageKey` (all served versions of one CRD).
    func customVersions(storageKey: String) -> [ResourceType] {
        state.withLock { state in state.custom.values.first { $0.first?.storageKey == storageKey } ?? [] }
    }

    /// Whether a group version is served.
    func serves(groupVersion: String) -> Bool {
        all.contains { $0.groupVersion == groupVersion }
    }

    /// Registers (or replaces) the types of a CRD; returns them.
    @discardableResult
    func install(crd: JSONValue) -> [ResourceType] {
        let types = Self.types(of: crd)
        guard let name = crd["metadata"]?["name"]?.stringValue else { return [] }
        state.withLock { state in
            state.custom[name] = types.isEmpty ? nil : types
            state.generation += 1
        }
        return types
    }

    /// Removes a CRD's types.
    func uninstall(crdName: String) {
        state.withLock { state in
            state.custom[crdName] = nil
            state.generation += 1
        }
    }

    /// The served types a CRD object defines.
    static func types(of crd: JSONValue) -> [ResourceType] {
        guard let spec = crd["spec"], let group = spec["group"]?.stringValue,
            let names = spec["names"], let plural = names["plural"]?.stringValue,
            let kind = names["kind"]?.stringValue
        else { return [] }
        let singular = names["singular"]?.stringValue ?? kind.lowercased()
        let short = names["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let categories = names["categories"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let namespaced = spec["scope"]?.stringValue != "Cluster"
        let statusOnMain = crd["metadata"]?["annotations"]?[PreinstalledCRDs.statusOnMainAnnotation] != nil
        var types: [ResourceType] = []
        for version in spec["versions"]?.arrayValue ?? [] {
            guard let name = version["name"]?.stringValue, version["served"]?.boolValue ?? true else { continue }
            let columns = (version["additionalPrinterColumns"]?.arrayValue ?? []).compactMap { column in
                column["name"]?.stringValue.map {
                    ResourceType.PrinterColumn(
                        name: $0,
                        type: column["type"]?.stringValue ?? "string",
                        jsonPath: column["jsonPath"]?.stringValue ?? "",
                        priority: Int(column["priority"]?.intValue ?? 0)
                    )
                }
            }
            types.append(
                ResourceType(
                    group: group,
                    version: name,
                    plural: plural,
                    singular: singular,
                    kind: kind,
                    namespaced: namespaced,
                    shortNames: short,
                    categories: categories,
                    hasStatus: version["subresources"]?["status"] != nil,
                    hasScale: version["subresources"]?["scale"] != nil,
                    custom: true,
                    mainEndpointWritesStatus: statusOnMain,
                    printerColumns: columns
                )
            )
        }
        return types
    }
}
