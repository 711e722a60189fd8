/* A client's connection and body writes; see client-conn.h. */
#include "client-conn.h"

#include <gst/gst.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {
namespace {

/* Bytes taken from a client's queue for one write. Small enough that the
 * queue, where policy can still act, holds most of a slow client's backlog. */
constexpr size_t kInFlightMax = 128 * 1024;

/* Vectors per write: a frame's head and tail plus its events; a frame with
 * more events goes out in several writes. */
constexpr size_t kMaxVectors = 64;

/* Adds @n to a counter that only the server thread writes. */
inline void bump(std::atomic<uint64_t> &counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

EventPtr gap_event(const GapInfo &g) {
  return make_gap_event(g.events, g.bytes, g.first_seq, g.last_seq);
}

/* What an event costs on a gzip client's wire: its piece (every event a
 * gzip client gets has one: the stream made them so). */
size_t gzip_size(const Event &e) {
  return e.has_gzip() ? e.gzip_size() : e.size();
}

/* What an event costs on a multiplexed client's wire: from its tag on;
 * gzip: Event::mux_gzip(). */
size_t mux_size(const Event &e) {
  return e.mux_size();
}
size_t mux_gzip_size(const Event &e) {
  return e.has_gzip() ? e.mux_gzip().size() : e.mux_size();
}

ClientQueue<Event>::SizeFn size_fn(bool mux, bool gzip) {
  if (mux)
    return gzip ? mux_gzip_size : mux_size;
  return gzip ? gzip_size : nullptr;
}

}  // namespace

ClientConn::ClientConn(Setup s)
    : gzip_(s.gzip),
      mux_(s.mux),
      queue(s.limits, kInFlightMax, gap_event, size_fn(s.mux, s.gzip)),
      owner_(s.owner),
      served_(s.served),
      log_(s.log_object),
      id_(s.id),
      tls_(s.tls),
      remote_(std::move(s.remote)),
      connected_us_(g_get_monotonic_time()) {
  last_write_us_ = last_progress_us_ = connected_us_;
}

/* The stream finishes every client before it lets go of it (detach()). */
ClientConn::~ClientConn() = default;

void ClientConn::attach(SoupServerMessage *msg) {
  /* The stream never ends by itself; when it does end, close. libsoup
   * writes these headers; the body is written here (pump()). */
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  chunked_ = soup_server_message_get_http_version(msg) != SOUP_HTTP_1_0;
  soup_message_headers_replace(headers, "Connection", "close");
  soup_message_headers_set_encoding(headers, chunked_ ? SOUP_ENCODING_CHUNKED : SOUP_ENCODING_EOF);
  if (gzip_)
    soup_message_headers_replace(headers, "Content-Encoding", "gzip");
  if (GSocket *sock = soup_server_message_get_socket(msg))
    g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);

  msg_ = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  /* The handlers are disconnected when the connection is taken, or in
   * release_message(), before the client can go. */
  headers_id_ = g_signal_connect(
      msg, "wrote-headers",
      G_CALLBACK(+[](SoupServerMessage *, gpointer d) { static_cast<ClientConn *>(d)->on_headers_written(); }), this);
  finished_id_ = g_signal_connect(
      msg, "finished",
      G_CALLBACK(+[](SoupServerMessage *, gpointer d) { static_cast<ClientConn *>(d)->on_finished(); }), this);
}

/* libsoup has written the response headers: the connection is ours from
 * here on, and the body is written by pump(). */
void ClientConn::on_headers_written() {
  const ClientPtr self = shared_from_this();
  SoupServerMessage *msg = msg_;
  g_signal_handler_disconnect(msg, headers_id_);
  g_signal_handler_disconnect(msg, finished_id_);
  headers_id_ = finished_id_ = 0;
  if (GSocket *sock = soup_server_message_get_socket(msg))
    sock_ = G_SOCKET(g_object_ref(sock));
  conn_ = soup_server_message_steal_connection(msg);
  msg_ = nullptr;
  g_object_unref(msg); /* libsoup holds its own while it emits */
  if (!conn_) {
    finish(RemoveReason::kClosed);
    return;
  }
  out_ = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(conn_));
  if (!tls_ && sock_)
    fd_ = g_socket_get_fd(sock_);
  if (phase_ == Phase::kClosing) { /* closed while the headers were being written */
    finish(reason_);
    return;
  }
  phase_ = Phase::kOpen;
  pump(g_get_monotonic_time());
}

/* libsoup finished a request whose connection we never took: the client
 * went before its headers were written, or was closed then. */
