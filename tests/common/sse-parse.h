/* The one parser of the wire the tests and benchmarks read: HTTP response
 * head, chunked transfer coding, the text/event-stream (WHATWG "event stream
 * interpretation", LF or CRLF line ends) and the few JSON fields of an
 * ssesink media event, plus a scan for random-access TS packets. Used by the
 * load client (bench/sse-load.cpp, which keeps only a prefix of each line)
 * and the C++ tests' SSE client (tests/check/common/sse-client.cpp, which
 * keeps whole events). Header-only, plain C++17, no GLib: bench builds it
 * without linking anything of the plugin.
 *
 * No sockets, no allocation per byte: callers feed whatever read() returned,
 * so everything here must work on arbitrary splits, and must be fast (one
 * load-client process parses hundreds of MB/s). Single-threaded: one parser
 * per connection, used by the thread that reads it. Unit-tested in
 * test-sse-parse.cpp. */
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sseparse {

/* ---- HTTP response head ------------------------------------------------ */

struct HttpHead {
  int status = 0;       /* 0 until the head is complete */
  bool chunked = false; /* Transfer-Encoding: chunked */
  std::string content_type;
};

inline bool ieq_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); i++) {
    char a = s[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z')
      a = static_cast<char>(a - 'A' + 'a');
    if (a != b)
      return false;
  }
  return true;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/* Parses a complete head (status line and headers, without the final empty
 * line). Returns false when the status line is not HTTP. */
inline bool parse_http_head(std::string_view head, HttpHead *out) {
  size_t eol = head.find('\n');
  std::string_view line = trim(head.substr(0, eol));
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/")
    return false;
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp + 4 > line.size())
    return false;
  int status = 0;
  for (size_t i = sp + 1; i < sp + 4; i++) {
    if (line[i] < '0' || line[i] > '9')
      return false;
    status = status * 10 + (line[i] - '0');
  }
  out->status = status;
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 1);
    eol = head.find('\n');
    line = trim(head.substr(0, eol));
    if (ieq_prefix(line, "transfer-encoding:")) {
      std::string_view v = trim(line.substr(18));
      out->chunked = ieq_prefix(v, "chunked");
    } else if (ieq_prefix(line, "content-type:")) {
      out->content_type = std::string(trim(line.substr(13)));
    }
  }
  return true;
}

/* ---- chunked transfer coding (RFC 9112, section 7.1) ------------------- */

class ChunkedDecoder {
 public:
  /* Feeds raw body bytes; calls @on_data(const char *, size_t) for each run
   * of payload. Returns false on a malformed stream (then stays failed). */
  template <typename F>
  bool feed(const char *p, size_t n, F &&on_data) {
    const char *end = p + n;
    while (p < end && state_ != kFailed) {
      switch (state_) {
        case kSize: {
          const char c = *p++;
          int v = hex(c);
          if (v >= 0) {
            if (size_ > (uint64_t{1} << 40) || ++digits_ > 12)
              state_ = kFailed;
            size_ = size_ * 16 + static_cast<unsigned>(v);
          } else if (digits_ == 0) {
            state_ = kFailed;
          } else if (c == '\n') {
            end_size_line();
          } else {
            state_ = kSizeRest; /* extension, spaces or CR */
          }
          break;
        }
        case kSizeRest: {
          const void *nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
          if (!nl) {
            p = end;
          } else {
            p = static_cast<const char *>(nl) + 1;
            end_size_line();
          }
          break;
        }
        case kData: {
          const size_t take = static_cast<size_t>(end - p) < left_ ? static_cast<size_t>(end - p) : left_;
          on_data(p, take);
          p += take;
          left_ -= take;
          if (left_ == 0)
            state_ = kDataEnd;
          break;
        }
        case kDataEnd: /* CRLF (or a bare LF) after the data */
          if (*p == '\r') {
            p++;
          } else if (*p == '\n') {
            p++;
            state_ = kSize;
            size_ = 0;
            digits_ = 0;
          } else {
            state_ = kFailed;
          }
          break;
        case kTrailerLineStart:
          if (*p == '\r') {
            p++;
          } else if (*p == '\n') {
            p++;
            state_ = kDone;
          } else {
            state_ = kTrailerLine;
          }
          break;
        case kTrailerLine: {
          const void *nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
          p = nl ? static_cast<const char *>(nl) + 1 : end;
          if (nl)
            state_ = kTrailerLineStart;
          break;
        }
        case kDone: return true; /* bytes after the last chunk are ignored */
        case kFailed: break;
      }
    }
    return state_ != kFailed;
  }

