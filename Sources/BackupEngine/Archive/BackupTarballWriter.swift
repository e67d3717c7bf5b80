/// Builds a Velero backup tarball (`<name>.tar.gz`) incrementally: `metadata/version` first,
/// then items, gzip-compressed, handing out compressed chunks as they fill so the caller can
/// stream them to storage with bounded memory.
package struct BackupTarballWriter {
    private var tar: TarWriter
    private let gzip: GzipCompressor
    private var plain: [UInt8] = []
    private var compressed: [UInt8] = []
    private let chunkSize: Int
    private(set) package var itemCount = 0
    private(set) package var compressedBytes = 0

    /// - Parameters:
    ///   - modificationTime: seconds since 1970 stamped on every entry.
    ///   - chunkSize: compressed bytes gathered before `append` hands a chunk out.
    package init(modificationTime: Int, chunkSize: Int = 1 << 20) throws(ArchiveError) {
        tar = TarWriter(modificationTime: modificationTime)
        gzip = try GzipCompressor(level: 1)
        self.chunkSize = chunkSize
        try tar.appendFile(
            name: TarballPaths.versionFile,
            contents: Array("\(TarballPaths.formatVersion)\n".utf8),
            into: &plain
        )
    }

    /// Adds one file. Returns a compressed chunk when at least `chunkSize` bytes are ready.
    package mutating func append(path: String, contents: [UInt8]) throws(ArchiveError) -> [UInt8]? {
        try tar.appendFile(name: path, contents: contents, into: &plain)
        itemCount += 1
        if plain.count >= 256 * 1024 {
            try gzip.compress(plain, into: &compressed)
            plain.removeAll(keepingCapacity: true)
        }
        if compressed.count >= chunkSize {
            defer { compressed.removeAll(keepingCapacity: true) }
            compressedBytes += compressed.count
            return compressed
        }
        return nil
    }

    /// Ends the archive and returns the last compressed bytes.
    package mutating func finish() throws(ArchiveError) -> [UInt8] {
        tar.finish(into: &plain)
        try gzip.compress(plain, into: &compressed)
        plain = []
        try gzip.finish(into: &compressed)
        compressedBytes += compressed.count
        defer { compressed = [] }
        return compressed
    }
}
