import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRun
import CriticalityStats
import Foundation

/// Counts heap allocations when the process runs with `LD_PRELOAD=bench/malloc_count.so`, which
/// interposes malloc/calloc/realloc/posix_memalign/aligned_alloc and exports
/// `criticality_malloc_count()`. Without the preload, `count` is nil ("not measured").
public enum AllocationCounter {
    private typealias CountFunction = @convention(c) () -> UInt64
    private static let function: CountFunction? = {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "criticality_malloc_count") else { return nil }
        return unsafeBitCast(sym, to: CountFunction.self)
    }()

    /// Allocations made by the whole process so far, or nil without the preload.
    public static var count: UInt64? { function?() }
}
