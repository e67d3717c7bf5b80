// The local servers tests run against (moto_server) live in `LocalServers`, a non-testing target that the
// benchmark uses too; tests reach them through this module.
@_exported public import LocalServers
