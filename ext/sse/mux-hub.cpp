/* The multiplexed endpoint: routes, requests, clients; see mux-hub.h. */
#include "mux-hub.h"

#include <gst/gst.h>

#include <algorithm>

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {
namespace {

/* Ticks of the mux clients' keepalives, write timeouts and lag limits. */
constexpr unsigned kTickMs = 200;

/* The CORS headers of @a, as one string, to compare answers. */
std::string cors_of(const Admission &a) {
  std::string out;
  for (const auto &h : a.headers)
    if (h.name.rfind("Access-Control-", 0) == 0 || h.name == "Vary")
      out += h.name + ":" + h.value + "\n";
  return out;
}

void refuse(SoupServerMessage *msg, unsigned status, const std::string &why) {
  const std::string body = why + "\n";
  soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, body.data(), body.size());
  soup_server_message_set_status(msg, status, nullptr);
}

}  // namespace

/* By then every stream has left (Server::remove_stream), and with the
 * last one every client. */
MuxHub::~MuxHub() = default;

bool MuxHub::add_stream(SoupServer *soup, GMainContext *ctx, bool tls, const std::shared_ptr<Stream> &stream,
                        const std::map<std::string, std::shared_ptr<Stream>> &streams,
                        const std::map<std::string, unsigned> &metrics_paths, int port, GError **error) {
  const StreamConfig &cfg = stream->config();
  const std::string &mux = cfg.mux_path;
  if (routes_.count(cfg.path)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                "Path \"%s\" is the mux-path of another ssesink on port %d; set a different path or mux-path",
                cfg.path.c_str(), port);
    return false;
  }
  if (!cfg.metrics_path.empty() && routes_.count(cfg.metrics_path)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                "metrics-path \"%s\" is the mux-path of another ssesink on port %d; set a different one",
                cfg.metrics_path.c_str(), port);
    return false;
  }
  if (!mux.empty() && (mux[0] != '/' || mux == cfg.path || streams.count(mux) || metrics_paths.count(mux))) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "mux-path \"%s\" %s; set another one, or an empty one for none", mux.c_str(),
                mux[0] != '/'              ? "must start with '/'"
                : metrics_paths.count(mux) ? "is a metrics-path"
                                           : "is the path of an event stream");
    return false;
  }
  tls_ = tls;
  stream->set_tap(this);
  if (mux.empty())
    return true;
  Route &route = routes_[mux];
  if (route.streams.empty())
    soup_server_add_handler(
        soup, mux.c_str(),
        [](SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data) {
          static_cast<MuxHub *>(data)->handle(msg, path, query);
        },
        this, nullptr);
  route.streams.push_back(stream);
  if (!ticker_)
    ticker_ = LoopSource::timer(ctx, kTickMs, [this] { tick(); });
  /* Clients waiting for it, or for every stream. */
  const int64_t now = g_get_monotonic_time();
  for (size_t i = 0; i < clients_.size(); i++) {
    const auto c = clients_[i];
    if (c->mux_path() == mux && c->wants(cfg.path) && c->join(*stream, true))
      c->pump(now);
  }
  return true;
}

void MuxHub::remove_stream(SoupServer *soup, const std::shared_ptr<Stream> &stream) {
  for (size_t i = 0; i < clients_.size(); i++) {
    const auto c = clients_[i];
    c->stream_removed(*stream);
  }
  stream->set_tap(nullptr);
  const std::string &mux = stream->config().mux_path;
  auto it = routes_.find(mux);
  if (it == routes_.end())
    return;
  auto &list = it->second.streams;
  list.erase(std::remove(list.begin(), list.end(), stream), list.end());
  if (!list.empty())
    return;
  soup_server_remove_handler(soup, mux.c_str());
  routes_.erase(it);
  for (size_t i = 0; i < clients_.size(); i++) {
    const auto c = clients_[i];
    if (c->mux_path() == mux && !c->gone())
      c->close(RemoveReason::kShutdown);
  }
  prune();
  if (routes_.empty())
    ticker_.destroy();
}

