/* Signed tokens for tests and fuzz targets, minted here with OpenSSL's
 * HMAC so that what ssesink verifies (jwt-verify.h, through libjwt) is not
 * also what made them. Header-only; plain C++ and OpenSSL. */
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <string>

namespace gstsse_test {

/* Base64url without padding (RFC 7515). */
inline std::string b64url(const std::string &in) {
  static const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(t[(acc >> bits) & 63]);
    }
  }
  if (bits)
    out.push_back(t[(acc << (6 - bits)) & 63]);
  return out;
}

/* @payload (JSON) signed with @secret (HS256), under @header (JSON; empty:
 * {"alg":"HS256","typ":"JWT"}). */
inline std::string mint_hs256(const std::string &secret, const std::string &payload, const std::string &header = "") {
  const std::string h = header.empty() ? "{\"alg\":\"HS256\",\"typ\":\"JWT\"}" : header;
  const std::string part = b64url(h) + "." + b64url(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char *>(part.data()), part.size(), mac, &len);
  return part + "." + b64url(std::string(reinterpret_cast<char *>(mac), len));
}

}  // namespace gstsse_test
