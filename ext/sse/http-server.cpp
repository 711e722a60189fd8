/* The libsoup server, its thread and its registry; see http-server.h. */
#include "http-server.h"

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <map>
#include <mutex>
#include <vector>

#include "access.h"
#include "admission-http.h"
#include "auth-gate.h"
#include "metrics.h"
#include "mux-hub.h"
#include "snapshot-book.h"
#include "web-files.h"

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {

struct Server::Impl {
  SoupServer *soup = nullptr;
  std::string key; /* registry key, empty when not shared (port 0) */
  std::map<std::string, std::shared_ptr<Stream>> streams;
  /* Metrics: the counters of this server, and the metrics paths its
   * streams ask for (how many streams ask for each). */
  ServerCounters counters;
  std::map<std::string, unsigned> metrics_paths;
  bool tls = false; /* serves HTTPS */
  MuxHub mux;       /* the streams' mux paths (mux-hub.h) */

  void serve_web(SoupServerMessage *msg, const char *path, GHashTable *query);

  /* HTTPS: libsoup makes a connection's first message before the TLS
   * handshake and emits its "connected" once the handshake is done, so a
   * first message "disconnected" without having been connected is a
   * handshake that failed (or a peer that left before it). Later messages
   * of a connection are skipped: its socket is marked once connected. */
  void watch_tls_handshakes() {
    g_signal_connect(soup, "request-started", G_CALLBACK(+[](SoupServer *, SoupServerMessage *msg, gpointer d) {
                       GSocket *sock = soup_server_message_get_socket(msg);
                       if (!sock || g_object_get_data(G_OBJECT(sock), "ssesink-tls-up"))
                         return;
                       g_signal_connect(msg, "connected", G_CALLBACK(+[](SoupServerMessage *m, gpointer) {
                                          g_object_set_data(G_OBJECT(m), "ssesink-tls-up", GINT_TO_POINTER(1));
                                          if (GSocket *s = soup_server_message_get_socket(m))
                                            g_object_set_data(G_OBJECT(s), "ssesink-tls-up", GINT_TO_POINTER(1));
                                        }),
                                        nullptr);
                       g_signal_connect(msg, "disconnected", G_CALLBACK(+[](SoupServerMessage *m, gpointer impl) {
                                          if (!g_object_get_data(G_OBJECT(m), "ssesink-tls-up"))
                                            static_cast<Impl *>(impl)->counters.tls_handshake_failures.add();
                                        }),
                                        d);
                     }),
                     this);
  }
  void serve_metrics(SoupServerMessage *msg, const char *path, GHashTable *query);
  bool add_metrics_path(const std::string &stream_path, const std::string &metrics_path, int port, GError **error);
  void remove_metrics_path(const std::string &metrics_path);

  /* Slowloris defence: a connection has request_timeout to send its request
   * headers, from the moment libsoup starts reading a request (also the
   * next request on a kept-alive connection), or it is closed. */
  void watch_request_timeouts(unsigned timeout_ms) {
    struct Ctx {
      unsigned timeout_ms;
      Counter *timeouts;
    };
    /* What a timer holds: the message, and where it counts. */
    struct Fire {
      SoupServerMessage *msg;
      Counter *timeouts;
    };
    auto *ctx = new Ctx{timeout_ms, &counters.request_timeouts};
    g_signal_connect_data(
        soup, "request-started", G_CALLBACK(+[](SoupServer *, SoupServerMessage *msg, gpointer data) {
          const auto *c = static_cast<Ctx *>(data);
          GSource *timer = g_timeout_source_new(c->timeout_ms);
          g_source_set_callback(
              timer,
              [](gpointer d) -> gboolean {
                auto *fire = static_cast<Fire *>(d);
                auto *sm = fire->msg;
                if (GSocket *sock = soup_server_message_get_socket(sm)) {
                  fire->timeouts->add();
                  /* No stream (nor element) has the request yet: the peer is named. */
                  const char *remote = soup_server_message_get_remote_host(sm);
                  GST_INFO("server: closing the connection of %s: no complete request within the request timeout",
                           remote ? remote : "?");
                  g_socket_shutdown(sock, TRUE, TRUE, nullptr);
                }
                g_object_set_data(G_OBJECT(sm), "ssesink-request-timer", nullptr);
                return G_SOURCE_REMOVE;
              },
              new Fire{SOUP_SERVER_MESSAGE(g_object_ref(msg)), c->timeouts},
              [](gpointer d) {
                auto *fire = static_cast<Fire *>(d);
                g_object_unref(fire->msg);
                delete fire;
              });
          g_source_attach(timer, g_main_context_get_thread_default());
          /* Destroyed (and the message unreffed) when the headers are in or the message goes. */
          g_object_set_data_full(G_OBJECT(msg), "ssesink-request-timer", timer, [](gpointer t) {
            g_source_destroy(static_cast<GSource *>(t));
            g_source_unref(static_cast<GSource *>(t));
          });
          /* Headers in, or the message gone: the timer (and its ref) goes. */
          for (const char *signal : {"got-headers", "finished"})
            g_signal_connect(msg, signal, G_CALLBACK(+[](SoupServerMessage *m, gpointer) {
                               g_object_set_data(G_OBJECT(m), "ssesink-request-timer", nullptr);
                             }),
                             nullptr);
        }),
        ctx, [](gpointer d, GClosure *) { delete static_cast<Ctx *>(d); }, static_cast<GConnectFlags>(0));
  }
};

namespace {

std::string html_escape(const std::string &s) {
  gchar *e = g_markup_escape_text(s.c_str(), -1);
  std::string out = e;
  g_free(e);
  return out;
}

std::string url_escape(const std::string &s) {
  gchar *e = g_uri_escape_string(s.c_str(), "/", FALSE);
  std::string out = e;
  g_free(e);
  return out;
}

}  // namespace

/* GET / is the player, pointed at the stream through a <meta name="sse-src">
 * tag; with several streams it is a list of them, each linking to the player
 * with ?src=. Other paths are the player's files. */
void Server::Impl::serve_web(SoupServerMessage *msg, const char *raw_path, GHashTable *query) {
  const char *method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "GET, HEAD");
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  /* Decode once; an encoded '/' or NUL is refused. */
  gchar *decoded = g_uri_unescape_string(raw_path, "/");
  if (!decoded || streams.empty()) {
    g_free(decoded);
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  }
  const std::string path = decoded;
  g_free(decoded);

  std::string root;
  for (const auto &kv : streams)
    if (!kv.second->config().web_root.empty()) {
      root = kv.second->config().web_root;
      break;
    }

  WebFile file;
  const bool want_src = query && g_hash_table_contains(query, "src");
  if (path == "/" && streams.size() > 1 && !want_src && web_lookup(root, "/wall.html", &file)) {
    /* The wall (web/wall.html): every stream, in tiles, over the multiplexed endpoint. */
    std::string list;
    for (const auto &kv : streams)
      list += (list.empty() ? "" : ",") + kv.first;
    /* sse-mux: the mux-path every stream is offered at; none shared by all
     * of them (or off): empty, one EventSource per tile. */
    std::string mux = streams.begin()->second->config().mux_path;
    for (const auto &kv : streams)
      if (kv.second->config().mux_path != mux)
        mux.clear();
    const std::string meta = "<meta name=\"sse-streams\" content=\"" + html_escape(list) +
                             "\">\n<meta name=\"sse-mux\" content=\"" + html_escape(mux) + "\">\n";
    const size_t at = file.body.find("</head>");
    file.body.insert(at == std::string::npos ? 0 : at, meta);
  } else if (path == "/" && streams.size() > 1 && !want_src) {
    std::string html =
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>Live streams</title></head>\n<body><h1>Live streams</h1>\n<ul>\n";
    for (const auto &kv : streams) {
      const std::string p = html_escape(kv.first);
      html += "<li><a href=\"/?src=" + html_escape(url_escape(kv.first)) + "\">" + p + "</a> (<a href=\"" +
              html_escape(url_escape(kv.first)) + "\">events</a>)</li>\n";
    }
    html += "</ul>\n</body></html>\n";
    file.content_type = "text/html; charset=utf-8";
    file.body = html;
  } else if (!web_lookup(root, path, &file)) {
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  } else if (path == "/" && !want_src) {
    const std::string meta = "<meta name=\"sse-src\" content=\"" + html_escape(streams.begin()->first) + "\">\n";
    const size_t at = file.body.find("</head>");
    file.body.insert(at == std::string::npos ? 0 : at, meta);
  }

  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(headers, "Cache-Control", "no-cache");
  soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_response(msg, file.content_type.c_str(), SOUP_MEMORY_COPY, file.body.data(),
                                   file.body.size());
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

/* GET <metrics-path>: every stream of this server in the Prometheus text
 * format. Read with credentials every stream on the port accepts for its
 * metrics (its metrics-token, else its auth-token/basic-auth): what one
 * element protects is never shown to a client another admits. */
void Server::Impl::serve_metrics(SoupServerMessage *msg, const char *path, GHashTable *query) {
  if (!metrics_paths.count(path)) { /* a path below it */
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  }
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  const char *method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(headers, "Allow", "GET, HEAD");
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers(msg);
  AccessRequest req;
  req.authorization = soup_message_headers_get_one(req_headers, "Authorization");
  req.cookie = soup_message_headers_get_one(req_headers, "Cookie");
  req.query_token = query ? static_cast<const char *>(g_hash_table_lookup(query, "token")) : nullptr;
  req.path = path; /* a signed token must grant the metrics path */
  bool missing = false, denied = false, basic = false;
  for (const auto &kv : streams) {
    const StreamConfig &cfg = kv.second->config();
    const AccessConfig access = cfg.metrics_token.empty() ? cfg.access : AccessConfig{cfg.metrics_token, ""};
    const AccessResult r = check_access(access, req);
    missing |= r == AccessResult::kMissing || r == AccessResult::kExpired;
    denied |= r == AccessResult::kDenied;
    basic |= !access.basic_auth.empty();
  }
  const char *remote = soup_server_message_get_remote_host(msg);
  if (denied || missing) {
    GST_INFO("server: refusing metrics to %s: %s credentials", remote ? remote : "?", denied ? "wrong" : "no");
    if (!denied)
      soup_message_headers_replace(headers, "WWW-Authenticate",
                                   basic ? "Basic realm=\"ssesink\", charset=\"UTF-8\"" : "Bearer realm=\"ssesink\"");
    soup_server_message_set_status(msg, denied ? SOUP_STATUS_FORBIDDEN : SOUP_STATUS_UNAUTHORIZED, nullptr);
    return;
  }
  std::vector<StreamSample> samples;
  for (const auto &kv : streams)
    samples.push_back(kv.second->metrics_sample());
  ServerSample server;
  server.refused = counters.refused();
  server.request_timeouts = counters.request_timeouts.get();
  server.tls = tls;
  server.tls_handshake_failures = counters.tls_handshake_failures.get();
  const std::string body = render_metrics(server, samples);
  soup_message_headers_replace(headers, "Cache-Control", "no-cache");
  soup_server_message_set_response(msg, kMetricsContentType, SOUP_MEMORY_COPY, body.data(), body.size());
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

/* Serves the metrics at @metrics_path too, for the stream at @stream_path
 * (empty: none); fails when it would take a stream's path, or a stream
 * would take it. */
bool Server::Impl::add_metrics_path(const std::string &stream_path, const std::string &metrics_path, int port,
                                    GError **error) {
  if (metrics_paths.count(stream_path)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                "Path \"%s\" is the metrics-path of another ssesink on port %d; set a different path or metrics-path",
                stream_path.c_str(), port);
    return false;
  }
  if (metrics_path.empty())
    return true;
  if (metrics_path[0] != '/' || metrics_path == stream_path || streams.count(metrics_path)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "metrics-path \"%s\" %s; set another one, or an empty one for no metrics", metrics_path.c_str(),
                metrics_path[0] != '/' ? "must start with '/'" : "is the path of an event stream");
    return false;
  }
  if (metrics_paths[metrics_path]++ == 0)
    soup_server_add_handler(
        soup, metrics_path.c_str(),
        [](SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data) {
          static_cast<Impl *>(data)->serve_metrics(msg, path, query);
        },
        this, nullptr);
  return true;
}