void MuxHub::handle(SoupServerMessage *msg, const char *raw_path, GHashTable *query) {
  prune();
  const RequestPath rp(raw_path, query); /* HTTP/1.0 without Host: admission-http.h */
  const std::string &path = rp.path;
  query = rp.query;
  auto it = routes_.find(path);
  if (it == routes_.end() || it->second.streams.empty()) { /* a path below it */
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  }
  const Route &route = it->second;
  const std::string mux_path = path;

  std::vector<std::string> wanted;
  std::string error;
  const char *paths = query ? static_cast<const char *>(g_hash_table_lookup(query, "paths")) : nullptr;
  if (paths && !parse_mux_paths(paths, &wanted, &error)) {
    refuse(msg, SOUP_STATUS_BAD_REQUEST, "paths: " + error);
    return;
  }
  std::vector<Stream *> present;
  std::vector<std::string> missing;
  if (wanted.empty()) {
    for (const auto &s : route.streams)
      present.push_back(s.get());
  } else {
    for (const std::string &p : wanted) {
      auto s = std::find_if(route.streams.begin(), route.streams.end(),
                            [&](const std::shared_ptr<Stream> &x) { return x->config().path == p; });
      if (s == route.streams.end())
        missing.push_back(p);
      else
        present.push_back(s->get());
    }
  }

  /* Each stream's own admission; the first refusal answers. With none of
   * the streams there yet, the first stream offered here decides. */
  const AdmissionRequest req = read_admission_request(msg, query);
  std::vector<Stream *> judges = present;
  if (judges.empty())
    judges.push_back(route.streams.front().get());
  Admission answer;
  bool first = true, same_cors = true;
  int64_t expires_at_s = 0; /* the earliest signed token's */
  for (Stream *s : judges) {
    /* auth-url is asked per stream request on the stream's own path
     * (auth-gate.h), not here: refused, so that it is never bypassed. */
    if (!s->config().auth_url.url.empty()) {
      GST_INFO_OBJECT(s->config().log_object, "%s: refused: %s has an auth-url", mux_path.c_str(),
                      s->config().path.c_str());
      refuse(msg, SOUP_STATUS_FORBIDDEN,
             s->config().path + " is authorized by its auth-url, which " + mux_path +
                 " does not ask: request it on its own path");
      return;
    }
    Admission a = s->admit(req);
    if (a.status != 200 && a.status != 204) {
      if (!a.refusal.empty())
        GST_INFO_OBJECT(s->config().log_object, "%s: %s", mux_path.c_str(), a.refusal.c_str());
      apply_admission(a, msg);
      return;
    }
    if (a.expires_at_s > 0 && (expires_at_s == 0 || a.expires_at_s < expires_at_s))
      expires_at_s = a.expires_at_s;
    if (first)
      answer = std::move(a);
    else
      same_cors &= cors_of(a) == cors_of(answer);
    first = false;
  }
  if (!same_cors) /* the streams disagree on the origin: tell it none */
    answer.headers.erase(
        std::remove_if(answer.headers.begin(), answer.headers.end(),
                       [](const AdmissionHeader &h) { return h.name.rfind("Access-Control-Allow-", 0) == 0; }),
        answer.headers.end());
  apply_admission(answer, msg);
  if (answer.status != SOUP_STATUS_OK)
    return;
  /* gzip when every stream it starts with has gzip pieces, as for one
   * stream (Stream::Impl::negotiate_encoding). */
  bool gzip = false;
  if (std::all_of(judges.begin(), judges.end(),
                  [](const Stream *s) { return s->config().compression != Compression::kNone; })) {
    SoupMessageHeaders *req_headers = soup_server_message_get_request_headers(msg);
    SoupMessageHeaders *resp = soup_server_message_get_response_headers(msg);
    gzip = accepts_gzip(soup_message_headers_get_one(req_headers, "Accept-Encoding"));
    const char *vary = soup_message_headers_get_list(resp, "Vary");
    const std::string v = vary ? std::string(vary) + ", Accept-Encoding" : "Accept-Encoding";
    soup_message_headers_replace(resp, "Vary", v.c_str());
    if (gzip && !answer.open_stream) /* HEAD; a GET's client sets its own */
      soup_message_headers_replace(resp, "Content-Encoding", "gzip");
  }
  if (answer.open_stream)
    open(msg, query, mux_path, present, wanted, missing, judges.front()->config(), expires_at_s, gzip);
}

