#if canImport(Glibc)
import CMalloc
import Glibc
#endif

/// glibc malloc settings for a process that streams gigabytes through short-lived multi-MiB buffers.
///
/// By default glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB), so
/// after the first pack or chunk buffer is released, later ones come from per-thread arenas (up to eight
/// per core) whose freed memory stays resident: a backup then holds tens of MiB it no longer uses. Here
/// blocks of 1 MiB and more are mmapped and returned on free, arenas give back free space above 1 MiB,
/// and there are at most two arenas. On the 2 GB benchmark dataset (`lifeboat-bench repo`) peak RSS went
/// from 175 to 151 MiB for a first backup, 140 to 102 MiB after mutation, 133 to 112 MiB for a restore
/// and 118 to 98 MiB for `check --read-data`, for about 5 % more CPU in `check` (page faults of fresh
/// pack buffers) and no measurable change elsewhere. A 128 KiB threshold saved a little more memory but
/// made restores much slower. Set first thing in `main`; process-wide. A setting given with glibc's own
/// environment variable (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`) wins.
enum AllocatorTuning {
    static func apply() {
        #if canImport(Glibc)
        func set(_ option: Int32, _ value: Int32, unless variable: String) {
            if getenv(variable) == nil { _ = mallopt(option, value) }
        }
        set(M_ARENA_MAX, 2, unless: "MALLOC_ARENA_MAX")
        set(M_MMAP_THRESHOLD, 1 << 20, unless: "MALLOC_MMAP_THRESHOLD_")
        set(M_TRIM_THRESHOLD, 1 << 20, unless: "MALLOC_TRIM_THRESHOLD_")
        #endif
    }
}