void Server::Impl::remove_metrics_path(const std::string &metrics_path) {
  auto it = metrics_paths.find(metrics_path);
  if (it == metrics_paths.end() || --it->second > 0)
    return;
  soup_server_remove_handler(soup, metrics_path.c_str());
  metrics_paths.erase(it);
}

namespace {
std::mutex g_registry_mutex;
std::map<std::string, std::weak_ptr<Server>> g_registry;

}  // namespace

std::shared_ptr<Server> Server::acquire(const std::string &address, int port, const ServerConfig &config,
                                        GError **error) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  const std::string key = port ? address + ":" + std::to_string(port) : std::string();
  if (!key.empty()) {
    auto it = g_registry.find(key);
    if (it != g_registry.end())
      if (auto existing = it->second.lock()) {
        if (!existing->config_.same_as(config)) {
          g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                      "Another ssesink serves %s port %d with different TLS or request-timeout settings; elements "
                      "sharing a port must agree on them",
                      address.c_str(), port);
          return nullptr;
        }
        return existing;
      }
  }
  std::shared_ptr<Server> server(new Server());
  server->config_ = config;
  if (config.cert)
    g_object_ref(config.cert);
  if (!server->start(address, port, error))
    return nullptr;
  server->impl_->key = key;
  if (!key.empty())
    g_registry[key] = server;
  return server;
}

