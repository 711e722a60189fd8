/* Test SSE client and media checks; see sse-client.h. */
#include "sse-client.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include <cstdio>
#include <cstring>

SseClient::SseClient(int port, const std::string &path, const char *method,
                     std::vector<std::pair<std::string, std::string>> headers, unsigned timeout_s) {
  session_ = soup_session_new_with_options("timeout", timeout_s, "idle-timeout", 0, nullptr);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  msg_ = soup_message_new(method, url.c_str());
  if (!msg_) {
    error_ = "bad url " + url;
    return;
  }
  for (auto &h : headers)
    soup_message_headers_replace(soup_message_get_request_headers(msg_), h.first.c_str(), h.second.c_str());
  GError *err = nullptr;
  body_ = soup_session_send(session_, msg_, nullptr, &err);
  if (!body_) {
    error_ = err->message;
    g_error_free(err);
    return;
  }
  status_ = soup_message_get_status(msg_);
}

SseClient::~SseClient() {
  close();
}

void SseClient::close() {
  if (body_) {
    g_input_stream_close(body_, nullptr, nullptr);
    g_clear_object(&body_);
  }
  g_clear_object(&msg_);
  if (session_) {
    soup_session_abort(session_);
    g_clear_object(&session_);
  }
}

std::string SseClient::header(const char *name) const {
  if (!msg_)
    return {};
  const char *v = soup_message_headers_get_one(soup_message_get_response_headers(msg_), name);
  return v ? v : "";
}

bool SseClient::next(SseEvent *ev) {
  *ev = SseEvent{};
  auto on_event = [this](const sseparse::SseEvent &e) {
    ready_.push_back({std::string(e.type), std::string(e.id_text), std::string(e.data), std::string(e.retry)});
  };
  while (ready_.empty() && body_) {
    char buf[16384];
    GError *err = nullptr;
    const gssize n = g_input_stream_read(body_, buf, sizeof buf, nullptr, &err);
    if (n < 0) {
      error_ = err->message;
      g_error_free(err);
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    parser_.feed(buf, static_cast<size_t>(n), on_event, [] {});
  }
  if (ready_.empty())
    return false;
  *ev = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

bool SseClient::next_media(SseEvent *ev) {
  while (next(ev)) {
    if (ev->event.empty() && !ev->data.empty())
      return true;
    named_.push_back(*ev);
  }
  return false;
}

bool parse_media(const std::string &json, MediaFields *out, std::string *err) {
  JsonParser *parser = json_parser_new();
  GError *e = nullptr;
  bool ok = false;
  if (!json_parser_load_from_data(parser, json.c_str(), -1, &e)) {
    *err = e->message;
    g_error_free(e);
  } else {
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : nullptr;
    if (!o || !json_object_has_member(o, "seq") || !json_object_has_member(o, "key") ||
        !json_object_has_member(o, "pts") || !json_object_has_member(o, "ts") || !json_object_has_member(o, "data")) {
      *err = "missing member in " + json.substr(0, 120);
    } else {
      out->seq = static_cast<uint64_t>(json_object_get_int_member(o, "seq"));
      out->key = json_object_get_boolean_member(o, "key");
      out->pts_null = json_object_get_null_member(o, "pts");
      out->pts = out->pts_null ? 0 : json_object_get_int_member(o, "pts");
      out->ts = json_object_get_int_member(o, "ts");
      gsize n = 0;
      guchar *raw = g_base64_decode(json_object_get_string_member(o, "data"), &n);
      out->ts_bytes.assign(raw, raw + n);
      g_free(raw);
      ok = true;
    }
  }
  g_object_unref(parser);
  return ok;
}

static std::string write_temp(const std::vector<uint8_t> &ts) {
  char *path = nullptr;
  int fd = g_file_open_tmp("ssesink-XXXXXX.ts", &path, nullptr);
  FILE *f = fdopen(fd, "wb");
  fwrite(ts.data(), 1, ts.size(), f);
  fclose(f);
  std::string p = path;
  g_free(path);
  return p;
}

std::string ffmpeg_decode_errors(const std::vector<uint8_t> &ts, int *status) {
  const std::string path = write_temp(ts);
  const gchar *argv[] = {"ffmpeg", "-nostdin", "-v", "error", "-i", path.c_str(), "-f", "null", "-", nullptr};
  gchar *out = nullptr, *errout = nullptr;
  GError *err = nullptr;
  *status = -1;
  std::string result;
  if (!g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &errout,
                    status, &err)) {
    result = std::string("could not run ffmpeg: ") + err->message;
    g_error_free(err);
  } else {
    result = errout ? errout : "";
  }
  g_free(out);
  g_free(errout);
  g_unlink(path.c_str());
  return result;
}

std::string ffprobe_pict_types(const std::vector<uint8_t> &ts) {
  const std::string path = write_temp(ts);
  const gchar *argv[] = {
      "ffprobe",           "-v",         "error", "-select_streams", "v:0", "-show_entries", "frame=pict_type", "-of",
      "default=nw=1:nk=1", path.c_str(), nullptr};
  gchar *out = nullptr;
  std::string types;
  if (g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr,
                   static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL), nullptr, nullptr, &out,
                   nullptr, nullptr, nullptr)) {
    for (const char *p = out; p && *p; p++)
      if (*p != '\n' && *p != '\r')
        types.push_back(*p);
  }
  g_free(out);
  g_unlink(path.c_str());
  return types;
}
