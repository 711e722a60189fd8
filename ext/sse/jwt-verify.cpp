/* JWT keys and verification through libjwt; see jwt-verify.h. */
#include "jwt-verify.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cmath>
#include <ctime>

namespace gstsse {

struct JwtAccess::Keyring {
  struct Key {
    KeyKind kind;
    std::string material; /* the secret's bytes, or the public key's PEM */
  };
  JwtSettings settings;
  ClaimRules rules;
  std::vector<Key> keys;
  bool configured = false; /* jwt-key set, even if no key of it is usable */
  std::string error;
};

namespace {

/* The kind of the public key in @pem (RSA of 2048 bits or more, EC on
 * P-256), or false with @error. */
bool public_key_kind(const std::string &pem, KeyKind *kind, std::string *error) {
  BIO *bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!pkey) {
    *error = "not a PEM public key (-----BEGIN PUBLIC KEY-----)";
    return false;
  }
  bool ok = false;
  const int id = EVP_PKEY_get_base_id(pkey);
  if (id == EVP_PKEY_RSA) {
    ok = EVP_PKEY_get_bits(pkey) >= 2048;
    *kind = KeyKind::kRsa;
    if (!ok)
      *error = "an RSA key of " + std::to_string(EVP_PKEY_get_bits(pkey)) + " bits; RS256 needs 2048 or more";
  } else if (id == EVP_PKEY_EC) {
    char group[64] = "";
    size_t len = 0;
    ok = EVP_PKEY_get_group_name(pkey, group, sizeof group, &len) == 1 && std::string(group) == "prime256v1";
    *kind = KeyKind::kEc;
    if (!ok)
      *error = std::string("an EC key on curve ") + (group[0] ? group : "?") + "; ES256 needs P-256 (prime256v1)";
  } else {
    *error = "a public key that is neither RSA nor EC";
  }
  EVP_PKEY_free(pkey);
  return ok;
}

/* Loads @e into @ring; false with @error. */
bool load_key(const KeyEntry &e, JwtAccess::Keyring *ring, std::string *error) {
  JwtAccess::Keyring::Key key{KeyKind::kHmac, e.text};
  if (e.form == KeyEntry::Form::kPemFile) {
    gchar *contents = nullptr;
    gsize size = 0;
    GError *err = nullptr;
    if (!g_file_get_contents(e.text.c_str(), &contents, &size, &err)) {
      *error = err->message;
      g_error_free(err);
      return false;
    }
    key.material.assign(contents, size);
    g_free(contents);
  }
  if (e.form != KeyEntry::Form::kSecret && !public_key_kind(key.material, &key.kind, error))
    return false;
  ring->keys.push_back(std::move(key));
  return true;
}

bool json_seconds(JsonNode *n, int64_t *out) {
  if (!n || !JSON_NODE_HOLDS_VALUE(n))
    return false;
  const GType t = json_node_get_value_type(n);
  if (t == G_TYPE_INT64) {
    *out = json_node_get_int(n);
    return true;
  }
  if (t == G_TYPE_DOUBLE) {
    const double d = json_node_get_double(n);
    if (!std::isfinite(d))
      return false;
    *out = d >= 9e18 ? INT64_MAX : d <= -9e18 ? INT64_MIN : static_cast<int64_t>(std::floor(d));
    return true;
  }
  return false;
}

/* A string, or an array of strings. */
bool json_strings(JsonNode *n, std::vector<std::string> *out) {
  if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
    out->push_back(json_node_get_string(n));
    return true;
  }
  if (!JSON_NODE_HOLDS_ARRAY(n))
    return false;
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
      return false;
    out->push_back(json_node_get_string(e));
  }
  return true;
}

/* The claims of a verified token's payload JSON; false when one has the
 * wrong type (refused: a token is read one way only). */
bool parse_claims(const char *json, JwtClaims *c) {
  JsonNode *root = json ? json_from_string(json, nullptr) : nullptr;
  if (!root)
    return false;
  bool ok = JSON_NODE_HOLDS_OBJECT(root);
  JsonObject *o = ok ? json_node_get_object(root) : nullptr;
  auto member = [o](const char *name) {
    return o && json_object_has_member(o, name) ? json_object_get_member(o, name) : nullptr;
  };
  if (JsonNode *n = member("exp"))
    ok &= c->has_exp = json_seconds(n, &c->exp);
  if (JsonNode *n = member("nbf"))
    ok &= c->has_nbf = json_seconds(n, &c->nbf);
  if (JsonNode *n = member("iss")) {
    c->has_iss = JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING;
    ok &= c->has_iss;
    if (c->has_iss)
      c->iss = json_node_get_string(n);
  }
  if (JsonNode *n = member("aud"))
    ok &= json_strings(n, &c->aud);
  if (JsonNode *n = member(kPathsClaim))
    ok &= c->has_paths = json_strings(n, &c->paths);
  json_node_unref(root);
  return ok;
}

