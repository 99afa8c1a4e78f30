/* tk_seal.h: transcripts sealed at rest with AES-256-GCM.
 *
 * A key ring is read from TicketsTranscriptKeyFile: one key per line,
 * "<key id> <base64 of 32 bytes>", '#' comments and blank lines ignored;
 * ids are 1 to 32 letters, digits, '_' or '-', each once.  The last key
 * is the current one, which seals; every key of the ring opens what it
 * sealed, so a key is rotated by adding a line below and keeping the old
 * one until every transcript has been sealed again.
 *
 * A sealed text is base64 of nonce (12 random bytes, fresh each time) ||
 * ciphertext || tag (16 bytes), with associated data (the ticket's id)
 * that must be given again to open it.
 */
#ifndef TK_SEAL_H
#define TK_SEAL_H

#include <apr_pools.h>
#include "core/tk_error.h"

#define TK_SEAL_KEY_BYTES   32
#define TK_SEAL_NONCE_BYTES 12
#define TK_SEAL_TAG_BYTES   16
#define TK_SEAL_ID_MAX      32

typedef struct tk_keyring_t tk_keyring_t;

/* The ring of a key file's text: NULL with *err (its message names the
 * line) when a line is malformed, a key is not 32 bytes, an id repeats,
 * or there is no key. */
tk_keyring_t *tk_keyring_parse(apr_pool_t *p, const char *text,
                               tk_err_t *err);
/* The id of the current key. */
const char *tk_keyring_current(const tk_keyring_t *ring);
/* The number of keys, and the id of the i-th (0: the first line). */
int tk_keyring_count(const tk_keyring_t *ring);
const char *tk_keyring_id(const tk_keyring_t *ring, int i);
/* 1 when the ring holds a key of this id. */
int tk_keyring_has(const tk_keyring_t *ring, const char *id);

/* Seal len bytes of plain with the current key: the sealed text, NULL
 * when no randomness or cipher could be had. */
const char *tk_seal(apr_pool_t *p, const tk_keyring_t *ring, const char *aad,
                    const char *plain, size_t len);
/* Open a text sealed with key id: the plain text (NUL-terminated, *len
 * bytes), or NULL when the key is unknown, the text malformed or the tag
 * does not verify (a wrong key, associated data or a changed byte). */
const char *tk_unseal(apr_pool_t *p, const tk_keyring_t *ring,
                      const char *id, const char *aad, const char *sealed,
                      size_t *len);

#endif
