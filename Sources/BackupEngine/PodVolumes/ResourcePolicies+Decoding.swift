import Foundation
package import Kubernetes

extension ResourcePolicies {
    /// Reads the policies from the ConfigMap a Backup's `spec.resourcePolicy` names: exactly one data key
    /// whose value is the YAML document; validated as Velero's `GetResourcePoliciesFromBackup`.
    ///
    /// - Throws: ``BackupEngineError`` `.invalidSpec` naming the ConfigMap, the field and the value.
    package init(configMap: JSONValue) throws(BackupEngineError) {
        let namespace = configMap["metadata"]?["namespace"]?.stringValue ?? ""
        let name = configMap["metadata"]?["name"]?.stringValue ?? ""
        let source = "resource policies ConfigMap \(namespace)/\(name)"
        let data = configMap["data"]?.objectValue ?? [:]
        guard data.count == 1, let (key, value) = data.elements.first, let text = value.stringValue else {
            throw BackupEngineError(
                code: .invalidSpec,
                message: "\(source): must have exactly one data key holding the policies' YAML, found "
                    + (data.isEmpty ? "none" : data.keys.sorted().joined(separator: ", "))
            )
        }
        try self.init(yaml: text, source: "\(source) key \(key)")
    }

    /// Parses and validates the YAML document; `source` names it in errors.
    package init(yaml text: String, source: String) throws(BackupEngineError) {
        let document: JSONValue
        do {
            document = try JSONValue(yaml: text)
        } catch {
            throw BackupEngineError(code: .invalidSpec, message: "\(source): not valid YAML", cause: error)
        }
        do {
            var reader = try PolicyReader(document, path: "")
            version = try reader.string("version") ?? ""
            volumePolicies = try reader.list("volumePolicies") { try VolumePolicy(reading: $0) }
            includeExcludePolicy = try reader.object("includeExcludePolicy") { try IncludeExcludePolicy(reading: &$0) }
            try reader.finish(typeName: "ResourcePolicies")
            try validate()
        } catch let error as PolicyReader.Failure {
            throw BackupEngineError(code: .invalidSpec, message: "\(source): \(error.message)")
        } catch {
            throw BackupEngineError(code: .invalidSpec, message: "\(source): \(error)", cause: error)
        }
    }

    /// Velero's `Policies.Validate`.
    private func validate() throws {
        guard version == Self.supportedVersion else {
            throw PolicyReader.Failure(
                message: "version: incompatible version number \"\(version)\" with supported version "
                    + "\(Self.supportedVersion)"
            )
        }
        for (index, policy) in volumePolicies.enumerated() {
            let conditions = policy.conditions
            let lowerOpen = conditions.capacityLower == .zero
            let upperOpen = conditions.capacityUpper == .zero
            if !(conditions.capacityUpper.compare(to: conditions.capacityLower) >= 0 || (!lowerOpen && upperOpen)) {
                throw PolicyReader.Failure(
                    message: "volumePolicies[\(index)].conditions.capacity: the upper bound "
                        + "\(conditions.capacityUpper) is below the lower bound \(conditions.capacityLower)"
                )
            }
            if let csi = conditions.csi, csi.driver.isEmpty, csi.volumeAttributes != nil {
                throw PolicyReader.Failure(
                    message: "volumePolicies[\(index)].conditions.csi: csi driver should not be empty when "
                        + "filtering by volume attributes"
                )
            }
        }
        if let filters = includeExcludePolicy {
            try Self.validate(
                filters.includedClusterScopedResources,
                filters.excludedClusterScopedResources,
                "ClusterScoped"
            )
            try Self.validate(
                filters.includedNamespaceScopedResources,
                filters.excludedNamespaceScopedResources,
                "NamespaceScoped"
            )
        }
    }

    private static func validate(
        _ includes: [String],
        _ excludes: [String],
        _ scope: String
    ) throws {
        if includes.contains("*") || excludes.contains("*") {
            throw PolicyReader.Failure(
                message: "includeExcludePolicy: cannot use '*' in includes or excludes filters in the policy"
            )
        }
        if let both = Set(excludes).intersection(includes).sorted().first {
            throw PolicyReader.Failure(
                message: "includeExcludePolicy.excluded\(scope)Resources: excludes list cannot contain an item "
                    + "in the includes list: \(both)"
            )
        }
    }
}

extension ResourcePolicies.VolumePolicy {
    fileprivate init(reading value: JSONValue) throws {
        var reader = try PolicyReader(value, path: "volumePolicies[]")
        conditions =
            try reader.object("conditions") { try ResourcePolicies.Conditions(reading: &$0) }
            ?? ResourcePolicies.Conditions()
        guard let action = try reader.object("action", { try ResourcePolicies.Action(reading: &$0) }) else {
            throw PolicyReader.Failure(message: "\(reader.child("action")): invalid action type \"\"")
        }
        self.action = action
        try reader.finish(typeName: "VolumePolicy")
    }
}

extension ResourcePolicies.Action {
    fileprivate init(reading reader: inout PolicyReader) throws {
        let name = try reader.string("type") ?? ""
        guard let type = ResourcePolicies.ActionType(rawValue: name) else {
            throw PolicyReader.Failure(
                message: "\(reader.child("type")): invalid action type \"\(name)\" (use "
                    + ResourcePolicies.ActionType.allCases.map(\.rawValue).joined(separator: ", ") + ")"
            )
        }
        self.type = type
        parameters = try reader.rawObject("parameters")
        try reader.finish(typeName: "Action")
    }
}