  bool done() const { return state_ == kDone; }
  bool failed() const { return state_ == kFailed; }

 private:
  static int hex(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }
  void end_size_line() {
    if (size_ == 0) {
      state_ = kTrailerLineStart;
    } else {
      left_ = size_;
      state_ = kData;
    }
  }

  enum State { kSize, kSizeRest, kData, kDataEnd, kTrailerLineStart, kTrailerLine, kDone, kFailed };
  State state_ = kSize;
  uint64_t size_ = 0;
  uint64_t left_ = 0;
  unsigned digits_ = 0;
};

/* ---- JSON fields of a media event -------------------------------------- */

struct MediaJson {
  bool has_seq = false, has_key = false, has_ts = false, has_data = false;
  uint64_t seq = 0;
  bool key = false;
  int64_t ts = 0;
  /* Offset of the first character of the `data` string's value in the text
   * given, and its length when the closing quote was inside that text. */
  size_t data_start = 0;
  bool data_closed = false;
  size_t data_len = 0;
};

/* Reads a flat JSON object's number and boolean members (seq, key, ts) and
 * locates the `data` string, from @text, which may be only a prefix of the
 * object: parsing stops quietly where the text ends. Strings are skipped, not
 * decoded (a `\"` escape is honoured); nested values are not expected. */
inline void parse_media_json(std::string_view text, MediaJson *out) {
  size_t i = 0;
  const size_t n = text.size();
  auto skip_ws = [&] {
    while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
      i++;
  };
  /* Skips a string whose opening quote is at i; returns false if unterminated. */
  auto skip_string = [&]() -> bool {
    i++;
    while (i < n) {
      const void *q = std::memchr(text.data() + i, '"', n - i);
      if (!q) {
        i = n;
        return false;
      }
      size_t at = static_cast<size_t>(static_cast<const char *>(q) - text.data());
      size_t bs = 0;
      while (at - bs > i && text[at - bs - 1] == '\\')
        bs++;
      i = at + 1;
      if (bs % 2 == 0)
        return true;
    }
    return false;
  };
  skip_ws();
  if (i >= n || text[i] != '{')
    return;
  i++;
  for (;;) {
    skip_ws();
    if (i >= n || text[i] != '"')
      return;
    const size_t name_start = i + 1;
    if (!skip_string())
      return;
    const std::string_view name = text.substr(name_start, i - 1 - name_start);
    skip_ws();
    if (i >= n || text[i] != ':')
      return;
    i++;
    skip_ws();
    if (i >= n)
      return;
    const char c = text[i];
    if (c == '"') {
      const size_t value_start = i + 1;
      const bool closed = skip_string();
      if (name == "data") {
        out->has_data = true;
        out->data_start = value_start;
        out->data_closed = closed;
        if (closed)
          out->data_len = i - 1 - value_start;
      }
      if (!closed)
        return;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const bool neg = c == '-';
      if (neg)
        i++;
      uint64_t v = 0;
      const size_t digits_start = i;
      while (i < n && text[i] >= '0' && text[i] <= '9')
        v = v * 10 + static_cast<unsigned>(text[i++] - '0');
      if (i == n || i == digits_start)
        return; /* the number may continue past the prefix */
      while (i < n && text[i] != ',' && text[i] != '}')
        i++; /* fraction or exponent: not used by the protocol */
      if (name == "seq") {
        out->has_seq = true;
        out->seq = v;
      } else if (name == "ts") {
        out->has_ts = true;
        out->ts = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
      }
    } else if (text.substr(i, 4) == "true" || text.substr(i, 5) == "false") {
      const bool v = c == 't';
      i += v ? 4 : 5;
      if (name == "key") {
        out->has_key = true;
        out->key = v;
      }
    } else if (text.substr(i, 4) == "null") {
      i += 4;
    } else {
      return;
    }
    skip_ws();
    if (i >= n || text[i] != ',')
      return;
    i++;
  }
}

