import Kubernetes
import NodeAgent
import Testing

/// The cache limit from Velero's backup-repository ConfigMap (`--backup-repository-configmap`).
struct BackupRepositoryConfigTests {
    static func configMap(_ data: JSONValue) -> JSONValue { ["metadata": ["name": "repo-config"], "data": data] }

    @Test func readsTheKopiaCacheLimitInMegabytes() {
        let (bytes, warning) = BackupRepositoryConfig.cacheLimitBytes(
            configMap: Self.configMap(["kopia": #"{"cacheLimitMB": 2048, "fullMaintenanceInterval": "fastGC"}"#]),
            name: "repo-config"
        )
        #expect(bytes == 2 << 30)
        #expect(warning == nil)
    }

    /// (data, expected warning): every unusable value falls back to 5 GiB.
    @Test(
        arguments: [
            (JSONValue.object([:]), nil),
            (["kopia": #"{"fullMaintenanceInterval": "normalGC"}"#], nil),
            (["restic": #"{"cacheLimitMB": 10}"#], nil),
            (
                ["kopia": "{not json"],
                "error unmarshalling config data for repo type kopia from ConfigMap repo-config: "
            ),
            (
                ["kopia": #"{"cacheLimitMB": "big"}"#],
                #"ignore cache limit for repo type kopia from ConfigMap repo-config: cacheLimitMB is "big", not a positive whole number"#
            ),
            (
                ["kopia": #"{"cacheLimitMB": -1}"#],
                "ignore cache limit for repo type kopia from ConfigMap repo-config: cacheLimitMB is -1, not a positive whole number"
            ),
        ] as [(JSONValue, String?)]
    )
    func unusableValuesFallBackToTheDefault(data: JSONValue, warning: String?) {
        let result = BackupRepositoryConfig.cacheLimitBytes(configMap: Self.configMap(data), name: "repo-config")
        #expect(result.bytes == ExposerBuilder.defaultCacheLimitBytes)
        if let warning {
            #expect(result.warning?.hasPrefix(warning) == true, "\(result.warning ?? "no warning")")
        } else {
            #expect(result.warning == nil)
        }
    }

    @Test func theResourceTimeoutIsPassedOnInGoForm() {
        #expect(GoDuration.format(.seconds(600)) == "10m0s")
        #expect(GoDuration.format(.seconds(90)) == "1m30s")
    }
}