extension ResourcePolicies.Conditions {
    fileprivate init(reading reader: inout PolicyReader) throws {
        if let capacity = try reader.string("capacity") {
            (capacityLower, capacityUpper) = try Self.capacity(capacity, path: reader.child("capacity"))
        }
        storageClass = try reader.strings("storageClass")
        nfs = try reader.object("nfs") { reader throws in
            let condition = ResourcePolicies.NFSCondition(
                server: try reader.string("server") ?? "",
                path: try reader.string("path") ?? ""
            )
            try reader.finish(typeName: "nFSVolumeSource")
            return condition
        }
        csi = try reader.object("csi") { reader throws in
            let condition = ResourcePolicies.CSICondition(
                driver: try reader.string("driver") ?? "",
                volumeAttributes: try reader.stringMap("volumeAttributes")
            )
            try reader.finish(typeName: "csiVolumeSource")
            return condition
        }
        volumeTypes = try reader.strings("volumeTypes")
        pvcLabels = try reader.stringMap("pvcLabels") ?? [:]
        pvcPhase = try reader.strings("pvcPhase")
        try reader.finish(typeName: "volumeConditions")
    }

    /// `parseCapacity`: `"lower,upper"` with empty bounds open.
    static func capacity(_ text: String, path: String) throws -> (Quantity, Quantity) {
        let parts = (text.isEmpty ? "," : text).split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw PolicyReader.Failure(
                message: "\(path): wrong format of Capacity \"\(text)\" (want \"lower,upper\", e.g. \"0,10Gi\")"
            )
        }
        var bounds: [Quantity] = []
        for part in parts {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                bounds.append(.zero)
                continue
            }
            do {
                bounds.append(try Quantity(parsing: trimmed))
            } catch {
                throw PolicyReader.Failure(message: "\(path): wrong format of Capacity \"\(trimmed)\": \(error)")
            }
        }
        return (bounds[0], bounds[1])
    }
}

extension ResourcePolicies.IncludeExcludePolicy {
    fileprivate init(reading reader: inout PolicyReader) throws {
        includedClusterScopedResources = try reader.strings("includedClusterScopedResources")
        excludedClusterScopedResources = try reader.strings("excludedClusterScopedResources")
        includedNamespaceScopedResources = try reader.strings("includedNamespaceScopedResources")
        excludedNamespaceScopedResources = try reader.strings("excludedNamespaceScopedResources")
        try reader.finish(typeName: "IncludeExcludePolicy")
    }
}

/// Reads one YAML mapping the way `yaml.v3` with `KnownFields(true)` decodes into Velero's structs: keys are
/// case-sensitive, `null` is absent, scalars decode into strings, a value of the wrong shape or a key the struct
/// does not have is an error naming its path.
struct PolicyReader {
    struct Failure: Error {
        var message: String
    }

    private let object: JSONObject
    let path: String
    private var consumed: Set<String> = []

    init(_ value: JSONValue, path: String) throws {
        switch value {
        case .object(let object): self.object = object
        case .null: object = [:]
        default:
            throw Failure(message: "\(path.isEmpty ? "document" : path): expected a mapping, got \(value.typeName)")
        }
        self.path = path
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func value(_ key: String) -> JSONValue? {
        guard let value = object[key] else { return nil }
        consumed.insert(key)
        return value.isNull ? nil : value
    }

    /// A scalar as text (numbers and booleans as written).
    mutating func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        return try Self.scalar(value, path: child(key))
    }

    mutating func strings(_ key: String) throws -> [String] {
        guard let value = value(key) else { return [] }
        guard let items = value.arrayValue else {
            throw Failure(message: "\(child(key)): expected a list, got \(Self.shown(value))")
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            result.append(try Self.scalar(item, path: "\(child(key))[\(index)]"))
        }
        return result
    }

    mutating func stringMap(_ key: String) throws -> [String: String]? {
        guard let value = value(key) else { return nil }
        guard let object = value.objectValue else {
            throw Failure(message: "\(child(key)): must be a map of string to string, got \(Self.shown(value))")
        }
        var result: [String: String] = [:]
        for (name, item) in object {
            result[name] = try Self.scalar(item, path: "\(child(key)).\(name)")
        }
        return result
    }

    mutating func rawObject(_ key: String) throws -> JSONObject? {
        guard let value = value(key) else { return nil }
        guard let object = value.objectValue else {
            throw Failure(message: "\(child(key)): expected a mapping, got \(Self.shown(value))")
        }
        return object
    }

    mutating func object<T>(
        _ key: String,
        _ read: (inout PolicyReader) throws -> T
    ) throws -> T? {
        guard let value = value(key) else { return nil }
        var reader = try PolicyReader(value, path: child(key))
        return try read(&reader)
    }

    mutating func list<T>(_ key: String, _ read: (JSONValue) throws -> T) throws -> [T] {
        guard let value = value(key) else { return [] }
        guard let items = value.arrayValue else {
            throw Failure(message: "\(child(key)): expected a list, got \(Self.shown(value))")
        }
        var result: [T] = []
        for (index, item) in items.enumerated() {
            do {
                result.append(try read(item))
            } catch let error as Failure {
                throw Failure(
                    message: error.message.replacingOccurrences(of: "\(key)[]", with: "\(key)[\(index)]")
                )
            }
        }
        return result
    }

    /// Fails on the first key the struct does not have, as `KnownFields(true)`.
    func finish(typeName: String) throws {
        if let unknown = object.keys.filter({ !consumed.contains($0) }).sorted().first {
            throw Failure(message: "\(child(unknown)): field \(unknown) not found in type \(typeName)")
        }
    }

    private static func scalar(_ value: JSONValue, path: String) throws -> String {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return String(flag)
        default: throw Failure(message: "\(path): expected a string, got \(shown(value))")
        }
    }

    private static func shown(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "the string \"\(text)\""
        case .array: return "a list"
        case .object: return "a mapping"
        default: return "\(value.typeName) \(value)"
        }
    }
}