/* Bytes that @len Base64 characters decode to, given the characters that end
 * the text (for the '=' padding). */
inline uint64_t base64_decoded_size(uint64_t len, std::string_view last_chars) {
  uint64_t pad = 0;
  for (size_t k = last_chars.size(); k > 0 && pad < 2 && last_chars[k - 1] == '='; k--)
    pad++;
  return len / 4 * 3 - (len % 4 == 0 ? pad : 0);
}

/* ---- text/event-stream ------------------------------------------------- */

/* One dispatched event: a block of field lines ended by an empty line (any
 * field counts, `retry:` alone too; comments do not). Each line is kept up
 * to the parser's keep_line bytes: with the default kPrefix that is the JSON
 * fields before the Base64 payload, which is then measured, not copied; with
 * kWholeLines, `data` is the whole data. The views are valid during the
 * callback only. */
struct SseEvent {
  std::string_view type;    /* `event:` value; empty for unnamed events */
  std::string_view id_text; /* the last `id:` value as sent */
  bool has_id = false;
  uint64_t id = 0;
  bool id_other = false; /* an id that is not a decimal number, e.g. nchan's own `1795674821:22` */
  bool has_retry = false;
  std::string_view retry; /* the last `retry:` value as sent */
  bool has_data = false;
  std::string_view data;     /* the data lines as kept, joined by '\n' */
  MediaJson json;            /* parsed from the first data line */
  uint64_t data_bytes = 0;   /* total length of the data lines */
  uint64_t payload_size = 0; /* decoded size of the JSON `data` string */
  bool payload_ok = false;   /* payload_size is known */
};

class SseParser {
 public:
  static constexpr size_t kPrefix = 512;
  static constexpr size_t kWholeLines = SIZE_MAX;

  explicit SseParser(size_t keep_line = kPrefix) : keep_(keep_line) {}

  /* Feeds body bytes; calls @on_event(const SseEvent &) per dispatched event
   * and @on_comment() per comment line (`: keepalive`). */
  template <typename FE, typename FC>
  void feed(const char *p, size_t n, FE &&on_event, FC &&on_comment) {
    const char *end = p + n;
    while (p < end) {
      const void *nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
      const char *seg_end = nl ? static_cast<const char *>(nl) : end;
      const size_t seg = static_cast<size_t>(seg_end - p);
      if (line_.size() < keep_)
        line_.append(p, seg < keep_ - line_.size() ? seg : keep_ - line_.size());
      /* The last few bytes of the line: where the Base64 ends. */
      if (seg >= sizeof tail_) {
        std::memcpy(tail_, seg_end - sizeof tail_, sizeof tail_);
        tail_len_ = sizeof tail_;
      } else {
        for (size_t k = 0; k < seg; k++)
          push_tail(p[k]);
      }
      line_len_ += seg;
      p = seg_end;
      if (nl) {
        p++;
        end_line(on_event, on_comment);
      }
    }
  }

  uint64_t malformed() const { return malformed_; }

 private:
  void push_tail(char c) {
    if (tail_len_ == sizeof tail_) {
      std::memmove(tail_, tail_ + 1, sizeof tail_ - 1);
      tail_len_--;
    }
    tail_[tail_len_++] = c;
  }

  template <typename FE, typename FC>
  void end_line(FE &&on_event, FC &&on_comment) {
    std::string_view line(line_);
    uint64_t len = line_len_;
    if (len > 0 && tail_len_ > 0 && tail_[tail_len_ - 1] == '\r') {
      len--;
      tail_len_--;
      if (line.size() > len)
        line.remove_suffix(1);
    }
    if (len == 0) {
      if (pending_) {
        ev_.data = data_;
        on_event(ev_);
      }
      reset_event();
    } else if (line[0] == ':') {
      on_comment();
    } else {
      field(line, len);
    }
    line_.clear();
    line_len_ = 0;
    tail_len_ = 0;
  }

