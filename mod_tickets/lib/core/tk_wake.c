/* tk_wake.c: a wake word for threads of every child (see tk_wake.h). */
#include <limits.h>
#include <time.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include "core/tk_wake.h"

uint32_t tk_wake_seen(tk_wake_t *w)
{
    return __atomic_load_n(&w->word, __ATOMIC_ACQUIRE);
}

void tk_wake_all(tk_wake_t *w)
{
    __atomic_add_fetch(&w->word, 1, __ATOMIC_RELEASE);
#ifdef __linux__
    syscall(SYS_futex, &w->word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
#endif
}

void tk_wake_wait(tk_wake_t *w, uint32_t seen, int ms)
{
    struct timespec ts;

    if (ms <= 0) {
        return;
    }
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
#ifdef __linux__
    syscall(SYS_futex, &w->word, FUTEX_WAIT, seen, &ts, NULL, 0);
#else
    (void)seen;
    nanosleep(&ts, NULL);
#endif
}
