
/*
 * Copyright (C) ngx_strm authors
 */


#ifndef _STRM_TINK_H_INCLUDED_
#define _STRM_TINK_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "strm_error.h"


/*
 * Tink keysets, compatible with any Tink:
 *
 *   STRM_TINK_DAEAD  DeterministicAead, AesSivKey (64-byte key):
 *                    prefix || SIV(16) || AES-CTR(pt)
 *   STRM_TINK_AEAD   Aead, AesGcmKey (16 or 32-byte key), our
 *                    key-encryption key: prefix || IV(12) || C || tag(16)
 *
 * prefix: TINK 0x01 || key id (big-endian), LEGACY and CRUNCHY 0x00 ||
 * key id, RAW none.  Encryption uses the primary key; decryption tries
 * the ENABLED keys whose prefix matches the first 5 bytes, then the
 * ENABLED RAW keys on the whole ciphertext, as Tink does.
 *
 * Every key holds a keyed OpenSSL context made once: a keyset is cheap
 * to use and costly to build, so build it once per key.  Not for two
 * threads at once.  strm_tink_keyset_free() wipes the keys.
 *
 * Functions that take err/errlen write a reason there (never key bytes);
 * err may be NULL.
 */


#define STRM_TINK_PREFIX_LEN  5

#define STRM_TINK_AESSIV_URL                                                 \
    "type.googleapis.com/google.crypto.tink.AesSivKey"
#define STRM_TINK_AESGCM_URL                                                 \
    "type.googleapis.com/google.crypto.tink.AesGcmKey"


typedef enum {
    STRM_TINK_DAEAD = 1,
    STRM_TINK_AEAD
} strm_tink_kind_e;


/* the values of Tink's proto enums */
typedef enum {
    STRM_TINK_ENABLED = 1,
    STRM_TINK_DISABLED = 2,
    STRM_TINK_DESTROYED = 3
} strm_tink_status_e;


typedef enum {
    STRM_TINK_TINK = 1,
    STRM_TINK_LEGACY = 2,
    STRM_TINK_RAW = 3,
    STRM_TINK_CRUNCHY = 4
} strm_tink_prefix_e;


typedef struct strm_tink_keyset_s  strm_tink_keyset_t;


/* a view of one key; key points into the keyset (NULL if DESTROYED) */
typedef struct {
    uint32_t              id;
    strm_tink_status_e    status;
    strm_tink_prefix_e    prefix;
    const unsigned char  *key;
    size_t                key_len;
} strm_tink_key_info_t;


/* an empty keyset: add keys, the first ENABLED one added is primary */
strm_tink_keyset_t *strm_tink_keyset_new(strm_tink_kind_e kind);
void strm_tink_keyset_free(strm_tink_keyset_t *ks);

/*
 * Adds a key (64 bytes for DAEAD, 16 or 32 for AEAD; NULL and 0 for a
 * DESTROYED one); primary != 0 makes it the primary (it must be
 * ENABLED).
 */
strm_rc_t strm_tink_keyset_add(strm_tink_keyset_t *ks, uint32_t id,
    strm_tink_status_e status, strm_tink_prefix_e prefix,
    const unsigned char *key, size_t len, int primary);

/*
 * Adds a fresh random ENABLED TINK key (RAND_bytes) with a random id
 * not yet in the keyset, makes it the primary; *id gets its id (id may
 * be NULL).  A new keyset with one fresh key is strm_tink_keyset_new()
 * then this.
 */
strm_rc_t strm_tink_keyset_add_random(strm_tink_keyset_t *ks, uint32_t *id);

strm_tink_kind_e strm_tink_keyset_kind(const strm_tink_keyset_t *ks);
uint32_t strm_tink_keyset_primary(const strm_tink_keyset_t *ks);
size_t strm_tink_keyset_size(const strm_tink_keyset_t *ks);
strm_rc_t strm_tink_keyset_key(const strm_tink_keyset_t *ks, size_t i,
    strm_tink_key_info_t *info);

/* the ciphertext length for a plaintext of len bytes (primary key) */
size_t strm_tink_ciphertext_len(const strm_tink_keyset_t *ks, size_t len);

/*
 * Encrypts with the primary key; out gets strm_tink_ciphertext_len()
 * bytes, *outlen that length.  STRM_E_NOT_FOUND without a primary key.
 */
strm_rc_t strm_tink_encrypt(strm_tink_keyset_t *ks, const unsigned char *ad,
    size_t adlen, const unsigned char *pt, size_t len, unsigned char *out,
    size_t *outlen);

/*
 * out needs len bytes at most; STRM_E_BAD_REQUEST when no key decrypts
 * it (out is then wiped).
 */
strm_rc_t strm_tink_decrypt(strm_tink_keyset_t *ks, const unsigned char *ad,
    size_t adlen, const unsigned char *ct, size_t len, unsigned char *out,
    size_t *outlen);

/*
 * Key wrapping with an AEAD keyset (the KEK): strm_tink_encrypt and
 * strm_tink_decrypt that refuse a DAEAD keyset (STRM_E_INTERNAL), with
 * a malloc()ed result; free an unwrapped secret with
 * strm_tink_secret_free().
 */
strm_rc_t strm_tink_wrap(strm_tink_keyset_t *kek, const unsigned char *ad,
    size_t adlen, const unsigned char *pt, size_t len, unsigned char **out,
    size_t *outlen);
strm_rc_t strm_tink_unwrap(strm_tink_keyset_t *kek, const unsigned char *ad,
    size_t adlen, const unsigned char *ct, size_t len, unsigned char **out,
    size_t *outlen);

/* wipes len bytes of p, then frees it */
void strm_tink_secret_free(void *p, size_t len);

/*
 * The serialized Keyset proto (what an encrypted keyset encrypts).
 * to_proto's result holds key bytes: strm_tink_secret_free() it.
 */
strm_rc_t strm_tink_keyset_to_proto(const strm_tink_keyset_t *ks,
    unsigned char **out, size_t *len);
strm_rc_t strm_tink_keyset_from_proto(const unsigned char *p, size_t len,
    strm_tink_keyset_t **out, char *err, size_t errlen);

/*
 * Cleartext JSON keysets: {"primaryKeyId": N, "key": [{"keyData":
 * {"typeUrl", "value", "keyMaterialType"}, "status", "keyId",
 * "outputPrefixType"}]}.  The kind follows from the type URL; all keys
 * of a keyset have the same type.  write_json's result is a NUL-ended
 * string with key bytes: strm_tink_secret_free(*out, *len).
 */
strm_rc_t strm_tink_keyset_read_json(const char *json, size_t len,
    strm_tink_keyset_t **out, char *err, size_t errlen);
strm_rc_t strm_tink_keyset_write_json(const strm_tink_keyset_t *ks,
    char **out, size_t *len);

/*
 * Encrypted JSON keysets: {"encryptedKeyset": base64(KEK.encrypt(
 * Keyset proto, ad)), "keysetInfo": {...}}; keysetInfo is ignored when
 * read.  write's result holds no secret: free() it.
 */
strm_rc_t strm_tink_keyset_read_encrypted_json(const char *json,
    size_t len, strm_tink_keyset_t *kek, const unsigned char *ad,
    size_t adlen, strm_tink_keyset_t **out, char *err, size_t errlen);
strm_rc_t strm_tink_keyset_write_encrypted_json(const strm_tink_keyset_t *ks,
    strm_tink_keyset_t *kek, const unsigned char *ad, size_t adlen,
    char **out, size_t *len);


#endif /* _STRM_TINK_H_INCLUDED_ */