namespace {

/* The certificate of @cfg (a new reference), nullptr for plain HTTP or on
 * failure (@error set). */
GTlsCertificate *load_certificate(const ServerConfig &cfg, GError **error) {
  if (cfg.cert)
    return G_TLS_CERTIFICATE(g_object_ref(cfg.cert));
  if (cfg.cert_file.empty())
    return nullptr;
  const char *key = cfg.key_file.empty() ? cfg.cert_file.c_str() : cfg.key_file.c_str();
  GTlsCertificate *cert = g_tls_certificate_new_from_files(cfg.cert_file.c_str(), key, error);
  if (!cert)
    g_prefix_error(error, "Could not load TLS certificate %s / key %s: ", cfg.cert_file.c_str(), key);
  return cert;
}

/* The addresses @address names (a literal, or resolved); nullptr and @error
 * when it names none. */
GList *resolve(const std::string &address, GError **error) {
  if (GInetAddress *ia = g_inet_address_new_from_string(address.c_str()))
    return g_list_append(nullptr, ia);
  GResolver *resolver = g_resolver_get_default();
  GList *addrs = g_resolver_lookup_by_name(resolver, address.c_str(), nullptr, error);
  g_object_unref(resolver);
  if (!addrs)
    g_prefix_error(error, "Could not resolve address \"%s\": ", address.c_str());
  return addrs;
}

/* A listening socket on @ia port @port (0: a free one), or nullptr and @e. */
GSocket *listen_on(GInetAddress *ia, int port, GError **e) {
  GSocket *sock = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, e);
  if (!sock)
    return nullptr;
  g_socket_set_listen_backlog(sock, 4096);
  GSocketAddress *sa = g_inet_socket_address_new(ia, static_cast<guint16>(port));
  const bool ok = g_socket_bind(sock, sa, TRUE, e) && g_socket_listen(sock, e);
  g_object_unref(sa);
  if (!ok)
    g_clear_object(&sock);
  return sock;
}

