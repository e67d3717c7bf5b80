package import Kubernetes

extension NodeAgentConfig {
    /// Reads the configuration document with the strictness of Go's `encoding/json` on Velero's structs:
    /// a value of the wrong type is an error naming its path (Velero refuses to start); unknown keys are
    /// ignored and reported in `unknownKeys` (dotted paths) so the caller can warn about them.
    ///
    /// - Throws: ``NodeAgentError`` (`.invalidConfig`) naming the field, e.g.
    ///   `loadConcurrency.globalConfig: cannot use string "2" as an integer`.
    package init(json: JSONValue, unknownKeys: inout [String]) throws {
        var root = try StrictJSONReader(json, path: "")
        self.init()
        if let v = root.value("loadConcurrency") {
            var r = try StrictJSONReader(v, path: "loadConcurrency")
            var lc = LoadConcurrency()
            lc.globalConfig = try r.int("globalConfig") ?? 0
            lc.prepareQueueLength = try r.int("prepareQueueLength") ?? 0
            for (i, item) in (try r.array("perNodeConfig") ?? []).enumerated() {
                var rule = try StrictJSONReader(item, path: "loadConcurrency.perNodeConfig[\(i)]")
                let selector = rule.value("nodeSelector")
                if let selector, selector.objectValue == nil {
                    throw StrictJSONReader.typeError(
                        path: rule.child("nodeSelector"),
                        value: selector,
                        expected: "a label selector object"
                    )
                }
                lc.perNodeConfig.append(RuledConfig(nodeSelector: selector, number: try rule.int("number") ?? 0))
                unknownKeys += rule.unconsumedKeys
            }
            loadConcurrency = lc
            unknownKeys += r.unconsumedKeys
        }
        for (i, item) in (try root.array("loadAffinity") ?? []).enumerated() {
            var r = try StrictJSONReader(item, path: "loadAffinity[\(i)]")
            let selector = r.value("nodeSelector")
            if let selector, selector.objectValue == nil {
                throw StrictJSONReader.typeError(
                    path: r.child("nodeSelector"),
                    value: selector,
                    expected: "a label selector object"
                )
            }
            loadAffinity.append(LoadAffinity(nodeSelector: selector, storageClass: try r.string("storageClass") ?? ""))
            unknownKeys += r.unconsumedKeys
        }
        if let v = root.value("backupPVC") {
            var r = try StrictJSONReader(v, path: "backupPVC")
            for key in r.object.keys {
                guard let entry = r.value(key) else { continue }
                var e = try StrictJSONReader(entry, path: "backupPVC.\(key)")
                backupPVC[key] = BackupPVC(
                    storageClass: try e.string("storageClass") ?? "",
                    readOnly: try e.bool("readOnly") ?? false,
                    spcNoRelabeling: try e.bool("spcNoRelabeling") ?? false,
                    annotations: try e.stringMap("annotations") ?? [:]
                )
                unknownKeys += e.unconsumedKeys
            }
        }
        if let v = root.value("restorePVC") {
            var r = try StrictJSONReader(v, path: "restorePVC")
            restorePVC = RestorePVC(ignoreDelayBinding: try r.bool("ignoreDelayBinding") ?? false)
            unknownKeys += r.unconsumedKeys
        }
        if let v = root.value("podResources") {
            var r = try StrictJSONReader(v, path: "podResources")
            podResources = PodResources(
                cpuRequest: try r.string("cpuRequest") ?? "",
                cpuLimit: try r.string("cpuLimit") ?? "",
                memoryRequest: try r.string("memoryRequest") ?? "",
                memoryLimit: try r.string("memoryLimit") ?? "",
                ephemeralStorageRequest: try r.string("ephemeralStorageRequest") ?? "",
                ephemeralStorageLimit: try r.string("ephemeralStorageLimit") ?? ""
            )
            unknownKeys += r.unconsumedKeys
        }
        priorityClassName = try root.string("priorityClassName") ?? ""
        privilegedFsBackup = try root.bool("privilegedFsBackup") ?? false
        if let v = root.value("cachePVC") {
            var r = try StrictJSONReader(v, path: "cachePVC")
            cachePVC = CachePVC(
                storageClass: try r.string("storageClass") ?? "",
                residentThresholdInMB: try r.int64("residentThresholdInMB"),
                thresholdInGB: try r.int64("thresholdInGB")
            )
            unknownKeys += r.unconsumedKeys
        }
        podLabels = try root.stringMap("podLabels")
        podAnnotations = try root.stringMap("podAnnotations")
        unknownKeys = root.unconsumedKeys + unknownKeys
    }
}
