/* admission.h on libsoup: what a request says for the decision, and the
 * decision applied to the answer. Thin glue, used by the stream (its own
 * path), the multiplexed endpoint (mux-hub.cpp) and the snapshot
 * (snapshot.cpp). Server thread. */
#pragma once

#include <libsoup/soup.h>

#include "admission.h"

namespace gstsse {

/* The fields of @msg that admission reads (pointers into @msg), with the
 * query's token; the caller adds the stream's counts. */
AdmissionRequest read_admission_request(SoupServerMessage *msg, GHashTable *query);
/* Sets @a's status and headers on @msg. */
void apply_admission(const Admission &a, SoupServerMessage *msg);

}  // namespace gstsse
