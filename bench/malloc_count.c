// Allocation counter for `criticality bench`: build with bench/build-malloc-count.sh, then run
//   LD_PRELOAD=bench/malloc_count.so criticality bench
// Every malloc/calloc/realloc/posix_memalign/aligned_alloc/memalign increments one counter, read by the
// program through `criticality_malloc_count()` (found with dlsym). Calls are forwarded to glibc's
// implementations (__libc_*), so no dlsym is needed inside the allocator itself.
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static uint64_t counter = 0;

uint64_t criticality_malloc_count(void) { return __atomic_load_n(&counter, __ATOMIC_RELAXED); }
static inline void count(void) { __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED); }

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    count();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
