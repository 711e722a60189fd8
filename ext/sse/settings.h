/* The settings of ssesink: what its properties write and start() hands
 * down. Owns the Settings struct, the property ids and the property table
 * (GParamSpecs with their blurbs), and the mapping between the element's
 * enums and the core's (checked with static_assert).
 *
 * Threads: properties are set and read from application threads under the
 * element's settings lock; start() copies the whole struct under it and
 * hands each config on as a whole, so a running server or publisher never
 * sees a setting change halfway. */
#pragma once

#include <gio/gio.h>

#include <memory>
#include <string>

#include "defaults.h"
#include "gstssesink.h"
#include "http-server.h"
#include "jwt-verify.h"
#include "nchan-publisher.h"
#include "snapshot-book.h"

namespace gstsse {

/* The element's enums are the public spelling of the core's; the values
 * must match, as settings.cpp checks. */
RecoverPolicy to_core(GstSseSinkRecoverPolicy p);
GstSseSinkRecoverPolicy to_gst(RecoverPolicy p);
Compression to_core(GstSseSinkCompression c);
GstSseSinkCompression to_gst(Compression c);
GstSseSinkClientRemoveReason to_gst(RemoveReason r);

struct Settings {
  Settings() { stream.access.jwt = jwt; }
  std::string address = defaults::kAddress;
  int port = defaults::kPort;
  StreamConfig stream;       /* for the Stream, whole; its path also names the published stream, and
                              * keepalive-interval / keepalive-interval-ms are two spellings of its
                              * keepalive_ms */
  ServerConfig server;       /* its cert comes from tls_certificate, see server_config() */
  PublisherConfig publisher; /* url empty: do not publish */
  unsigned chunk_timeout_ms = defaults::kChunkTimeoutMs;
  bool publish_only = defaults::kPublishOnly;
  SnapshotConfig snapshot;                          /* GET <path>/snapshot.jpg (snapshot.h) */
  std::shared_ptr<GTlsCertificate> tls_certificate; /* unrefs the object with the last copy */
  /* The jwt-* properties: one object per element, shared by every copy of
   * its Settings and by the running stream (stream.access.jwt), so that
   * setting them while PLAYING changes the keys of the next request. */
  std::shared_ptr<JwtAccess> jwt = std::make_shared<JwtAccess>();

  /* What start() hands down besides stream. */
  ServerConfig server_config() const; /* cert valid while this Settings lives */
  PublisherConfig publisher_config(uint64_t epoch) const;

  /* What start() refuses to run with (a path without its leading '/', a
   * web-root that is not a directory): false, with the error's message and
   * detail. Reads the file system. */
  bool check(std::string *message, std::string *detail) const;
};

/* The part of check() for the jwt-* and auth-* settings (settings-tokens.cpp). */
bool check_token_settings(const Settings &s, std::string *message, std::string *detail);

}  // namespace gstsse

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_CURRENT_PORT,
  PROP_PATH,
  PROP_MAX_CLIENTS,
  PROP_KEEPALIVE_INTERVAL,
  PROP_KEEPALIVE_INTERVAL_MS,
  PROP_RETRY,
  PROP_CORS_ORIGIN,
  PROP_MAX_CLIENT_BYTES,
  PROP_CHUNK_TIMEOUT,
  PROP_WEB_ROOT,
  PROP_SOFT_MAX_CLIENT_BYTES,
  PROP_MAX_CLIENT_LAG,
  PROP_SOFT_MAX_CLIENT_LAG,
  PROP_RECOVER_POLICY,
  PROP_COMPRESSION,
  PROP_WRITE_TIMEOUT,
  PROP_BACKLOG_BYTES,
  PROP_BACKLOG_TIME,
  PROP_REQUEST_KEYFRAME,
  PROP_KEYFRAME_REQUEST_INTERVAL,
  PROP_TLS_CERTIFICATE_FILE,
  PROP_TLS_KEY_FILE,
  PROP_TLS_CERTIFICATE,
  PROP_AUTH_TOKEN,
  PROP_BASIC_AUTH,
  PROP_MAX_CLIENTS_PER_ADDRESS,
  PROP_REQUEST_TIMEOUT,
  PROP_MAX_REQUEST_HEADER_BYTES,
  PROP_METRICS_PATH,
  PROP_METRICS_TOKEN,
  PROP_MUX_PATH,
  PROP_NUM_CLIENTS,
  PROP_BYTES_SERVED,
  PROP_PUBLISH_URL,
  PROP_PUBLISH_AUTHORIZATION,
  PROP_PUBLISH_ONLY,
  PROP_PUBLISH_BUFFER_BYTES,
  PROP_PUBLISH_BUFFER_TIME,
  PROP_PUBLISH_STATS,
  PROP_STREAM_INFO,
  PROP_SNAPSHOT_DECODER,
  PROP_SNAPSHOT_KEEP_WARM,
  PROP_SNAPSHOT_IDLE_TIMEOUT,
  PROP_SNAPSHOT_STATS,
  PROP_JWT_KEY,
  PROP_JWT_AUDIENCE,
  PROP_JWT_ISSUER,
  PROP_JWT_LEEWAY,
  PROP_JWT_REQUIRE_EXP,
  PROP_AUTH_URL,
  PROP_AUTH_CACHE_MS,
  PROP_AUTH_TIMEOUT_MS,
  PROP_AUTH_FAIL_OPEN,
  PROP_AUTH_CA_FILE,
};

/* Installs every property of ssesink on @klass, the read-only ones too
 * (their values come from the running objects, see gstssesink.cpp). */
void gst_sse_sink_install_properties(GObjectClass *klass);

/* Sets / reads the setting @prop_id names; false when it names none (a
 * read-only property). Call with the element's settings lock held. */
bool gst_sse_sink_settings_set(gstsse::Settings &s, guint prop_id, const GValue *value);
bool gst_sse_sink_settings_get(const gstsse::Settings &s, guint prop_id, GValue *value);

/* The jwt-* and auth-* properties (settings-tokens.cpp), which the three
 * above hand on to. */
void gst_sse_sink_install_token_properties(GObjectClass *klass);
bool gst_sse_sink_token_settings_set(gstsse::Settings &s, guint prop_id, const GValue *value);
bool gst_sse_sink_token_settings_get(const gstsse::Settings &s, guint prop_id, GValue *value);