void ClientConn::on_finished() {
  const ClientPtr self = shared_from_this();
  const RemoveReason reason = phase_ == Phase::kClosing ? reason_ : RemoveReason::kClosed;
  GST_INFO_OBJECT(log_, "client %u (%s) removed before its headers were written, reason %d", id_, remote_.c_str(),
                  static_cast<int>(reason));
  gone(reason);
}

/* Takes the next run of queued events (up to kInFlightMax) as a frame;
 * false when nothing is queued. */
bool ClientConn::start_frame(int64_t now) {
  size_t payload = 0;
  uint64_t events = 0;
  bool last = false;
  while (EventPtr ev = queue.pop_for_write()) {
    if (gzip_ && !ev->has_gzip()) { /* a bug: the stream made it without its piece */
      GST_ERROR_OBJECT(log_, "client %u (%s): an event without its gzip piece", id_, remote_.c_str());
      finish(RemoveReason::kError);
      return false;
    }
    payload += queue.sz(*ev);
    if (gzip_)
      trailer_.add(mux_ ? ev->mux_crc() : ev->crc(), mux_ ? ev->mux_plain() : ev->size());
    events++;
    if ((ev->kind == Event::Kind::kEos && (!mux_ || ev->tag_at() == 0)) || ev->kind == Event::Kind::kExpired) {
      last = true;
      reason_ = ev->kind == Event::Kind::kEos ? RemoveReason::kEos : RemoveReason::kExpired;
      break;
    }
  }
  if (events == 0)
    return false;
  if (payload == 0 && !last && !(gzip_ && !gzip_header_sent_)) {
    /* Only events of no bytes here (a mux gzip client's tag heads): a
     * frame of nothing would be the chunked body's end. */
    queue.wrote(0);
    return start_frame(now);
  }
  if (last) {
    phase_ = Phase::kEnding;
    owner_->client_ending(*this);
  }
  /* The write timeout counts from when data starts to wait. */
  last_write_us_ = last_progress_us_ = now;
  bump(events_sent, events);
  std::string_view prefix, suffix;
  char trailer[GzipTrailer::kSize];
  if (gzip_ && !gzip_header_sent_) {
    prefix = std::string_view(kGzipHeader, kGzipHeaderSize);
    gzip_header_sent_ = true;
  }
  if (gzip_ && last) {
    trailer_.write(trailer);
    suffix = std::string_view(trailer, sizeof trailer);
  }
  frame_.start(payload, chunked_, last, prefix, suffix);
  return true;
}

/* Writes what the client has queued until its socket takes no more: each
 * run of queued events is one frame, written with one writev of the shared
 * event bytes plus, for a chunked body, the frame's size line and CRLF. */
void ClientConn::pump(int64_t now) {
  if ((phase_ != Phase::kOpen && phase_ != Phase::kEnding) || writable_)
    return;
  /* No reference taken here, per client and dispatch: whoever calls holds
   * one (the stream's live list, or the writable callback). */
  for (;;) {
    if (!frame_.active() && !start_frame(now))
      break;
    if (phase_ == Phase::kRemoved)
      return;
    GOutputVector v[kMaxVectors];
    const auto &events = queue.in_flight_events();
    const size_t done = queue.front_written();
    size_t n;
    if (gzip_ && mux_)
      n = frame_.gather(events, done, v, kMaxVectors, [](const EventPtr &ev) { return ev->mux_gzip(); });
    else if (gzip_)
      n = frame_.gather(events, done, v, kMaxVectors,
                        [](const EventPtr &ev) { return std::string_view(ev->gzip_data(), ev->gzip_size()); });
    else if (mux_)
      n = frame_.gather(events, done, v, kMaxVectors,
                        [](const EventPtr &ev) { return ev->wire().substr(ev->tag_at()); });
    else
      n = frame_.gather(events, done, v, kMaxVectors);
    if (n == 0) { /* the frame and the queue disagree: a bug, not the client's fault */
      GST_ERROR_OBJECT(log_, "client %u (%s): nothing to write for an unfinished frame", id_, remote_.c_str());
      finish(RemoveReason::kError);
      return;
    }
    gsize written = 0;
    if (!write_nonblocking(v, n, &written)) {
      finish(phase_ == Phase::kEnding ? reason_ : RemoveReason::kClosed);
      return;
    }
    if (written == 0) {
      wait_writable();
      break;
    }
    const size_t payload = frame_.advance(written);
    queue.wrote(payload);
    last_progress_us_ = now;
    bump(bytes_sent, payload);
    bump(*served_, payload);
    if (!frame_.active() && frame_.last()) {
      unsent_bytes.store(0, std::memory_order_relaxed);
      finish(reason_);
      return;
    }
  }
  unsent_bytes.store(queue.unsent_bytes(), std::memory_order_relaxed);
}

