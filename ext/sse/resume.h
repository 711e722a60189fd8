/* Where a (re)connecting client starts, from its Last-Event-ID.
 *
 * Plain C++: no GLib, no GObject. The id comes from the network, so it is
 * parsed strictly: only a decimal number of at most 19 digits is an id. */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gstsse {

struct BacklogView {
  uint64_t run_first_seq = 0; /* first id of this run of the pipeline */
  uint64_t last_seq = 0;      /* newest id published; 0: none yet */
  uint64_t backlog_first = 0; /* oldest id still in the backlog; 0: empty */
};

struct ResumeDecision {
  enum class Kind {
    kJoin,   /* no id given: keyframe join */
    kResume, /* continue gaplessly after the id */
    kReset,  /* tell the client why (event: reset), then keyframe join */
  } kind = Kind::kJoin;
  uint64_t next_seq = 0;   /* kResume: first id to send */
  const char *reason = ""; /* kReset: malformed, previous-run, unknown, expired */
};

/* Parses a Last-Event-ID value: digits only, 1 to 19 of them. */
bool parse_event_id(std::string_view text, uint64_t *out);

/* Decides for @last_event_id (empty: the client sent none). */
ResumeDecision decide_resume(std::string_view last_event_id, const BacklogView &b);

}  // namespace gstsse
