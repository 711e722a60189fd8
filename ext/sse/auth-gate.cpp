/* The authorization callback's HTTP side; see auth-gate.h. */
#include "auth-gate.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {

/* A request waiting for the application's answer. */
struct AuthGate::Pending {
  SoupServerMessage *msg = nullptr; /* ref; paused */
  GHashTable *query = nullptr;      /* ref, or null */
  AdmitFn admit;
  std::string key;
  std::string remote;
  GCancellable *cancel = nullptr;
  GSource *timer = nullptr;
  gulong finished_id = 0, disconnected_id = 0;
  bool client_gone = false;

  ~Pending() {
    if (timer) {
      g_source_destroy(timer);
      g_source_unref(timer);
    }
    if (finished_id)
      g_signal_handler_disconnect(msg, finished_id);
    if (disconnected_id)
      g_signal_handler_disconnect(msg, disconnected_id);
    g_clear_object(&cancel);
    if (query)
      g_hash_table_unref(query);
    g_clear_object(&msg);
  }
};

namespace {

/* What a POST's callback holds: the gate may be gone by then. */
struct CallData {
  std::weak_ptr<AuthGate> gate;
  uint64_t id;
  SoupMessage *post;
};

}  // namespace

AuthGate::AuthGate(AuthUrlConfig config, std::string path, const std::string &cors_origin, GObject *log)
    : config_(std::move(config)), path_(std::move(path)), cors_(parse_cors_origins(cors_origin)), log_(log) {
  /* Made on the server thread: its callbacks run on that thread's context. */
  session_ = soup_session_new_with_options("user-agent", "gst-sse ssesink auth-url", "max-conns-per-host", 16, nullptr);
  if (!config_.ca_file.empty()) {
    GError *err = nullptr;
    if (GTlsDatabase *db = g_tls_file_database_new(config_.ca_file.c_str(), &err)) {
      soup_session_set_tls_database(session_, db);
      g_object_unref(db);
    } else { /* start() loaded it: only if the file changed since */
      GST_ERROR_OBJECT(log_, "auth-ca-file %s: %s", config_.ca_file.c_str(), err->message);
      g_error_free(err);
    }
  }
}

AuthGate::~AuthGate() {
  /* Requests still waiting: refused, as when the application is down. */
  auto pending = std::move(pending_);
  for (auto &kv : pending) {
    Pending &p = *kv.second;
    g_cancellable_cancel(p.cancel);
    if (!p.client_gone) {
      refuse(p.msg, SOUP_STATUS_SERVICE_UNAVAILABLE);
      soup_server_message_unpause(p.msg);
    }
  }
  pending.clear();
  soup_session_abort(session_);
  g_object_unref(session_);
}

void AuthGate::check(SoupServerMessage *msg, GHashTable *query, AdmitFn admit) {
  const char *method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    admit(msg, query);
    return;
  }
  SoupMessageHeaders *req = soup_server_message_get_request_headers(msg);
  AuthQuestion q;
  q.path = path_;
  q.address = soup_server_message_get_remote_host(msg);
  q.authorization = soup_message_headers_get_one(req, "Authorization");
  q.cookie = soup_message_headers_get_one(req, "Cookie");
  q.token = query ? static_cast<const char *>(g_hash_table_lookup(query, "token")) : nullptr;
  std::string key = auth_cache_key(q);
  if (const unsigned status = cache_.lookup(key, g_get_monotonic_time())) {
    decide(msg, query, admit, status, true);
    return;
  }

  SoupMessage *post = soup_message_new(SOUP_METHOD_POST, config_.url.c_str());
  if (!post) { /* start() checked the URL: not reached */
    GST_ERROR_OBJECT(log_, "auth-url is not a URL libsoup can send to");
    refuse(msg, SOUP_STATUS_SERVICE_UNAVAILABLE);
    return;
  }
  const std::string body = auth_request_json(q);
  GBytes *bytes = g_bytes_new(body.data(), body.size());
  soup_message_set_request_body_from_bytes(post, "application/json", bytes);
  g_bytes_unref(bytes);

  const uint64_t id = next_id_++;
  auto p = std::make_unique<Pending>();
  p->msg = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  p->query = query ? g_hash_table_ref(query) : nullptr;
  p->admit = std::move(admit);
  p->key = std::move(key);
  p->remote = q.address ? q.address : "";
  p->cancel = g_cancellable_new();
  /* The client may go while the application thinks: then nothing is answered. */
  auto gone = +[](SoupServerMessage *, gpointer d) { static_cast<Pending *>(d)->client_gone = true; };
  p->finished_id = g_signal_connect(msg, "finished", G_CALLBACK(gone), p.get());
  p->disconnected_id = g_signal_connect(msg, "disconnected", G_CALLBACK(gone), p.get());
  if (config_.timeout_ms) {
    p->timer = g_timeout_source_new(config_.timeout_ms);
    using Fire = std::pair<std::weak_ptr<AuthGate>, uint64_t>;
    g_source_set_callback(
        p->timer,
        [](gpointer d) -> gboolean {
          auto *f = static_cast<Fire *>(d);
          if (auto gate = f->first.lock())
            gate->answered(f->second, 0, true);
          return G_SOURCE_REMOVE;
        },
        new Fire(weak_from_this(), id), [](gpointer d) { delete static_cast<Fire *>(d); });
    g_source_attach(p->timer, g_main_context_get_thread_default());
  }
  soup_server_message_pause(msg);
  calls_++;
  GCancellable *cancel = p->cancel;
  pending_[id] = std::move(p);
  soup_session_send_and_read_async(
      session_, post, G_PRIORITY_DEFAULT, cancel,
      [](GObject *source, GAsyncResult *res, gpointer d) {
        auto *call = static_cast<CallData *>(d);
        GError *err = nullptr;
        GBytes *answer = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &err);
        const unsigned status = err ? 0 : soup_message_get_status(call->post);
        if (answer)
          g_bytes_unref(answer);
        if (auto gate = call->gate.lock()) {
          if (err && !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            GST_INFO_OBJECT(gate->log_, "auth-url: %s", err->message);
          gate->answered(call->id, status, false);
        }
        g_clear_error(&err);
        g_object_unref(call->post);
        delete call;
      },
      new CallData{weak_from_this(), id, post});
}

