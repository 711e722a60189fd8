/* The properties of signed tokens (jwt-*) and of the authorization
 * callback (auth-*): their table, Settings fields and start() checks, apart
 * from settings.cpp (which calls these) for the size of one file. Threads:
 * as settings.cpp: application threads, under the element's settings lock;
 * the jwt-* ones may be set while PLAYING (Settings::jwt is shared with the
 * running stream, jwt-verify.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "settings.h"

using namespace gstsse;

namespace {

std::string string_of(const GValue *value) {
  const gchar *str = g_value_get_string(value);
  return str ? str : "";
}

void set_string_or_null(GValue *value, const std::string &s) {
  g_value_set_string(value, s.empty() ? nullptr : s.c_str());
}

}  // namespace

bool gstsse::check_token_settings(const Settings &s, std::string *message, std::string *detail) {
  if (!s.stream.auth_url.url.empty()) {
    GUri *uri = g_uri_parse(s.stream.auth_url.url.c_str(), G_URI_FLAGS_NONE, nullptr);
    const char *scheme = uri ? g_uri_get_scheme(uri) : nullptr;
    const bool ok = scheme && (g_ascii_strcasecmp(scheme, "http") == 0 || g_ascii_strcasecmp(scheme, "https") == 0) &&
                    g_uri_get_host(uri) && *g_uri_get_host(uri);
    if (uri)
      g_uri_unref(uri);
    if (!ok) {
      *message = "Invalid auth-url \"" + s.stream.auth_url.url + "\"";
      *detail = "Set auth-url to an http:// or https:// URL of the application, or unset it";
      return false;
    }
  }
  if (!s.stream.auth_url.ca_file.empty()) {
    GError *err = nullptr;
    GTlsDatabase *db = g_tls_file_database_new(s.stream.auth_url.ca_file.c_str(), &err);
    if (!db) {
      *message = "Could not load auth-ca-file " + s.stream.auth_url.ca_file + ": " + err->message;
      *detail = "Set auth-ca-file to a PEM file of CA certificates, or unset it for the system's";
      g_error_free(err);
      return false;
    }
    g_object_unref(db);
  }
  if (!s.jwt->error().empty()) {
    *message = "Invalid jwt-key: " + s.jwt->error();
    *detail = "Set jwt-key to HS256 secrets of 32 bytes or more and/or paths of PEM public keys (RSA 2048+, EC P-256)";
    return false;
  }
  return true;
}

void gst_sse_sink_install_token_properties(GObjectClass *gobject_class) {
  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  /* Changeable while PLAYING: the next request uses the new value. */
  const auto live = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_JWT_KEY,
      g_param_spec_string("jwt-key", "JWT key",
                          "Keys that verify signed tokens (JWT), read where auth-token is (?token=, cookie sse_token, "
                          "Authorization: Bearer). Comma-separated, each an HS256 secret (32 bytes or more), the path "
                          "of a PEM public key file (starting with / or ./; RSA of 2048 bits or more: RS256; EC P-256: "
                          "ES256) or an inline PEM; the key's type alone decides the algorithm. A token must have exp "
                          "(see jwt-require-exp) and an sse_paths claim granting the stream's path. Several keys: "
                          "any verifies (rotation). Changeable while PLAYING. NULL = no tokens. Write-only. See "
                          "docs/security.md",
                          nullptr, live));
  g_object_class_install_property(
      gobject_class, PROP_JWT_AUDIENCE,
      g_param_spec_string("jwt-audience", "JWT audience",
                          "A token's aud claim must contain this (NULL = aud not checked). Changeable while PLAYING",
                          nullptr, live));
  g_object_class_install_property(
      gobject_class, PROP_JWT_ISSUER,
      g_param_spec_string("jwt-issuer", "JWT issuer",
                          "A token's iss claim must be this (NULL = iss not checked). Changeable while PLAYING",
                          nullptr, live));
  g_object_class_install_property(
      gobject_class, PROP_JWT_LEEWAY,
      g_param_spec_uint("jwt-leeway", "JWT leeway",
                        "Seconds of clock difference allowed for exp and nbf: a token is valid from nbf - leeway to "
                        "exp + leeway, and a client it admitted is sent event: expired and closed at exp + leeway. "
                        "Changeable while PLAYING",
                        0, 3600, defaults::kJwtLeewayS, live));
  g_object_class_install_property(
      gobject_class, PROP_JWT_REQUIRE_EXP,
      g_param_spec_boolean("jwt-require-exp", "JWT requires exp",
                           "Refuse (403) signed tokens without an exp claim; FALSE admits tokens that never expire. "
                           "Changeable while PLAYING",
                           defaults::kJwtRequireExp, live));
  g_object_class_install_property(
      gobject_class, PROP_AUTH_URL,
      g_param_spec_string("auth-url", "Authorization URL",
                          "http:// or https:// URL of the application, asked for each new request to the stream (and "
                          "its snapshot): one POST of JSON {path, address, headers: {authorization, cookie}, token} "
                          "(token: ?token=). 2xx lets the request on to the other checks, 401/403 are passed on, "
                          "anything else or no answer within auth-timeout-ms refuses with 503 (see auth-fail-open). "
                          "Answers are reused per credential for auth-cache-ms. NULL = not asked. See "
                          "docs/security.md",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_AUTH_CACHE_MS,
      g_param_spec_uint("auth-cache-ms", "Authorization cache",
                        "Milliseconds an auth-url answer (2xx, 401, 403) is reused for the same path and "
                        "credentials (Authorization, Cookie, ?token=) (0 = ask every time)",
                        0, 3600000, defaults::kAuthCacheMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_AUTH_TIMEOUT_MS,
      g_param_spec_uint("auth-timeout-ms", "Authorization timeout",
                        "Milliseconds the application has to answer auth-url before it counts as down (0 = no "
                        "limit of ours)",
                        0, 600000, defaults::kAuthTimeoutMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_AUTH_FAIL_OPEN,
      g_param_spec_boolean("auth-fail-open", "Authorization fails open",
                           "When auth-url cannot be asked (down, no answer in time, another status than 2xx, 401, "
                           "403): FALSE refuses with 503 Service Unavailable (fail closed), TRUE lets the request on "
                           "to the other checks",
                           defaults::kAuthFailOpen, rw));
  g_object_class_install_property(
      gobject_class, PROP_AUTH_CA_FILE,
      g_param_spec_string("auth-ca-file", "Authorization CA file",
                          "PEM file of the certificate authorities an https:// auth-url's certificate is checked "
                          "against (NULL = the system's, through glib-networking). Starting fails if it cannot be "
                          "read",
                          nullptr, rw));
}

bool gst_sse_sink_token_settings_set(Settings &s, guint prop_id, const GValue *value) {
  StreamConfig &st = s.stream;
  switch (prop_id) {
    case PROP_AUTH_URL: st.auth_url.url = string_of(value); break;
    case PROP_AUTH_CACHE_MS: st.auth_url.cache_ms = g_value_get_uint(value); break;
    case PROP_AUTH_TIMEOUT_MS: st.auth_url.timeout_ms = g_value_get_uint(value); break;
    case PROP_AUTH_FAIL_OPEN: st.auth_url.fail_open = g_value_get_boolean(value); break;
    case PROP_AUTH_CA_FILE: st.auth_url.ca_file = string_of(value); break;
    case PROP_JWT_KEY:
    case PROP_JWT_AUDIENCE:
    case PROP_JWT_ISSUER:
    case PROP_JWT_LEEWAY:
    case PROP_JWT_REQUIRE_EXP: {
      JwtSettings j = s.jwt->settings();
      if (prop_id == PROP_JWT_KEY)
        j.keys = string_of(value);
      else if (prop_id == PROP_JWT_AUDIENCE)
        j.audience = string_of(value);
      else if (prop_id == PROP_JWT_ISSUER)
        j.issuer = string_of(value);
      else if (prop_id == PROP_JWT_LEEWAY)
        j.leeway_s = g_value_get_uint(value);
      else
        j.require_exp = g_value_get_boolean(value);
      s.jwt->update(j, nullptr); /* an unusable key: error(), reported by the caller and check() */
      break;
    }
    default: return false;
  }
  return true;
}

bool gst_sse_sink_token_settings_get(const Settings &s, guint prop_id, GValue *value) {
  const StreamConfig &st = s.stream;
  switch (prop_id) {
    case PROP_AUTH_URL: set_string_or_null(value, st.auth_url.url); break;
    case PROP_AUTH_CACHE_MS: g_value_set_uint(value, st.auth_url.cache_ms); break;
    case PROP_AUTH_TIMEOUT_MS: g_value_set_uint(value, st.auth_url.timeout_ms); break;
    case PROP_AUTH_FAIL_OPEN: g_value_set_boolean(value, st.auth_url.fail_open); break;
    case PROP_AUTH_CA_FILE: set_string_or_null(value, st.auth_url.ca_file); break;
    case PROP_JWT_KEY: g_value_set_string(value, nullptr); break; /* write-only */
    case PROP_JWT_AUDIENCE: set_string_or_null(value, s.jwt->settings().audience); break;
    case PROP_JWT_ISSUER: set_string_or_null(value, s.jwt->settings().issuer); break;
    case PROP_JWT_LEEWAY: g_value_set_uint(value, s.jwt->settings().leeway_s); break;
    case PROP_JWT_REQUIRE_EXP: g_value_set_boolean(value, s.jwt->settings().require_exp); break;
    default: return false;
  }
  return true;
}
