/* Last-Event-ID decisions; see resume.h. */
#include "resume.h"

namespace gstsse {

bool parse_event_id(std::string_view text, uint64_t *out) {
  if (text.empty() || text.size() > 19)
    return false;
  uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + static_cast<uint64_t>(c - '0'); /* 19 digits cannot overflow */
  }
  *out = v;
  return true;
}

ResumeDecision decide_resume(std::string_view last_event_id, const BacklogView &b) {
  ResumeDecision d;
  if (last_event_id.empty())
    return d;
  uint64_t id = 0;
  d.kind = ResumeDecision::Kind::kReset;
  if (!parse_event_id(last_event_id, &id)) {
    d.reason = "malformed";
  } else if (id < b.run_first_seq) {
    d.reason = "previous-run";
  } else if (b.last_seq == 0 || id > b.last_seq) {
    /* Not issued by this run (yet): from the future, or another server. */
    d.reason = "unknown";
  } else if (id == b.last_seq || (b.backlog_first != 0 && id + 1 >= b.backlog_first)) {
    d.kind = ResumeDecision::Kind::kResume;
    d.next_seq = id + 1;
  } else {
    d.reason = "expired";
  }
  return d;
}

}  // namespace gstsse