int local_port(GSocket *sock) {
  int port = -1;
  if (GSocketAddress *local = g_socket_get_local_address(sock, nullptr)) {
    port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
    g_object_unref(local);
  }
  return port;
}

/* Tries of listen_all() for port 0 before it settles for fewer addresses. */
constexpr int kFreePortTries = 16;

/* Listens on every address in @addrs, on @port (0: a free one, then the
 * same for every address). Our own sockets: a deep listen backlog for join
 * storms, and errors that name the address we tried. Returns the port, or
 * -1 and sets @error when it listens on none.
 *
 * Port 0: the port the first address got may be taken on another address
 * (`localhost` is ::1 and 127.0.0.1, whose free ports are separate): then
 * every socket is closed and the whole set tried again with a new port, so
 * that a client of localhost:port never reaches some other server that has
 * that port on 127.0.0.1. An address that cannot be used at all (no IPv6)
 * is left out with a warning, as for a fixed port. */
int listen_all(SoupServer *soup, GList *addrs, const std::string &address, int port, SoupServerListenOptions opts,
               GError **error) {
  std::vector<GSocket *> socks;
  int bound_port = port;
  GError *err = nullptr;
  for (int attempt = 1; attempt <= kFreePortTries; attempt++) {
    bool retry = false;
    bound_port = port;
    for (GList *l = addrs; l && !err && !retry; l = l->next) {
      auto *ia = G_INET_ADDRESS(l->data);
      GError *e = nullptr;
      if (GSocket *sock = listen_on(ia, bound_port, &e)) {
        bound_port = local_port(sock);
        socks.push_back(sock);
        continue;
      }
      gchar *ia_str = g_inet_address_to_string(ia);
      if (port == 0 && !socks.empty() && attempt < kFreePortTries &&
          g_error_matches(e, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
        GST_DEBUG("server: port %d is taken on %s; trying another port", bound_port, ia_str);
        retry = true;
        g_error_free(e);
      } else if (socks.empty() && !l->next) {
        g_propagate_prefixed_error(&err, e, "Could not listen on %s port %d: ", ia_str, port);
      } else {
        GST_WARNING("server: could not listen on %s port %d: %s", ia_str, bound_port, e->message);
        g_error_free(e);
      }
      g_free(ia_str);
    }
    if (!retry)
      break;
    for (GSocket *sock : socks) {
      g_socket_close(sock, nullptr);
      g_object_unref(sock);
    }
    socks.clear();
  }
  for (GSocket *sock : socks) {
    GError *e = nullptr;
    if (!err && !soup_server_listen_socket(soup, sock, opts, &e))
      g_propagate_prefixed_error(&err, e, "Could not listen on %s port %d: ", address.c_str(), bound_port);
    g_object_unref(sock);
  }
  if (!err && socks.empty())
    g_set_error(&err, G_IO_ERROR, G_IO_ERROR_FAILED, "No address to listen on for \"%s\"", address.c_str());
  if (err) {
    g_propagate_error(error, err);
    return -1;
  }
  return bound_port;
}

}  // namespace

