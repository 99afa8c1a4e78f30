/* tk_valid_tickets.h: what a client may send to the ticket resource.
 *
 * Bodies of POST /api/tickets, PATCH /api/tickets/:id, PATCH
 * /api/tickets/:id/status and POST /api/tickets/:id/messages, and the
 * query string of the list.  Each returns 0, or -1 with *err naming the
 * field.
 */
#ifndef TK_VALID_TICKETS_H
#define TK_VALID_TICKETS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "core/tk_error.h"
#include "valid/tk_valid.h"

#define TK_TITLE_MAX        200
#define TK_DESCRIPTION_MAX  20000
#define TK_MESSAGE_MAX      20000

typedef struct {
    const char *title;
    const char *description;
    const char *priority;       /* default "medium" */
    const char *category;       /* NULL when absent */
    const char *product_area;
    const char *source;         /* NULL: caller picks the default */
    const char *tags_json;      /* JSON array text, "[]" when absent */
    const char *assignee_id;
    const char *customer_id;
} tk_ticket_input_t;

typedef struct {
    tk_opt_t title, description, priority, category, product_area, tags,
             assignee_id;
} tk_ticket_patch_t;

int tk_valid_ticket_create(apr_pool_t *p, const json_t *body,
                           tk_ticket_input_t *in, tk_err_t *err);
int tk_valid_ticket_patch(apr_pool_t *p, const json_t *body,
                          tk_ticket_patch_t *in, tk_err_t *err);
int tk_valid_status(const json_t *body, const char **status, tk_err_t *err);
/* {"content", "internal"?}: the message text and whether it is an
 * internal note. */
int tk_valid_message(const json_t *body, const char **content, int *internal,
                     tk_err_t *err);

typedef struct {
    const char *statuses;       /* comma lists, checked against vocabularies */
    const char *priorities;
    const char *sources;
    const char *product_area;
    const char *category;
    const char *assignee_id;
    int unassigned;             /* assigneeId=none */
    const char *customer_id;
    const char *tag;
    const char *created_from;
    const char *created_to;
    const char *q;
    const char *sort;
    int limit;
    int offset;
} tk_ticket_filter_t;

int tk_ticket_filter_parse(apr_pool_t *p, const apr_table_t *q,
                           int def_limit, int max_limit,
                           tk_ticket_filter_t *f, tk_err_t *err);

#endif
