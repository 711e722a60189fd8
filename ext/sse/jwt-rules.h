/* The rules of signed access tokens (JWT) that need no cryptography: what
 * a jwt-key list holds (secrets, PEM files, inline PEM), which algorithm
 * each kind of key allows, the claims checks (exp, nbf, aud, iss, with a
 * leeway) and the path grants of the `sse_paths` claim. The signature is
 * verified by libjwt (jwt-verify.h), which hands the claims here.
 *
 * Plain C++: no GLib, no GObject. Pure functions, any thread; the input is
 * untrusted (claims of a token whose signature was verified, but whose
 * issuer may still be wrong) and fuzzed (tests/fuzz/fuzz-requests.cpp). */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gstsse {

/* The kind of a key decides the one algorithm it verifies; a token's
 * header never does (no alg none, no HS/RS or HS/ES confusion). */
enum class KeyKind { kHmac, kRsa, kEc };
/* "HS256", "RS256", "ES256". */
const char *algorithm_of(KeyKind kind);

/* One entry of a jwt-key list, before its PEM is read. */
struct KeyEntry {
  enum class Form { kSecret, kPemFile, kPemInline };
  Form form = Form::kSecret;
  std::string text; /* the secret, the file's path, or the PEM */
};

/* Secrets shorter than this are refused: HS256 needs a key of at least
 * the hash's size (RFC 7518, 3.2). */
constexpr size_t kMinSecretBytes = 32;
/* Keys in one list at most (each is tried for a token). */
constexpr size_t kMaxKeys = 8;

/* Splits a jwt-key value at commas. An entry starting with "-----BEGIN" is
 * an inline PEM, one starting with '/' or "./" or "../" a PEM file's path,
 * anything else an HS256 secret (its bytes as given, spaces around it
 * trimmed). False, with @error naming the entry by its position (never its
 * text: it may be a secret), when one is unusable. */
bool parse_key_list(std::string_view spec, std::vector<KeyEntry> *out, std::string *error);

/* The claims ssesink reads from a verified token. */
struct JwtClaims {
  bool has_exp = false, has_nbf = false, has_iss = false, has_paths = false;
  int64_t exp = 0, nbf = 0; /* seconds since the epoch */
  std::string iss;
  std::vector<std::string> aud;   /* a string claim is one entry */
  std::vector<std::string> paths; /* sse_paths */
};

/* What a verified token must also satisfy: the element's jwt-* settings. */
struct ClaimRules {
  std::string audience; /* empty: aud not checked */
  std::string issuer;   /* empty: iss not checked */
  int64_t leeway_s = 30;
  bool require_exp = true;
};

enum class ClaimVerdict {
  kOk,
  kNoExp,          /* exp required and absent */
  kExpired,        /* now > exp + leeway */
  kNotYetValid,    /* now < nbf - leeway */
  kWrongAudience,  /* audience set and not in aud */
  kWrongIssuer,    /* issuer set and iss differs */
  kPathNotGranted, /* no sse_paths entry grants the path */
};
/* For log lines and the `expired` event's reason. */
const char *describe(ClaimVerdict v);
/* Expired and not-yet-valid tokens are answered 401 (get a new one and
 * retry); the others 403. */
inline bool is_time_verdict(ClaimVerdict v) {
  return v == ClaimVerdict::kExpired || v == ClaimVerdict::kNotYetValid;
}

/* The claim that lists the paths a token grants. */
constexpr const char *kPathsClaim = "sse_paths";

/* Whether @grants (sse_paths) grant @path: an entry equal to it, or an
 * entry ending in '*' whose part before the '*' starts @path (the entry
 * "/cams/" + "*" grants "/cams/1"; "*" grants every path). An empty @path is granted by
 * "*" only. */
bool path_granted(const std::vector<std::string> &grants, std::string_view path);

/* The checks in the order above; @now_s seconds since the epoch. */
ClaimVerdict check_claims(const ClaimRules &rules, const JwtClaims &claims, std::string_view path, int64_t now_s);

/* The three dot-separated parts of a compact JWS; false unless there are
 * exactly three, the first two non-empty, all of base64url characters. */
bool split_compact_jws(std::string_view token, std::string_view *header, std::string_view *payload,
                       std::string_view *signature);
/* base64url without padding (RFC 7515, 2) -> bytes; false when malformed. */
bool base64url_decode(std::string_view in, std::string *out);

}  // namespace gstsse
