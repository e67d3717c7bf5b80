import Kubernetes
import NodeAgent
import Testing

/// The issue's bad-input table: malformed node-agent ConfigMaps, each with the exact error, or the exact
/// warnings and the effective fall-back (read from the `config explain` JSON).
struct NodeAgentConfigBadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// The ConfigMap's `data`.
        var data: [String: String]?
        var error: String?
        var warnings: [String] = []
        /// Dotted path in the explain JSON → expected value.
        var effective: [String: JSONValue] = [:]
        var testDescription: String { name }
    }

    static let cluster = ClusterFacts(
        nodes: [.init(name: "n1", labels: ["a": "b"]), .init(name: "n2")],
        storageClasses: [.init(name: "fast", reclaimPolicy: "Delete"), .init(name: "keep", reclaimPolicy: "Retain")],
        priorityClasses: ["high"]
    )

    static let regex = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    static let cases: [Case] = [
        Case(
            name: "not JSON",
            data: ["c": "{not json"],
            error: "error to unmarshall configs from nac: invalid JSON at offset 1"
        ),
        Case(
            name: "two data keys",
            data: ["a": "{}", "b": "{}"],
            error: "more than one keys are found in ConfigMap nac's data. only expect one"
        ),
        Case(name: "no data", data: nil, error: "data is not available in config map nac"),
        Case(
            name: "string for an integer",
            data: ["c": #"{"loadConcurrency":{"globalConfig":"2"}}"#],
            error:
                #"error to unmarshall configs from nac: loadConcurrency.globalConfig: cannot use string "2" as an integer"#
        ),
        Case(
            name: "fraction for an integer",
            data: ["c": #"{"loadConcurrency":{"globalConfig":2.5}}"#],
            error:
                "error to unmarshall configs from nac: loadConcurrency.globalConfig: cannot use number 2.5 as an integer"
        ),
        Case(
            name: "string for a boolean",
            data: ["c": #"{"privilegedFsBackup":"yes"}"#],
            error: #"error to unmarshall configs from nac: privilegedFsBackup: cannot use string "yes" as a boolean"#
        ),
        Case(
            name: "list for an object",
            data: ["c": #"{"podResources":["1"]}"#],
            error: "error to unmarshall configs from nac: podResources: cannot use array as an object"
        ),
        Case(
            name: "negative global number",
            data: ["c": #"{"loadConcurrency":{"globalConfig":-3}}"#],
            warnings: ["Global number -3 is invalid, use the default value 1"],
            effective: ["loadConcurrency.global": 1]
        ),
        Case(
            name: "zero global number",
            data: [
                "c":
                    #"{"loadConcurrency":{"globalConfig":0,"perNodeConfig":[{"nodeSelector":{"matchLabels":{"a":"b"}},"number":4}]}}"#
            ],
            warnings: ["Global number 0 is invalid, use the default value 1"],
            effective: [
                "loadConcurrency.global": 1,
                "loadConcurrency.perNode": [
                    ["node": "n1", "number": 4, "rule": "perNodeConfig[0]"],
                    ["node": "n2", "number": 1, "rule": "globalConfig"],
                ],
            ]
        ),
        Case(
            name: "zero and negative rule numbers",
            data: [
                "c":
                    #"{"loadConcurrency":{"globalConfig":2,"perNodeConfig":[{"nodeSelector":{"matchLabels":{"a":"b"}},"number":0},{"number":-1}]}}"#
            ],
            warnings: [
                #"Rule with label selector {"matchLabels":{"a":"b"}} is with an invalid number 0, skip it"#,
                "Rule with label selector {} is with an invalid number -1, skip it",
            ],
            effective: [
                "loadConcurrency.perNode": [
                    ["node": "n1", "number": 2, "rule": "globalConfig"],
                    ["node": "n2", "number": 2, "rule": "globalConfig"],
                ]
            ]
        ),
        Case(
            name: "bad selector",
            data: [
                "c":
                    #"{"loadConcurrency":{"globalConfig":3,"perNodeConfig":[{"nodeSelector":{"matchExpressions":[{"key":"a","operator":"Near"}]},"number":1}]}}"#
            ],
            warnings: [
                #"Failed to parse rule with label selector {"matchExpressions":[{"key":"a","operator":"Near"}]}, skip it: invalid label selector: matchExpressions[0].operator: "Near" is not a valid label selector operator"#
            ],
            effective: [
                "loadConcurrency.perNode": [
                    ["node": "n1", "number": 3, "rule": "globalConfig"],
                    ["node": "n2", "number": 3, "rule": "globalConfig"],
                ]
            ]
        ),
        Case(
            name: "bad quantity",
            data: [
                "c": #"{"podResources":{"cpuRequest":"abc","cpuLimit":"1","memoryRequest":"1Gi","memoryLimit":"2Gi"}}"#
            ],
            warnings: [#"Pod resource requirements are invalid, ignore: couldn't parse CPU request "abc": "# + regex],
            effective: ["podResources": nil]
        ),
        Case(
            name: "empty cpu quantity",
            data: ["c": #"{"podResources":{"memoryRequest":"1Gi","memoryLimit":"2Gi"}}"#],
            warnings: [#"Pod resource requirements are invalid, ignore: couldn't parse CPU request "": "# + regex],
            effective: ["podResources": nil]
        ),
        Case(
            name: "request above limit",
            data: [
                "c": #"{"podResources":{"cpuRequest":"2","cpuLimit":"1","memoryRequest":"1Gi","memoryLimit":"2Gi"}}"#
            ],
            warnings: [
                #"Pod resource requirements are invalid, ignore: CPU request "2" must be less than or equal to CPU limit "1""#
            ],
            effective: ["podResources": nil]
        ),
        Case(
            name: "zero limit is unbounded",
            data: [
                "c":
                    #"{"podResources":{"cpuRequest":"1500m","cpuLimit":"0","memoryRequest":"0.5Gi","memoryLimit":"1Gi"}}"#
            ],
            effective: [
                "podResources": ["requests": ["cpu": "1500m", "memory": "512Mi"], "limits": ["memory": "1Gi"]]
            ]
        ),
        Case(
            name: "missing priority class",
            data: ["c": #"{"priorityClassName":"low"}"#],
            warnings: ["Priority class not found in cluster, data mover pods will use default priority"],
            effective: ["priorityClassName": nil]
        ),
        Case(
            name: "existing priority class",
            data: ["c": #"{"priorityClassName":"high"}"#],
            effective: ["priorityClassName": "high"]
        ),
        Case(
            name: "missing cache storage class",
            data: ["c": #"{"cachePVC":{"storageClass":"nope","residentThresholdInMB":5}}"#],
            warnings: [#"cachePVC is invalid, ignore it: storage class "nope" is not found"#],
            effective: ["cachePVC": nil]
        ),
        Case(
            name: "absent cache storage class",
            data: ["c": #"{"cachePVC":{"thresholdInGB":1}}"#],
            warnings: ["cachePVC is invalid, ignore it: storage class is absent"],
            effective: ["cachePVC": nil]
        ),
        Case(
            name: "retained cache storage class",
            data: ["c": #"{"cachePVC":{"storageClass":"keep"}}"#],
            warnings: ["cachePVC is invalid, ignore it: unexpected storage class reclaim policy Retain"],
            effective: ["cachePVC": nil]
        ),
        Case(
            name: "both cache thresholds",
            data: ["c": #"{"cachePVC":{"storageClass":"fast","thresholdInGB":1,"residentThresholdInMB":300}}"#],
            warnings: ["cachePVC.thresholdInGB is ignored because cachePVC.residentThresholdInMB is set"],
            effective: [
                "cachePVC": [
                    "storageClass": "fast", "residentThresholdInMB": 300, "thresholdSource": "residentThresholdInMB",
                ]
            ]
        ),
        // Regression (lifeboat-fuzz, node-agent-config target): thresholdInGB * 1024 overflowed and trapped.
        Case(
            name: "cache threshold out of range",
            data: ["c": #"{"cachePVC":{"storageClass":"fast","thresholdInGB":-9223372036854775808}}"#],
            warnings: ["cachePVC is invalid, ignore it: thresholdInGB -9223372036854775808 is out of range"],
            effective: ["cachePVC": nil]
        ),
        Case(
            name: "documented cache threshold",
            data: ["c": #"{"cachePVC":{"storageClass":"fast","thresholdInGB":2}}"#],
            effective: [
                "cachePVC": ["storageClass": "fast", "residentThresholdInMB": 2048, "thresholdSource": "thresholdInGB"]
            ]
        ),
        Case(
            name: "unknown keys",
            data: ["c": #"{"keepLatestMaxPerNode":3,"loadConcurrency":{"globalConfig":2,"bogus":true}}"#],
            warnings: [
                #"unknown key "keepLatestMaxPerNode" in the node-agent configuration nac is ignored"#,
                #"unknown key "loadConcurrency.bogus" in the node-agent configuration nac is ignored"#,
            ],
            effective: ["loadConcurrency.global": 2]
        ),
        Case(
            name: "relabeling a writable volume",
            data: ["c": #"{"backupPVC":{"fast":{"spcNoRelabeling":true}}}"#],
            warnings: ["backupPVC.fast: Ignoring spcNoRelabling for read-write volume"]
        ),
    ]

    @Test(arguments: cases)
    func reportsTheExactProblemAndFallsBack(_ c: Case) throws {
        var configMap: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "nac"]]
        if let data = c.data {
            var o = JSONObject()
            for key in data.keys.sorted() { o[key] = .string(data[key] ?? "") }
            configMap["data"] = .object(o)
        }
        if let expected = c.error {
            do {
                _ = try NodeAgentConfig.load(configMap: configMap, name: "nac")
                Issue.record("loaded")
            } catch let e as NodeAgentError {
                #expect(e.code == .invalidConfig)
                #expect(e.message.hasPrefix(expected), "\(e.message)")
            }
            return
        }
        let (config, loadWarnings) = try NodeAgentConfig.load(configMap: configMap, name: "nac")
        let explanation = ConfigExplanation(config: config, loadWarnings: loadWarnings, cluster: Self.cluster)
        #expect(explanation.warnings == c.warnings)
        let json = explanation.json
        for (path, value) in c.effective {
            #expect(json[path: path.split(separator: ".").map(String.init)] == value, "\(path)")
        }
    }
}
