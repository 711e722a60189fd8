/* Admission on libsoup's messages; see admission-http.h. */
#include "admission-http.h"

#include <cstring>

namespace gstsse {

AdmissionRequest read_admission_request(SoupServerMessage *msg, GHashTable *query) {
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers(msg);
  AdmissionRequest req;
  req.method = soup_server_message_get_method(msg);
  soup_message_headers_foreach(
      req_headers,
      [](const char *name, const char *value, gpointer data) {
        *static_cast<size_t *>(data) += strlen(name) + strlen(value) + 4;
      },
      &req.header_bytes);
  req.origin = soup_message_headers_get_one(req_headers, "Origin");
  req.remote = soup_server_message_get_remote_host(msg);
  req.credentials.authorization = soup_message_headers_get_one(req_headers, "Authorization");
  req.credentials.cookie = soup_message_headers_get_one(req_headers, "Cookie");
  req.credentials.query_token = query ? static_cast<const char *>(g_hash_table_lookup(query, "token")) : nullptr;
  return req;
}

void apply_admission(const Admission &a, SoupServerMessage *msg) {
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  for (const auto &h : a.headers) {
    if (h.append)
      soup_message_headers_append(headers, h.name.c_str(), h.value.c_str());
    else
      soup_message_headers_replace(headers, h.name.c_str(), h.value.c_str());
  }
  soup_server_message_set_status(msg, a.status, a.reason_phrase);
}

RequestPath::RequestPath(const char *raw_path, GHashTable *q) : path(raw_path ? raw_path : ""), query(q) {
  const size_t at = path.find('?');
  if (at == std::string::npos)
    return;
  if (!query)
    query = owned_ = soup_form_decode(path.c_str() + at + 1);
  path.resize(at);
}

RequestPath::~RequestPath() {
  if (owned_)
    g_hash_table_unref(owned_);
}

}  // namespace gstsse