  void field(std::string_view line, uint64_t len) {
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    size_t vstart = colon == std::string_view::npos ? line.size() : colon + 1;
    if (vstart < line.size() && line[vstart] == ' ')
      vstart++;
    std::string_view value = line.substr(vstart);
    pending_ = true; /* `retry` and unknown fields too (the standard ignores unknown ones) */
    if (name == "data") {
      if (ev_.has_data) {
        data_ += '\n';
        data_.append(value);
        ev_.data_bytes += 1 + (len - vstart); /* a later line: just its size */
        return;
      }
      ev_.has_data = true;
      data_.assign(value);
      ev_.data_bytes = len - vstart;
      parse_media_json(value, &ev_.json);
      if (ev_.json.has_data)
        measure_payload(value, len, vstart);
    } else if (name == "id") {
      id_.assign(value);
      ev_.id_text = id_;
      uint64_t v = 0;
      bool ok = !value.empty() && value.size() < 20;
      for (char c : value) {
        if (c < '0' || c > '9')
          ok = false;
        else
          v = v * 10 + static_cast<unsigned>(c - '0');
      }
      ev_.has_id = ok;
      ev_.id = ok ? v : 0;
      ev_.id_other = !ok; /* valid SSE; the caller decides what it means */
    } else if (name == "event") {
      type_.assign(value);
      ev_.type = type_;
    } else if (name == "retry") {
      retry_.assign(value);
      ev_.has_retry = true;
      ev_.retry = retry_;
    }
  }

  /* The decoded size of the JSON `data` string of the first data line,
   * @value (kept part), whose full length is @len with the value at @vstart. */
  void measure_payload(std::string_view value, uint64_t len, size_t vstart) {
    const uint64_t start = vstart + ev_.json.data_start; /* in the line */
    std::string_view tail(tail_, tail_len_);
    if (ev_.json.data_closed) {
      const std::string_view b64 = value.substr(ev_.json.data_start, ev_.json.data_len);
      ev_.payload_size = base64_decoded_size(b64.size(), b64.substr(b64.size() >= 2 ? b64.size() - 2 : 0));
      ev_.payload_ok = true;
    } else if (size_t q = tail.rfind('"'); q != std::string_view::npos) {
      const uint64_t quote_at = len - (tail.size() - q); /* in the line */
      if (quote_at >= start) {
        ev_.payload_size = base64_decoded_size(quote_at - start, tail.substr(0, q));
        ev_.payload_ok = true;
      }
    }
    if (!ev_.payload_ok)
      malformed_++;
  }

  void reset_event() {
    ev_ = SseEvent();
    type_.clear();
    id_.clear();
    retry_.clear();
    data_.clear();
    pending_ = false;
  }

  size_t keep_;
  std::string line_;
  uint64_t line_len_ = 0;
  char tail_[8];
  size_t tail_len_ = 0;
  SseEvent ev_;
  std::string type_, id_, retry_, data_;
  bool pending_ = false;
  uint64_t malformed_ = 0;
};

/* ---- MPEG-TS random access -------------------------------------------- */

/* Finds the first TS packet with the random_access_indicator set in a raw
 * byte stream that starts at a packet boundary (tcpserversink sends whole
 * packets). feed() returns true once such a packet has been seen. */
class TsRaiScanner {
 public:
  bool feed(const uint8_t *p, size_t n) {
    while (n > 0 && !found_ && !lost_) {
      if (pos_ < sizeof hdr_) {
        const size_t take = n < sizeof hdr_ - pos_ ? n : sizeof hdr_ - pos_;
        std::memcpy(hdr_ + pos_, p, take);
        pos_ += take;
        p += take;
        n -= take;
        if (pos_ == sizeof hdr_)
          check();
      } else {
        const size_t take = n < 188 - pos_ ? n : 188 - pos_;
        pos_ += take;
        p += take;
        n -= take;
      }
      if (pos_ == 188)
        pos_ = 0;
    }
    return found_;
  }
  bool found() const { return found_; }
  bool lost_sync() const { return lost_; }

 private:
  void check() {
    if (hdr_[0] != 0x47) {
      lost_ = true;
      return;
    }
    const unsigned afc = (hdr_[3] >> 4) & 3;
    if ((afc == 2 || afc == 3) && hdr_[4] > 0 && (hdr_[5] & 0x40))
      found_ = true;
  }
  uint8_t hdr_[6];
  size_t pos_ = 0;
  bool found_ = false;
  bool lost_ = false;
};

}  // namespace sseparse
