/* tk_revlog.c: the host's revocation log in shared memory (layout and
 * protocol in tk_revlog.h). */
#include <stdatomic.h>
#include <string.h>
#include "core/tk_revlog.h"

typedef struct {
    _Atomic uint64_t seq;
    _Atomic char kind;
    _Atomic char value[TK_REVLOG_VALUE_MAX + 1];
} tk_revlog_slot_t;

struct tk_revlog_t {
    _Atomic uint64_t reserved;          /* the newest number handed out */
    tk_revlog_slot_t slots[TK_REVLOG_SLOTS];
};

size_t tk_revlog_size(void)
{
    return sizeof(tk_revlog_t);
}

tk_revlog_t *tk_revlog_init(void *mem)
{
    memset(mem, 0, sizeof(tk_revlog_t));
    return mem;
}

int tk_revlog_add(tk_revlog_t *log, char kind, const char *value)
{
    size_t n = strlen(value), i;
    uint64_t seq;
    tk_revlog_slot_t *slot;

    if (n > TK_REVLOG_VALUE_MAX) {
        return -1;
    }
    seq = atomic_fetch_add_explicit(&log->reserved, 1, memory_order_acq_rel) + 1;
    slot = &log->slots[seq % TK_REVLOG_SLOTS];
    atomic_store_explicit(&slot->seq, 0, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&slot->kind, kind, memory_order_relaxed);
    for (i = 0; i <= n; ++i) {
        atomic_store_explicit(&slot->value[i], value[i], memory_order_relaxed);
    }
    atomic_store_explicit(&slot->seq, seq, memory_order_release);
    return 0;
}

uint64_t tk_revlog_newest(const tk_revlog_t *log)
{
    return atomic_load_explicit(&((tk_revlog_t *)log)->reserved,
                                memory_order_acquire);
}

/* Copy entry seq out of its slot; -1 when it is not there whole. */
static int tk_revlog_copy(const tk_revlog_t *log, uint64_t seq, char *kind,
                          char value[TK_REVLOG_VALUE_MAX + 1])
{
    tk_revlog_slot_t *slot =
        (tk_revlog_slot_t *)&log->slots[seq % TK_REVLOG_SLOTS];
    size_t i;

    if (atomic_load_explicit(&slot->seq, memory_order_acquire) != seq) {
        return -1;
    }
    *kind = atomic_load_explicit(&slot->kind, memory_order_relaxed);
    for (i = 0; i <= TK_REVLOG_VALUE_MAX; ++i) {
        value[i] = atomic_load_explicit(&slot->value[i], memory_order_relaxed);
    }
    value[TK_REVLOG_VALUE_MAX] = '\0';
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&slot->seq, memory_order_relaxed) == seq
           ? 0 : -1;
}

int tk_revlog_read(const tk_revlog_t *log, uint64_t after, uint64_t upto,
                   tk_revlog_fn *fn, void *data)
{
    char value[TK_REVLOG_VALUE_MAX + 1], kind;
    uint64_t seq;

    if (upto > after && upto - after > TK_REVLOG_SLOTS) {
        return -1;
    }
    for (seq = after + 1; seq <= upto; ++seq) {
        if (tk_revlog_copy(log, seq, &kind, value) != 0) {
            return -1;
        }
        fn(kind, value, data);
    }
    return 0;
}
