import Crypto
package import Kubernetes
import VeleroAPI

/// Velero's per-item metadata handling on restore (`pkg/restore/restore.go`): metadata and status
/// reset, the restore labels, the status-restore decision and the skip rules.
///
/// ```swift
/// var item = try RestoreMetadata.resetMetadataAndStatus(backedUp)
/// item = RestoreMetadata.addRestoreLabels(item, restoreName: "r1", backupName: "b1")
/// ```
package enum RestoreMetadata {
    /// The `metadata` fields removed before an object is restored (`resetMetadata`). `managedFields`
    /// is kept: Velero restores it with a follow-up patch after the create.
    package static let strippedMetadataFields: [String] = [
        "generateName", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences",
    ]

    /// The label naming the backup a restored object came from.
    package static let backupNameLabel = VeleroLabels.backupName
    /// The label naming the restore that created an object.
    package static let restoreNameLabel = VeleroLabels.restoreName
    /// The per-object annotation (`true` / `false`) that overrides the restore-status resource lists.
    package static let restoreStatusAnnotation = VeleroAnnotations.restoreStatus
    /// The annotation marking a static pod's mirror pod.
    package static let mirrorPodAnnotation = "kubernetes.io/config.mirror"

    /// Removes the server-set metadata fields (``strippedMetadataFields``).
    ///
    /// - Throws: ``BackupEngineError`` `.invalidObject` when `metadata` is missing (`metadata not found`)
    ///   or not an object.
    package static func resetMetadata(_ object: JSONValue) throws -> JSONValue {
        guard let metadataValue = object["metadata"] else {
            throw BackupEngineError(code: .invalidObject, message: "metadata not found")
        }
        guard var metadata = metadataValue.objectValue else {
            throw BackupEngineError(
                code: .invalidObject,
                message: "metadata was of type \(metadataValue.typeName), expected object"
            )
        }
        for field in strippedMetadataFields { metadata.removeValue(forKey: field) }
        var result = object
        result["metadata"] = .object(metadata)
        return result
    }

    /// Removes the whole `status`.
    package static func resetStatus(_ object: JSONValue) -> JSONValue {
        guard case .object(var members) = object else { return object }
        members.removeValue(forKey: "status")
        return .object(members)
    }

    /// ``resetMetadata(_:)`` then ``resetStatus(_:)`` (`resetMetadataAndStatus`).
    package static func resetMetadataAndStatus(_ object: JSONValue) throws -> JSONValue {
        resetStatus(try resetMetadata(object))
    }

    /// Sets the labels `velero.io/backup-name` and `velero.io/restore-name`, their values passed
    /// through ``validLabelValue(_:)`` (`addRestoreLabels`).
    package static func addRestoreLabels(_ object: JSONValue, restoreName: String, backupName: String) -> JSONValue {
        var result = object
        RestoreObjectFields.set(validLabelValue(backupName), for: backupNameLabel, in: "labels", of: &result)
        RestoreObjectFields.set(validLabelValue(restoreName), for: restoreNameLabel, in: "labels", of: &result)
        return result
    }

    /// Sets both restore labels to "" (`removeRestoreLabels`), so a merge patch to the desired object
    /// carries their new values.
    package static func blankRestoreLabels(_ object: JSONValue) -> JSONValue {
        var result = object
        RestoreObjectFields.set("", for: backupNameLabel, in: "labels", of: &result)
        RestoreObjectFields.set("", for: restoreNameLabel, in: "labels", of: &result)
        return result
    }

    /// Velero's `label.GetValidName`: a value of at most 63 bytes is returned unchanged; a longer one
    /// becomes its first 57 bytes followed by the first 6 hex digits of its SHA-256.
    package static func validLabelValue(_ value: String) -> String {
        let maxLength = 63
        let bytes = Array(value.utf8)
        guard bytes.count > maxLength else { return value }
        let digest = SHA256.hash(data: bytes)
        let hex = digest.map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
        }.joined()
        return String(decoding: bytes[..<(maxLength - 6)], as: UTF8.self) + String(hex.prefix(6))
    }

    /// Whether the object's `status` is written back after the create (`restoreStatus` and the
    /// `velero.io/restore-status` annotation): the annotation `true` or `false` decides when present;
    /// otherwise the restore's status include/exclude lists decide (nil lists — no `spec.restoreStatus` —
    /// restore no status; empty includes mean every resource).
    ///
    /// - Parameters:
    ///   - groupResource: the canonical group-resource (`deployments.apps`).
    ///   - object: the backed-up object (its annotations are read).
    ///   - restoreStatus: the restore's `spec.restoreStatus` resource lists, nil when unset.
    package static func shouldRestoreStatus(
        groupResource: String,
        object: JSONValue,
        restoreStatus: IncludesExcludes?
    ) -> Bool {
        switch RestoreObjectFields.annotation(object, restoreStatusAnnotation) {
        case "true": return true
        case "false": return false
        default: return restoreStatus?.shouldInclude(groupResource) ?? false
        }
    }

    /// Why Velero would not restore this item at all, or nil: completed pods (phase `Succeeded` or
    /// `Failed`), completed jobs (`status.completionTime` set) and mirror pods.
    /// Call it on the backed-up object, before the status is reset.
    package static func skipReason(groupResource: String, object: JSONValue) -> RestoreSkipReason? {
        switch groupResource {
        case "pods":
            let phase = object[path: ["status", "phase"]]?.stringValue
            if phase == "Succeeded" || phase == "Failed" { return .completed }
            if let mirror = RestoreObjectFields.annotation(object, mirrorPodAnnotation), !mirror.isEmpty {
                return .mirrorPod
            }
        case "jobs.batch":
            if let time = object[path: ["status", "completionTime"]]?.stringValue, !time.isEmpty { return .completed }
        default:
            break
        }
        return nil
    }
}

/// Why an item is skipped before it reaches the API server.
package enum RestoreSkipReason: String, Sendable, Hashable, CustomStringConvertible {
    /// A pod that has Succeeded/Failed, or a job with a completion time.
    case completed
    /// A static pod's mirror (annotation `kubernetes.io/config.mirror`).
    case mirrorPod

    package var description: String {
        switch self {
        case .completed: "the item is complete"
        case .mirrorPod: "the pod is a mirror pod"
        }
    }
}