/* Server thread, before its loop runs: the SoupServer and its sockets. */
bool Server::setup(const std::string &address, int port, GError **error) {
  GError *err = nullptr;
  GTlsCertificate *cert = load_certificate(config_, &err);
  if (cert && !g_tls_backend_supports_tls(g_tls_backend_get_default()))
    g_set_error(&err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "TLS is not available: install glib-networking (GIO's TLS backend)");
  impl_->soup = soup_server_new("server-header", "gst-sse ", cert ? "tls-certificate" : nullptr, cert, nullptr);
  const auto listen_opts = cert ? SOUP_SERVER_LISTEN_HTTPS : static_cast<SoupServerListenOptions>(0);
  if (cert)
    g_object_unref(cert);
  if (config_.request_timeout_ms)
    impl_->watch_request_timeouts(config_.request_timeout_ms);
  impl_->tls = listen_opts == SOUP_SERVER_LISTEN_HTTPS;
  if (impl_->tls)
    impl_->watch_tls_handshakes();
  /* Every answer of 400 or more, whoever gave it (a stream, the web
   * files, the metrics, libsoup itself), for the metrics. */
  g_signal_connect(impl_->soup, "request-finished", G_CALLBACK(+[](SoupServer *, SoupServerMessage *msg, gpointer d) {
                     static_cast<Impl *>(d)->counters.response(soup_server_message_get_status(msg));
                   }),
                   impl_.get());

  if (!err) {
    GList *addrs = resolve(address, &err);
    if (addrs) {
      port_ = listen_all(impl_->soup, addrs, address, port, listen_opts, &err);
      g_resolver_free_addresses(addrs);
    }
  }

  /* Anything not claimed by a stream's path: the player and its files. */
  soup_server_add_handler(
      impl_->soup, nullptr,
      [](SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data) {
        static_cast<Server *>(data)->impl_->serve_web(msg, path, query);
      },
      this, nullptr);
  if (!err)
    return true;
  g_propagate_error(error, err);
  return false;
}

