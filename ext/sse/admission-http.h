/* admission.h on libsoup: what a request says for the decision, and the
 * decision applied to the answer. Thin glue, used by the stream (its own
 * path), the multiplexed endpoint (mux-hub.cpp) and the snapshot
 * (snapshot.cpp). Server thread. */
#pragma once

#include <libsoup/soup.h>

#include <string>

#include "admission.h"

namespace gstsse {

/* The fields of @msg that admission reads (pointers into @msg), with the
 * query's token; the caller adds the stream's counts. */
AdmissionRequest read_admission_request(SoupServerMessage *msg, GHashTable *query);
/* Sets @a's status and headers on @msg. */
void apply_admission(const Admission &a, SoupServerMessage *msg);

/* A handler's path and query. libsoup 3.2 hands an HTTP/1.0 request
 * without Host over with its query still in the path (and none parsed):
 * split off here, and parsed when libsoup gave no query. */
class RequestPath {
 public:
  RequestPath(const char *raw_path, GHashTable *query);
  ~RequestPath();
  RequestPath(const RequestPath &) = delete;
  RequestPath &operator=(const RequestPath &) = delete;
  std::string path;
  GHashTable *query; /* libsoup's, or the one parsed here (then owned) */

 private:
  GHashTable *owned_ = nullptr;
};

}  // namespace gstsse
