/* Snapshot bookkeeping and parsing; see snapshot-book.h. */
#include "snapshot-book.h"

#include <algorithm>

#include "event-encoder.h"
#include "ts-psi.h"

namespace gstsse {

bool parse_snapshot_width(const char *value, unsigned *width, std::string *error) {
  *width = 0;
  if (!value)
    return true;
  const std::string_view v(value);
  const bool digits =
      !v.empty() && v.size() <= 5 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  const unsigned n = digits ? static_cast<unsigned>(std::stoul(std::string(v))) : 0;
  if (!digits || n < kSnapshotMinWidth || n > kSnapshotMaxWidth) {
    *error = "width must be a whole number of pixels from " + std::to_string(kSnapshotMinWidth) + " to " +
             std::to_string(kSnapshotMaxWidth) + " (got \"" + std::string(v.substr(0, 32)) + "\")";
    return false;
  }
  *width = n;
  return true;
}

unsigned scaled_height(unsigned src_w, unsigned src_h, unsigned width) {
  if (src_w == 0 || width == 0)
    return src_h;
  const uint64_t h = (uint64_t{src_h} * width + src_w / 2) / src_w;
  return std::max<unsigned>(2, static_cast<unsigned>(h & ~uint64_t{1}));
}

bool find_media_base64(std::string_view wire, size_t *offset, size_t *length) {
  size_t off = 0, len = 0;
  if (!find_data_field(wire, &off, &len))
    return false;
  const std::string_view json = wire.substr(off, len);
  static constexpr std::string_view kKey = "\"data\":\"";
  const size_t at = json.rfind(kKey);
  if (at == std::string_view::npos)
    return false;
  const size_t start = at + kKey.size();
  const size_t end = json.find('"', start);
  if (end == std::string_view::npos)
    return false;
  *offset = off + start;
  *length = end - start;
  return true;
}

namespace {

constexpr size_t kTsSize = 188;

/* The section starting in packet @p (PUSI set), cut at the packet's end:
 * PAT and PMT of one program fit in one. Empty when @p starts none. */
std::vector<uint8_t> section_in(const uint8_t *p) {
  if (!(p[1] & 0x40))
    return {};
  size_t off = 4;
  const unsigned afc = (p[3] >> 4) & 3;
  if (afc == 2)
    return {};
  if (afc == 3)
    off += 1 + p[4];
  if (off >= kTsSize)
    return {};
  off += 1 + p[off]; /* pointer field */
  if (off + 3 > kTsSize)
    return {};
  const size_t len = 3 + (((p[off + 1] & 0x0f) << 8) | p[off + 2]);
  return std::vector<uint8_t>(p + off, p + std::min(kTsSize, off + len));
}

}  // namespace

SnapshotCodec snapshot_codec(const uint8_t *ts, size_t size) {
  uint16_t pmt_pid = kNoPid;
  for (size_t i = 0; i + kTsSize <= size; i += kTsSize) {
    const uint8_t *p = ts + i;
    if (p[0] != 0x47)
      return SnapshotCodec::kNone;
    const auto pid = static_cast<uint16_t>(((p[1] & 0x1f) << 8) | p[2]);
    if (pid == 0 && pmt_pid == kNoPid) {
      pmt_pid = pat_first_pmt_pid(section_in(p));
    } else if (pid == pmt_pid && pid != kNoPid) {
      const std::vector<uint8_t> s = section_in(p);
      if (s.empty())
        continue;
      SnapshotCodec found = SnapshotCodec::kNone;
      for_each_pmt_stream(s, [&found](uint8_t type, uint16_t, const uint8_t *, size_t) {
        if (found != SnapshotCodec::kNone)
          return;
        switch (type) {
          case 0x1b: found = SnapshotCodec::kH264; break;
          case 0x24: found = SnapshotCodec::kH265; break;
          case 0x01:
          case 0x02: found = SnapshotCodec::kMpeg2; break;
          case 0x10: found = SnapshotCodec::kMpeg4; break;
          default: break;
        }
      });
      return found;
    }
  }
  return SnapshotCodec::kNone;
}

const char *codec_name(SnapshotCodec c) {
  switch (c) {
    case SnapshotCodec::kH264: return "H.264";
    case SnapshotCodec::kH265: return "H.265";
    case SnapshotCodec::kMpeg2: return "MPEG-2 video";
    case SnapshotCodec::kMpeg4: return "MPEG-4 Part 2 video";
    case SnapshotCodec::kNone: break;
  }
  return "no video";
}

const char *codec_caps(SnapshotCodec c) {
  switch (c) {
    case SnapshotCodec::kH264: return "video/x-h264";
    case SnapshotCodec::kH265: return "video/x-h265";
    case SnapshotCodec::kMpeg2: return "video/mpeg, mpegversion=(int)2, systemstream=(boolean)false";
    case SnapshotCodec::kMpeg4: return "video/mpeg, mpegversion=(int)4, systemstream=(boolean)false";
    case SnapshotCodec::kNone: break;
  }
  return nullptr;
}

const char *codec_parser(SnapshotCodec c) {
  switch (c) {
    case SnapshotCodec::kH264: return "h264parse";
    case SnapshotCodec::kH265: return "h265parse";
    case SnapshotCodec::kMpeg2: return "mpegvideoparse";
    case SnapshotCodec::kMpeg4: return "mpeg4videoparse";
    case SnapshotCodec::kNone: break;
  }
  return nullptr;
}

unsigned SnapshotBook::cached_width(unsigned width) const {
  return src_w_ && width >= src_w_ ? 0 : width;
}

bool SnapshotBook::ready(unsigned width) const {
  return std::find(ready_.begin(), ready_.end(), width) != ready_.end();
}

void SnapshotBook::keep(unsigned width) {
  if (ready(width))
    return;
  ready_.push_back(width);
  const auto scaled = [this] { return std::count_if(ready_.begin(), ready_.end(), [](unsigned w) { return w; }); };
  while (static_cast<size_t>(scaled()) > kSnapshotMaxVariants) {
    auto oldest = std::find_if(ready_.begin(), ready_.end(), [](unsigned w) { return w != 0; });
    evicted_.push_back(*oldest);
    ready_.erase(oldest);
  }
}

SnapshotBook::Answer SnapshotBook::request(uint64_t id, unsigned width, uint64_t latest_key, int64_t now) {
  last_request_us_ = now;
  counters_.requests++;
  latest_key_ = latest_key;
  if (unavailable_ || latest_key_ == 0 || latest_key_ == failed_seq_) {
    counters_.unavailable++;
    return {unavailable_ ? Reply::kUnavailable : latest_key_ == 0 ? Reply::kNoKeyFrame : Reply::kFailed};
  }
  const unsigned w = cached_width(width);
  if (cached_seq_ == latest_key_ && ready(w)) {
    counters_.from_cache++;
    return {Reply::kReady, cached_seq_, w};
  }
  counters_.waited++;
  waiters_.push_back({id, latest_key_, width});
  return {Reply::kWait};
}

void SnapshotBook::key_chunk(uint64_t seq, int64_t) {
  latest_key_ = seq;
}

bool SnapshotBook::next_job(int64_t now, SnapshotJob *job) {
  if (running_ || unavailable_ || latest_key_ == 0 || latest_key_ == failed_seq_)
    return false;
  SnapshotJob j;
  j.seq = latest_key_;
  const auto add = [&j](unsigned w) {
    if (std::find(j.widths.begin(), j.widths.end(), w) == j.widths.end())
      j.widths.push_back(w);
  };
  if (cached_seq_ != latest_key_) {
    if (!active(now) && waiters_.empty())
      return false;
    j.decode = true;
    add(0);
    for (unsigned w : ready_) /* what was asked for the last key frame, likely asked again */
      add(w);
  }
  for (const Waiter &w : waiters_)
    if (j.decode || !ready(cached_width(w.width)))
      add(cached_width(w.width));
  if (!j.decode && j.widths.empty())
    return false;
  running_ = true;
  job_ = j;
  counters_.decodes += j.decode;
  *job = std::move(j);
  return true;
}

std::vector<SnapshotBook::Done> SnapshotBook::done(bool ok, bool missing, const std::string &reason, unsigned src_w,
                                                   unsigned src_h, const std::vector<unsigned> &widths) {
  running_ = false;
  std::vector<Done> out;
  if (!ok) {
    if (missing)
      unavailable_ = true;
    else
      failed_seq_ = job_.seq;
    reason_ = reason;
    for (const Waiter &w : waiters_)
      out.push_back({w.id, false});
    counters_.unavailable += waiters_.size();
    waiters_.clear();
    return out;
  }
  if (job_.decode) {
    cached_seq_ = job_.seq;
    evicted_ = ready_;
    ready_.clear();
    src_w_ = src_w;
    src_h_ = src_h;
  }
  counters_.encodes += widths.size();
  for (unsigned w : widths)
    keep(w);
  evicted_.erase(std::remove_if(evicted_.begin(), evicted_.end(), [this](unsigned w) { return ready(w); }),
                 evicted_.end());
  auto keep_waiting = std::remove_if(waiters_.begin(), waiters_.end(), [&](const Waiter &w) {
    const unsigned cw = cached_width(w.width);
    if (w.want_seq > cached_seq_ || !ready(cw))
      return false;
    out.push_back({w.id, true, cw});
    return true;
  });
  waiters_.erase(keep_waiting, waiters_.end());
  return out;
}

std::vector<unsigned> SnapshotBook::take_evicted() {
  std::vector<unsigned> e;
  e.swap(evicted_);
  return e;
}

bool SnapshotBook::active(int64_t now) const {
  return warm_ || (last_request_us_ >= 0 && now - last_request_us_ < idle_us_);
}

bool SnapshotBook::idle(int64_t now) const {
  return !running_ && waiters_.empty() && !active(now);
}

int64_t SnapshotBook::idle_at() const {
  return warm_ || last_request_us_ < 0 ? -1 : last_request_us_ + idle_us_;
}

void SnapshotBook::reset_cache() {
  cached_seq_ = 0;
  ready_.clear();
  evicted_.clear();
  src_w_ = src_h_ = 0;
}

std::vector<uint64_t> SnapshotBook::take_waiters() {
  std::vector<uint64_t> ids;
  for (const Waiter &w : waiters_)
    ids.push_back(w.id);
  waiters_.clear();
  return ids;
}

}  // namespace gstsse