void AuthGate::answered(uint64_t id, unsigned status, bool timed_out) {
  auto it = pending_.find(id);
  if (it == pending_.end())
    return; /* timed out before, or answered before the timer fired */
  std::unique_ptr<Pending> p = std::move(it->second);
  pending_.erase(it);
  if (timed_out) {
    g_cancellable_cancel(p->cancel);
    GST_INFO_OBJECT(log_, "auth-url: no answer within %u ms for %s", config_.timeout_ms, p->remote.c_str());
  } else if (auth_verdict(status) != AuthVerdict::kFailed) {
    cache_.store(p->key, status, g_get_monotonic_time(), config_.cache_ms);
  }
  if (p->client_gone)
    return;
  decide(p->msg, p->query, p->admit, status, false);
  soup_server_message_unpause(p->msg);
}

void AuthGate::decide(SoupServerMessage *msg, GHashTable *query, const AdmitFn &admit, unsigned status, bool cached) {
  const char *remote = soup_server_message_get_remote_host(msg);
  switch (auth_verdict(status)) {
    case AuthVerdict::kAdmit: admit(msg, query); return;
    case AuthVerdict::kRefuse:
      GST_INFO_OBJECT(log_, "refusing %s: auth-url answered %u%s", remote ? remote : "?", status,
                      cached ? " (cached)" : "");
      refuse(msg, status);
      return;
    case AuthVerdict::kFailed:
      if (config_.fail_open) {
        GST_INFO_OBJECT(log_, "auth-url failed (status %u) for %s: admitting (auth-fail-open)", status,
                        remote ? remote : "?");
        admit(msg, query);
        return;
      }
      GST_INFO_OBJECT(log_, "refusing %s: auth-url failed (status %u)", remote ? remote : "?", status);
      refuse(msg, SOUP_STATUS_SERVICE_UNAVAILABLE);
      return;
  }
}

void AuthGate::refuse(SoupServerMessage *msg, unsigned status) {
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  /* As the stream's own refusals: a page can tell a 401 from a network failure. */
  const CorsDecision cors =
      decide_cors(cors_, soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Origin"));
  if (!cors.allow_origin.empty())
    soup_message_headers_replace(headers, "Access-Control-Allow-Origin", cors.allow_origin.c_str());
  if (cors.allow_credentials)
    soup_message_headers_replace(headers, "Access-Control-Allow-Credentials", "true");
  if (cors.vary_origin)
    soup_message_headers_append(headers, "Vary", "Origin");
  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace(headers, "WWW-Authenticate", "Bearer realm=\"ssesink\"");
  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    soup_message_headers_replace(headers, "Retry-After", "1");
  soup_server_message_set_status(msg, status, nullptr);
}

}  // namespace gstsse