/* HS256 over the token's first two parts, compared in constant time. */
bool hmac_matches(const std::string &secret, std::string_view signed_part, std::string_view signature_b64) {
  std::string sig;
  if (!base64url_decode(signature_b64, &sig) || sig.size() != 32)
    return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char *>(signed_part.data()), signed_part.size(), mac, &len) ||
      len != 32)
    return false;
  return CRYPTO_memcmp(mac, sig.data(), 32) == 0;
}

jwt_alg_t libjwt_alg(KeyKind k) {
  switch (k) {
    case KeyKind::kHmac: return JWT_ALG_HS256;
    case KeyKind::kRsa: return JWT_ALG_RS256;
    case KeyKind::kEc: return JWT_ALG_ES256;
  }
  return JWT_ALG_INVAL;
}

}  // namespace

JwtAccess::JwtAccess() : ring_(std::make_shared<Keyring>()) {}
JwtAccess::~JwtAccess() = default;

bool JwtAccess::update(const JwtSettings &s, std::string *error) {
  auto ring = std::make_shared<Keyring>();
  ring->settings = s;
  ring->rules.audience = s.audience;
  ring->rules.issuer = s.issuer;
  ring->rules.leeway_s = s.leeway_s;
  ring->rules.require_exp = s.require_exp;
  std::vector<KeyEntry> entries;
  std::string err;
  if (parse_key_list(s.keys, &entries, &err)) {
    for (size_t i = 0; i < entries.size(); i++) {
      std::string why;
      if (!load_key(entries[i], ring.get(), &why) && err.empty())
        err = "key " + std::to_string(i + 1) +
              (entries[i].form == KeyEntry::Form::kPemFile ? " (" + entries[i].text + ")" : std::string()) + ": " + why;
    }
  } else {
    ring->keys.clear();
  }
  ring->configured = !entries.empty() || !err.empty();
  ring->error = err;
  if (error)
    *error = err;
  std::lock_guard<std::mutex> lock(mutex_);
  ring_ = std::move(ring);
  return err.empty();
}

std::shared_ptr<const JwtAccess::Keyring> JwtAccess::ring() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ring_;
}

JwtSettings JwtAccess::settings() const {
  return ring()->settings;
}

std::string JwtAccess::error() const {
  return ring()->error;
}

bool JwtAccess::configured() const {
  return ring()->configured;
}

TokenCheck JwtAccess::check(std::string_view token, std::string_view path) const {
  return check_at(token, path, static_cast<int64_t>(time(nullptr)));
}

TokenCheck JwtAccess::check_at(std::string_view token, std::string_view path, int64_t now_s) const {
  const std::shared_ptr<const Keyring> ring = this->ring();
  TokenCheck r;
  std::string_view header, payload, signature;
  if (token.size() > kMaxTokenBytes || !split_compact_jws(token, &header, &payload, &signature)) {
    r.why = "malformed token";
    return r;
  }
  const std::string tok(token);
  const std::string_view signed_part = token.substr(0, header.size() + 1 + payload.size());
  jwt_t *verified = nullptr;
  for (const Keyring::Key &k : ring->keys) {
    if (k.kind == KeyKind::kHmac && !hmac_matches(k.material, signed_part, signature))
      continue;
    jwt_t *j = nullptr;
    if (jwt_decode(&j, tok.c_str(), reinterpret_cast<const unsigned char *>(k.material.data()),
                   static_cast<int>(k.material.size())) != 0 ||
        !j)
      continue;
    /* libjwt verified with the algorithm the token names: only the key's own counts. */
    if (jwt_get_alg(j) != libjwt_alg(k.kind)) {
      jwt_free(j);
      continue;
    }
    verified = j;
    break;
  }
  if (!verified) {
    r.why = ring->keys.empty() ? "no usable jwt-key" : "signature not verified by any jwt-key";
    return r;
  }
  JwtClaims claims;
  char *json = jwt_get_grants_json(verified, nullptr);
  const bool parsed = parse_claims(json, &claims);
  free(json);
  jwt_free(verified);
  if (!parsed) {
    r.why = "a claim of the wrong type";
    return r;
  }
  const ClaimVerdict v = check_claims(ring->rules, claims, path, now_s);
  r.why = describe(v);
  if (v == ClaimVerdict::kOk) {
    r.result = TokenCheck::Result::kValid;
    if (claims.has_exp) {
      const int64_t leeway = ring->rules.leeway_s;
      r.expires_at_s = claims.exp > INT64_MAX - leeway ? INT64_MAX : claims.exp + leeway;
    }
  } else if (is_time_verdict(v)) {
    r.result = TokenCheck::Result::kExpired;
  }
  return r;
}

}  // namespace gstsse