void MuxHub::open(SoupServerMessage *msg, GHashTable *query, const std::string &mux_path,
                  const std::vector<Stream *> &present, const std::vector<std::string> &wanted,
                  const std::vector<std::string> &missing, const StreamConfig &cfg, int64_t expires_at_s, bool gzip) {
  MuxClient::Setup setup;
  setup.owner = this;
  setup.id = next_id_++;
  setup.mux_path = mux_path;
  const char *remote = soup_server_message_get_remote_host(msg);
  setup.remote = remote ? remote : "";
  setup.tls = tls_;
  setup.limits.hard_bytes = static_cast<size_t>(cfg.max_client_bytes);
  setup.limits.soft_bytes = static_cast<size_t>(cfg.soft_max_client_bytes);
  setup.limits.hard_lag_us = int64_t{cfg.max_client_lag_ms} * 1000;
  setup.limits.soft_lag_us = int64_t{cfg.soft_max_client_lag_ms} * 1000;
  setup.limits.policy = cfg.recover_policy;
  setup.retry_ms = cfg.retry_ms;
  setup.keepalive_ms = cfg.keepalive_ms;
  setup.write_timeout_ms = cfg.write_timeout_ms;
  setup.wanted = wanted;
  setup.served = &served_;
  setup.expires_at_s = expires_at_s;
  setup.gzip = gzip;
  const char *last_id = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Last-Event-ID");
  if ((!last_id || !*last_id) && query)
    last_id = static_cast<const char *>(g_hash_table_lookup(query, "lastEventId"));
  setup.last_event_id = last_id ? last_id : "";

  auto c = std::make_shared<MuxClient>(std::move(setup));
  clients_.push_back(c);
  std::vector<std::string> names;
  for (Stream *s : present)
    names.push_back(s->config().path);
  c->attach(msg, query ? static_cast<const char *>(g_hash_table_lookup(query, "token")) : nullptr, names, missing);
  for (Stream *s : present)
    c->join(*s, false);
  c->pump(g_get_monotonic_time());
}

void MuxHub::tap_events(Stream &stream, const std::vector<EventPtr> &batch) {
  std::vector<EventPtr> tags; /* made for the first client that receives the stream */
  int64_t now = 0;
  for (size_t i = 0; i < clients_.size(); i++) {
    MuxClient &c = *clients_[i];
    if (c.gone() || !c.follows(stream))
      continue;
    if (tags.empty()) {
      now = g_get_monotonic_time();
      const std::string &path = stream.config().path;
      tags.reserve(batch.size());
      for (const EventPtr &ev : batch) {
        const bool shared =
            ev->kind == Event::Kind::kMedia || ev->kind == Event::Kind::kStream || ev->kind == Event::Kind::kEos;
        tags.push_back(shared ? make_mux_tag(*ev, path) : nullptr);
      }
    }
    c.deliver(stream, batch, tags, now);
    c.pump(now);
  }
}

void MuxHub::mux_client_gone(MuxClient &) {
  gone_++;
}

void MuxHub::tick() {
  const int64_t now = g_get_monotonic_time();
  for (size_t i = 0; i < clients_.size(); i++)
    clients_[i]->tick(now);
  prune();
}

void MuxHub::prune() {
  if (gone_ == 0)
    return;
  clients_.erase(
      std::remove_if(clients_.begin(), clients_.end(), [](const std::shared_ptr<MuxClient> &c) { return c->gone(); }),
      clients_.end());
  gone_ = 0;
}

}  // namespace gstsse
