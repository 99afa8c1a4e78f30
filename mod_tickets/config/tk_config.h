/* tk_config.h: mod_tickets' configuration.
 *
 * Per server (main server or <VirtualHost>): the session cookie, the
 * credential cache, idempotency, live-event retention and the background
 * jobs.  Per directory (varies by <Location>): the body limit and page
 * sizes.  Every directive, its default and its range are one line of the
 * table in tk_config.c, documented in conf/tickets.conf (checked by
 * tests/integration/test_conf_doc.py).  Read-only after post_config.
 */
#ifndef TK_CONFIG_H
#define TK_CONFIG_H

#include "tk_glue.h"

typedef struct {
    const char *cookie_name;
    int cookie_secure;              /* -1 unset, as every int below */
    int session_lifetime;           /* seconds */
    int credential_ttl;             /* seconds; 0 disables the cache */
    int credential_slots;
    int idempotency_ttl;            /* seconds */
    int event_retention;            /* seconds (main server's is used) */
    int job_workers;                /* threads per child; 0: none */
    int job_lease;                  /* seconds a claimed job is held */
    int job_poll;                   /* seconds between polls */
    int job_retention;              /* seconds finished jobs are kept */
    int http_connect_timeout;       /* seconds: outbound connect */
    int http_timeout;               /* seconds: outbound, in all */
    apr_int64_t http_max_response;  /* bytes of an outbound answer */
    int webhook_tolerance;          /* seconds of clock skew allowed */
    int webhook_timeout;            /* seconds: one outbound delivery */
    int webhook_overlap;            /* seconds a rotated secret signs */
    int webhook_allow_local;        /* loopback and private addresses */
    const char *upload_dir;         /* "" when attachments are off */
    const char *transcript_key_file; /* "" when transcripts are off */
    const char *llm_endpoint;       /* "" when the AI features are off */
    const char *llm_model;          /* "" likewise */
    const char *llm_key_file;       /* "": no key */
    int llm_timeout;                /* seconds: one AI call in all */
    int llm_attempts;               /* attempts of one AI call */
    int llm_max_tokens;             /* max_tokens of an answer */
    int llm_cache_ttl;              /* seconds an answer is cached */
    int llm_tool_rounds;            /* tool rounds of a chat message */
    const char *login_failure_limit; /* "n/seconds" or "off" */
    /* Read from transcript_key_file at post_config; NULL when off. */
    const struct tk_keyring_t *transcript_keys;
} tk_srv_conf_t;

typedef struct {
    apr_int64_t max_body;           /* bytes; -1 unset */
    int default_page;
    int max_page;
    apr_int64_t attachment_max;     /* bytes of one attachment */
    const char *attachment_types;   /* "txt,log,..." */
    const char *rate_limit;         /* "n/seconds" or "off" */
} tk_dir_conf_t;

/* This server's configuration, complete (defaults applied). */
const tk_srv_conf_t *tk_srv_conf(const server_rec *s);
/* The request's directory configuration, complete. */
const tk_dir_conf_t *tk_dir_conf(const request_rec *r);

/* For the module record. */
extern const command_rec tk_cmds[];
void *tk_create_srv_conf(apr_pool_t *p, server_rec *s);
void *tk_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
void *tk_create_dir_conf(apr_pool_t *p, char *dir);
void *tk_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
/* post_config (first of the module's): every server's unset fields take
 * the defaults. */
void tk_config_register_hooks(apr_pool_t *p);

#endif