bool Server::start(const std::string &address, int port, GError **error) {
  impl_ = std::make_unique<Impl>();
  auto setup_fn = [this, address, port](GError **err) { return setup(address, port, err); };
  auto teardown = [this] {
    /* What libsoup still has to close finishes after this, on the thread. */
    soup_server_disconnect(impl_->soup);
    g_clear_object(&impl_->soup);
  };
  if (!thread_.start("sse-server", setup_fn, teardown, error))
    return false;
  GST_INFO("server: listening on %s port %d", address.c_str(), port_);
  return true;
}

Server::~Server() {
  if (!impl_)
    return;
  if (!impl_->key.empty()) {
    /* Only a started server has a key; acquire() holds the lock when a
     * server that failed to start is destroyed. */
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    {
      auto it = g_registry.find(impl_->key);
      if (it != g_registry.end() && it->second.expired())
        g_registry.erase(it);
    }
  }
  thread_.stop();
  if (config_.cert)
    g_object_unref(config_.cert);
}

bool Server::add_stream(const std::shared_ptr<Stream> &stream, GError **error) {
  bool ok = true;
  const std::string path = stream->config().path;
  thread_.run([&] {
    if (impl_->streams.count(path)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Path \"%s\" is already served by another ssesink on port %d",
                  path.c_str(), port_);
      ok = false;
      return;
    }
    if (!impl_->add_metrics_path(path, stream->config().metrics_path, port_, error)) {
      ok = false;
      return;
    }
    const bool tls = config_.cert != nullptr || !config_.cert_file.empty();
    if (!impl_->mux.add_stream(impl_->soup, context(), tls, stream, impl_->streams, impl_->metrics_paths, port_,
                               error)) {
      impl_->remove_metrics_path(stream->config().metrics_path);
      ok = false;
      return;
    }
    impl_->streams[path] = stream;
    stream->attach(context(), tls);
    /* The stream, and its auth-url gate (dropped with the handler). */
    struct Route {
      Stream *stream;
      std::shared_ptr<AuthGate> gate;
    };
    const StreamConfig &sc = stream->config();
    auto *route = new Route{stream.get(), nullptr};
    if (!sc.auth_url.url.empty())
      route->gate = std::make_shared<AuthGate>(sc.auth_url, sc.path, sc.cors_origin, sc.log_object);
    soup_server_add_handler(
        impl_->soup, path.c_str(),
        [](SoupServer *, SoupServerMessage *msg, const char *raw_path, GHashTable *raw_query, gpointer data) {
          auto *r = static_cast<Route *>(data);
          Stream *s = r->stream;
          const RequestPath rp(raw_path, raw_query); /* HTTP/1.0 without Host: admission-http.h */
          const std::string &req_path = rp.path;
          GHashTable *query = rp.query;
          const bool snapshot = snapshot_path(s->config().path) == req_path;
          if (!snapshot && s->config().path != req_path) {
            soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
            return;
          }
          auto handle = [s, snapshot](SoupServerMessage *m, GHashTable *q) {
            snapshot ? s->handle_snapshot(m, q) : s->handle(m, q);
          };
          if (r->gate)
            r->gate->check(msg, query, handle);
          else
            handle(msg, query);
        },
        route, [](gpointer r) { delete static_cast<Route *>(r); });
  });
  return ok;
}

void Server::remove_stream(const std::shared_ptr<Stream> &stream) {
  /* After EOS, gst-launch -e and most applications go to NULL at once:
   * give clients still writing their last events and `event: eos` a short
   * grace, so the response ends cleanly instead of being cut. */
  stream->wait_drained(1000);
  thread_.run([&] {
    const std::string &path = stream->config().path;
    auto it = impl_->streams.find(path);
    if (it == impl_->streams.end() || it->second != stream)
      return;
    soup_server_remove_handler(impl_->soup, path.c_str());
    impl_->remove_metrics_path(stream->config().metrics_path);
    impl_->mux.remove_stream(impl_->soup, stream);
    stream->detach();
    impl_->streams.erase(it);
  });
}

}  // namespace gstsse
