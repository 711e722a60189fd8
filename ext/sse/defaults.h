/* The default of every ssesink setting, written once: the element's
 * properties (their GParamSpec defaults), StreamConfig and ServerConfig
 * (stream.h, http-server.h) and PublisherConfig (nchan-publisher) all start from these.
 *
 * Plain C++ constants, no GLib; no thread owns them. Units are in the names:
 * _ms milliseconds, _bytes bytes; everything else is a count. */
#pragma once

#include <cstdint>

#include "client-queue.h" /* RecoverPolicy */
#include "gzip-frame.h"   /* Compression */

namespace gstsse {
namespace defaults {

/* Where the server listens and what it serves. */
constexpr const char *kAddress = "localhost";
constexpr int kPort = 8080;
constexpr const char *kPath = "/stream";
constexpr unsigned kMaxClients = 0;           /* 0: unlimited */
constexpr unsigned kMaxClientsPerAddress = 0; /* 0: unlimited */
constexpr unsigned kMaxRequestHeaderBytes = 16384;
constexpr unsigned kRequestTimeoutMs = 10000;    /* 0: none */
constexpr unsigned kKeepaliveIntervalMs = 15000; /* 0: never */
constexpr unsigned kKeepaliveIntervalMaxMs = 3600 * 1000;
constexpr unsigned kRetryMs = 2000;
constexpr const char *kMetricsPath = "/metrics"; /* empty: no metrics */
constexpr unsigned kJwtLeewayS = 30;             /* clock difference allowed for exp/nbf */
constexpr bool kJwtRequireExp = true;
constexpr const char *kMuxPath = "/streams"; /* empty: not multiplexed */
constexpr unsigned kAuthCacheMs = 5000;      /* auth-url answers reused per credential; 0: never */
constexpr unsigned kAuthTimeoutMs = 3000;    /* auth-url POST, sent to answered */
constexpr bool kAuthFailOpen = false;        /* auth-url down: refuse (503) */

/* Slow clients. */
constexpr uint64_t kMaxClientBytes = 8 * 1024 * 1024; /* hard; 0: none */
constexpr uint64_t kSoftMaxClientBytes = 1024 * 1024; /* 0: none */
constexpr unsigned kMaxClientLagMs = 0;               /* hard; 0: none */
constexpr unsigned kSoftMaxClientLagMs = 3000;        /* 0: none */
constexpr RecoverPolicy kRecoverPolicy = RecoverPolicy::kKeyframe;
constexpr unsigned kWriteTimeoutMs = 15000; /* 0: never */

/* Resume and joins. */
constexpr uint64_t kBacklogBytes = 32 * 1024 * 1024;
constexpr unsigned kBacklogTimeMs = 10000; /* 0: bounded by bytes only */
constexpr bool kRequestKeyframe = false;
constexpr unsigned kKeyframeRequestIntervalMs = 1000;

/* Content-Encoding of event streams (gzip-frame.h). */
constexpr Compression kCompression = Compression::kAuto;

/* Chunking (chunk-pump). */
constexpr unsigned kChunkTimeoutMs = 5; /* 0: wait for the next frame */
constexpr unsigned kChunkTimeoutMaxMs = 1000;

/* Publishing to nchan (nchan-publisher). */
constexpr bool kPublishOnly = false;
constexpr uint64_t kPublishBufferBytes = 8 * 1024 * 1024; /* 0: unbounded */
constexpr unsigned kPublishBufferTimeMs = 10000;          /* 0: no age limit */
constexpr unsigned kPublishTimeoutMs = 10000;             /* one POST, sent to answered */
constexpr unsigned kPublishRetryMinMs = 100;
constexpr unsigned kPublishRetryMaxMs = 5000;

}  // namespace defaults
}  // namespace gstsse
