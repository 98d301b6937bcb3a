#ifndef ENSEMBLE_CCRYPTO_SHIM_H
#define ENSEMBLE_CCRYPTO_SHIM_H

// OpenSSL's libcrypto (libssl-dev): SHA-256 for content hashes, HMAC for signatures.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#endif
