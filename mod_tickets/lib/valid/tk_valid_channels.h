/* tk_valid_channels.h: bodies of /api/channels (admins).
 *
 *   POST  {"platform", "name", "accountId", "apiBase"?, "settings"?,
 *          "secrets"}
 *   PATCH {"name"?, "accountId"?, "apiBase"?, "settings"?}
 *   PUT   /:id/secrets  {<secret name>: <value>, ...}  (all of them)
 *   GET   ?platform=&limit=&offset=
 *
 * The secrets a platform takes (each a non-empty string; Discord's
 * publicKey 64 hex digits), the one its webhooks are checked with being
 * required:
 *
 *   facebook  appSecret*, verifyToken*, accessToken
 *   zalo      oaSecretKey*, accessToken          settings.appId*
 *   tiktok    clientSecret*, accessToken
 *   discord   publicKey*, botToken
 *   web       none
 *
 * settings is an object: Facebook's "graphVersion" ("v19.0"), Zalo's
 * "appId"; other keys are kept as given.  apiBase is https, or http to
 * this host's loopback (a test's fake platform): tokens never travel in
 * clear over a network.
 */
#ifndef TK_VALID_CHANNELS_H
#define TK_VALID_CHANNELS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "core/tk_error.h"
#include "valid/tk_valid.h"

#define TK_ACCOUNT_ID_MAX   128
#define TK_SECRET_MAX       4096
#define TK_SETTINGS_MAX     8192        /* bytes of settings, serialized */

typedef struct {
    const char *platform;
    const char *name;
    const char *account_id;
    tk_opt_t api_base;          /* trailing '/' removed */
    const char *settings;       /* JSON text; NULL: absent */
    const char *secrets;        /* JSON text; NULL: absent */
} tk_channel_input_t;

int tk_valid_channel_create(apr_pool_t *p, const json_t *body,
                            tk_channel_input_t *in, tk_err_t *err);
/* platform: the channel's, for its settings. */
int tk_valid_channel_patch(apr_pool_t *p, const json_t *body,
                           const char *platform, tk_channel_input_t *in,
                           tk_err_t *err);
/* The whole body as the channel's secrets: *secrets is its JSON text. */
int tk_valid_channel_secrets(apr_pool_t *p, const json_t *body,
                             const char *platform, const char **secrets,
                             tk_err_t *err);

#endif
