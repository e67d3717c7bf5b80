import Foundation

/// Which host program stands in for a container image (``SandboxConfiguration/imageCommands``).
///
/// A key names an image as a pod does: `velero/velero` (no tag or digest) matches every tag and digest of that
/// repository, `velero/velero:v1.18.0` only that tag. Docker Hub's short names are normalised, so `nginx`,
/// `library/nginx` and `docker.io/library/nginx` are the same repository. An exact key wins over a
/// repository key.
struct ImageMapping: Sendable {
    private let exact: [String: String]
    private let byRepository: [String: String]

    init(_ commands: [String: String]) {
        var exact: [String: String] = [:]
        var byRepository: [String: String] = [:]
        for (image, program) in commands {
            let reference = Self.normalised(image)
            if Self.repository(of: reference) == reference {
                byRepository[reference] = program
            } else {
                exact[reference] = program
            }
        }
        self.exact = exact
        self.byRepository = byRepository
    }

    /// The host program for `image`, nil when it is not mapped.
    func program(for image: String) -> String? {
        let reference = Self.normalised(image)
        return exact[reference] ?? byRepository[Self.repository(of: reference)]
    }

    /// `docker.io/library/nginx:1.27` for `nginx:1.27`.
    static func normalised(_ image: String) -> String {
        let components = image.split(separator: "/", maxSplits: 1)
        guard components.count == 2 else { return "docker.io/library/\(image)" }
        let first = components[0]
        if first.contains(".") || first.contains(":") || first == "localhost" {
            return first == "index.docker.io" ? "docker.io/\(components[1])" : image
        }
        return "docker.io/\(image)"
    }

    /// The reference without its tag and digest.
    static func repository(of reference: String) -> String {
        var name = Substring(reference)
        if let at = name.firstIndex(of: "@") { name = name[..<at] }
        let lastSlash = name.lastIndex(of: "/") ?? name.startIndex
        if let colon = name[lastSlash...].lastIndex(of: ":") { name = name[..<colon] }
        return String(name)
    }
}
