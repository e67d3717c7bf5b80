/// The client's version, printed by `lifeboat version` and `--version`.
enum LifeboatVersion {
    static let current = "0.1.0"
}
