/* SSE/JSON/Base64 encoding for ssesink; see event-encoder.h. */
#include "event-encoder.h"

#include <array>
#include <cstdio>

namespace gstsse {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Two output characters per 12 input bits: one table lookup per half of a
 * 3-byte group instead of four, which roughly doubles throughput. */
struct PairTable {
  std::array<uint16_t, 4096> v{};
  constexpr PairTable() {
    for (unsigned i = 0; i < 4096; i++) {
      const auto hi = static_cast<uint8_t>(kAlphabet[i >> 6]);
      const auto lo = static_cast<uint8_t>(kAlphabet[i & 63]);
      /* Stored in memory order: first character at the lower address. */
      v[i] = static_cast<uint16_t>(hi | (lo << 8));
    }
  }
};
constexpr PairTable kPairs;

inline void store_pair(char *dst, unsigned idx) {
  const uint16_t p = kPairs.v[idx];
  dst[0] = static_cast<char>(p & 0xff);
  dst[1] = static_cast<char>(p >> 8);
}

}  // namespace

void base64_append(std::string &out, const uint8_t *data, size_t size) {
  const size_t start = out.size();
  out.resize(start + base64_length(size));
  char *dst = out.data() + start;
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    store_pair(dst, v >> 12);
    store_pair(dst + 2, v & 0xfff);
    dst += 4;
  }
  const size_t rest = size - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{data[i]} << 16;
    dst[0] = kAlphabet[(v >> 18) & 63];
    dst[1] = kAlphabet[(v >> 12) & 63];
    dst[2] = '=';
    dst[3] = '=';
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    dst[0] = kAlphabet[(v >> 18) & 63];
    dst[1] = kAlphabet[(v >> 12) & 63];
    dst[2] = kAlphabet[(v >> 6) & 63];
    dst[3] = '=';
  }
}

void json_append_string(std::string &out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string encode_media_event(const MediaEventFields &f, const uint8_t *ts, size_t size) {
  const std::string seq = std::to_string(f.seq);
  std::string out;
  out.reserve(128 + 2 * seq.size() + base64_length(size));
  out += "id: ";
  out += seq;
  out += "\ndata: {\"seq\":";
  out += seq;
  out += f.key ? ",\"key\":true" : ",\"key\":false";
  out += ",\"pts\":";
  out += f.pts_ns < 0 ? std::string("null") : std::to_string(f.pts_ns);
  out += ",\"ts\":";
  out += std::to_string(f.ts_us);
  out += ",\"data\":\"";
  base64_append(out, ts, size);
  out += "\"}\n\n";
  return out;
}

std::string stream_event_json(std::string_view caps, uint64_t epoch, std::string_view path, std::string_view fields) {
  std::string json = "{\"protocol\":1,\"caps\":";
  if (caps.empty())
    json += "null";
  else
    json_append_string(json, caps);
  json += ",\"epoch\":" + std::to_string(epoch);
  json += ",\"path\":";
  json_append_string(json, path);
  if (!fields.empty()) {
    json += ',';
    json += fields;
  }
  json += "}";
  return json;
}

bool StreamDescription::set_caps(std::string_view c) {
  if (caps == c)
    return false;
  caps = c;
  return true;
}

bool StreamDescription::set_fields(std::string_view f) {
  if (fields == f)
    return false;
  fields = f;
  return true;
}

bool find_data_field(std::string_view wire, size_t *offset, size_t *length) {
  constexpr std::string_view kField = "data: ";
  size_t at = 0;
  while (at < wire.size()) {
    if (wire.compare(at, kField.size(), kField) == 0) {
      const size_t start = at + kField.size();
      const size_t end = wire.find('\n', start);
      *offset = start;
      *length = (end == std::string_view::npos ? wire.size() : end) - start;
      return true;
    }
    const size_t nl = wire.find('\n', at);
    if (nl == std::string_view::npos)
      break;
    at = nl + 1;
  }
  return false;
}

std::string encode_named_event(std::string_view name, std::string_view json) {
  std::string out;
  out.reserve(16 + name.size() + json.size());
  out += "event: ";
  out += name;
  out += "\ndata: ";
  out += json;
  out += "\n\n";
  return out;
}

std::string encode_comment(std::string_view text) {
  std::string out = ": ";
  out += text;
  out += "\n\n";
  return out;
}

std::string encode_retry(unsigned ms) {
  return "retry: " + std::to_string(ms) + "\n";
}

std::string encode_eos_event() {
  return encode_named_event("eos", "{}");
}

std::string gap_event_json(uint64_t events, uint64_t bytes, uint64_t first, uint64_t last) {
  return "{\"dropped\":" + std::to_string(events) + ",\"bytes\":" + std::to_string(bytes) +
         ",\"first\":" + std::to_string(first) + ",\"last\":" + std::to_string(last) + "}";
}

std::string encode_gap_event(uint64_t events, uint64_t bytes, uint64_t first, uint64_t last) {
  return encode_named_event("gap", gap_event_json(events, bytes, first, last));
}

std::string reset_event_json(std::string_view reason, std::string_view last_event_id, uint64_t epoch) {
  std::string json = "{\"reason\":";
  json_append_string(json, reason);
  json += ",\"lastEventId\":";
  json_append_string(json, last_event_id.substr(0, 64));
  json += ",\"epoch\":" + std::to_string(epoch) + "}";
  return json;
}

std::string encode_reset_event(std::string_view reason, std::string_view last_event_id, uint64_t epoch) {
  return encode_named_event("reset", reset_event_json(reason, last_event_id, epoch));
}

std::string encode_expired_event(std::string_view reason) {
  std::string json = "{\"reason\":";
  json_append_string(json, reason);
  json += "}";
  return encode_named_event("expired", json);
}

std::string encode_keepalive() {
  return encode_comment("keepalive");
}

}  // namespace gstsse

namespace gstsse {

std::string encode_mux_head(std::string_view head, std::string_view tag) {
  std::string out;
  out.reserve(head.size() + tag.size() + 8);
  while (!head.empty()) {
    const size_t nl = head.find('\n');
    const std::string_view line = head.substr(0, nl == std::string_view::npos ? head.size() : nl + 1);
    if (line.substr(0, 3) != "id:")
      out += line;
    head.remove_prefix(line.size());
  }
  out += "data: ";
  out += tag;
  out += '\n';
  return out;
}

std::string encode_tagged_event(std::string_view name, std::string_view tag, std::string_view json) {
  std::string out = "event: ";
  out += name;
  out += "\ndata: ";
  out += tag;
  out += "\ndata: ";
  out += json;
  out += "\n\n";
  return out;
}

std::string encode_streams_event(const std::vector<std::string> &streams, const std::vector<std::string> &missing) {
  std::string json = "{\"protocol\":1,\"streams\":[";
  for (size_t i = 0; i < streams.size(); i++) {
    if (i)
      json += ',';
    json_append_string(json, streams[i]);
  }
  json += "],\"missing\":[";
  for (size_t i = 0; i < missing.size(); i++) {
    if (i)
      json += ',';
    json_append_string(json, missing[i]);
  }
  json += "]}";
  return encode_named_event("streams", json);
}

}  // namespace gstsse
