/* sse_handlers.h: the endpoints of mod_tickets_sse (sse_handler.c). */
#ifndef SSE_HANDLERS_H
#define SSE_HANDLERS_H

#include "sse_glue.h"

void sse_handlers_register_hooks(apr_pool_t *p);

#endif
