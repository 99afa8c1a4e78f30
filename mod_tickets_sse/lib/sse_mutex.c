/* sse_mutex.c: robust, process-shared mutexes (see sse_mutex.h). */
#include <errno.h>
#include "sse_mutex.h"

int sse_mutex_init(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    int rv;

    if (pthread_mutexattr_init(&a) != 0) {
        return -1;
    }
    rv = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (rv == 0) {
        rv = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    }
    if (rv == 0) {
        rv = pthread_mutex_init(m, &a);
    }
    pthread_mutexattr_destroy(&a);
    return rv == 0 ? 0 : -1;
}

int sse_mutex_lock(pthread_mutex_t *m, int *recovered)
{
    int rv = pthread_mutex_lock(m);

    *recovered = 0;
    if (rv == EOWNERDEAD) {
        *recovered = 1;
        if (pthread_mutex_consistent(m) != 0) {
            pthread_mutex_unlock(m);
            return -1;
        }
        return 0;
    }
    return rv == 0 ? 0 : -1;
}