/* One non-blocking write of @n vectors; false on error (logged). Plain TCP
 * goes straight to sendmsg(): GIO's pollable writev costs as much again in
 * user space for the same system call. */
bool ClientConn::write_nonblocking(const GOutputVector *v, size_t n, gsize *written) {
  *written = 0;
  if (fd_ >= 0) {
    struct iovec iov[kMaxVectors];
    for (size_t i = 0; i < n; i++) {
      iov[i].iov_base = const_cast<void *>(v[i].buffer);
      iov[i].iov_len = v[i].size;
    }
    struct msghdr m = {};
    m.msg_iov = iov;
    m.msg_iovlen = n;
    ssize_t sent;
    do
      sent = sendmsg(fd_, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (sent < 0 && errno == EINTR);
    if (sent >= 0) {
      *written = static_cast<gsize>(sent);
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return true;
    GST_INFO_OBJECT(log_, "client %u (%s): write failed: %s", id_, remote_.c_str(), g_strerror(errno));
    return false;
  }
  GError *error = nullptr;
  const GPollableReturn r = g_pollable_output_stream_writev_nonblocking(out_, v, n, written, nullptr, &error);
  if (r == G_POLLABLE_RETURN_FAILED) {
    GST_INFO_OBJECT(log_, "client %u (%s): write failed: %s", id_, remote_.c_str(), error ? error->message : "?");
    g_clear_error(&error);
    return false;
  }
  if (r == G_POLLABLE_RETURN_WOULD_BLOCK)
    *written = 0;
  return true;
}

void ClientConn::wait_writable() {
  writable_ = g_pollable_output_stream_create_source(out_, nullptr);
  /* The source goes (finish()) before the client can. */
  g_source_set_callback(writable_, G_SOURCE_FUNC(+[](GObject *, gpointer d) -> gboolean {
                          auto *c = static_cast<ClientConn *>(d);
                          const ClientPtr self = c->shared_from_this();
                          g_source_unref(c->writable_);
                          c->writable_ = nullptr;
                          c->pump(g_get_monotonic_time());
                          return G_SOURCE_REMOVE;
                        }),
                        this, nullptr);
  g_source_attach(writable_, g_main_context_get_thread_default());
}

void ClientConn::close(RemoveReason reason) {
  if (closing())
    return;
  if (conn_) {
    finish(reason);
    return;
  }
  /* libsoup still has the connection (its headers are not written yet):
   * make that write fail now, and on_finished() removes the client. */
  phase_ = Phase::kClosing;
  reason_ = reason;
  if (GSocket *sock = msg_ ? soup_server_message_get_socket(msg_) : nullptr)
    g_socket_shutdown(sock, TRUE, TRUE, nullptr);
}

void ClientConn::finish(RemoveReason reason) {
  if (phase_ == Phase::kRemoved)
    return;
  const ClientPtr self = shared_from_this();
  if (writable_) {
    g_source_destroy(writable_);
    g_source_unref(writable_);
    writable_ = nullptr;
  }
  if (conn_) {
    /* Anything but a complete body: cut the connection now, whatever the
     * peer has left unread. */
    if (reason != RemoveReason::kEos && reason != RemoveReason::kExpired && sock_)
      g_socket_shutdown(sock_, TRUE, TRUE, nullptr);
    g_io_stream_close(conn_, nullptr, nullptr);
    g_clear_object(&conn_);
    out_ = nullptr;
    fd_ = -1;
  } else if (GSocket *sock = msg_ ? soup_server_message_get_socket(msg_) : nullptr) {
    /* Still libsoup's: its write of the headers fails now. */
    g_socket_shutdown(sock, TRUE, TRUE, nullptr);
  }
  g_clear_object(&sock_);
  GST_INFO_OBJECT(log_, "client %u (%s) removed, reason %d, %" G_GUINT64_FORMAT " bytes sent", id_, remote_.c_str(),
                  static_cast<int>(reason), bytes_sent.load(std::memory_order_relaxed));
  gone(reason);
}

void ClientConn::release_message() {
  if (!msg_)
    return;
  g_signal_handler_disconnect(msg_, headers_id_);
  g_signal_handler_disconnect(msg_, finished_id_);
  headers_id_ = finished_id_ = 0;
  g_clear_object(&msg_);
}

void ClientConn::gone(RemoveReason reason) {
  const bool was_ending = phase_ == Phase::kEnding;
  phase_ = Phase::kRemoved;
  release_message();
  owner_->client_removed(*this, reason, was_ending);
}

}  // namespace gstsse
