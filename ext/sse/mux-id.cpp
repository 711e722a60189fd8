/* Mux ids and the paths list; see mux-id.h. */
#include "mux-id.h"

#include <algorithm>

#include "resume.h"

namespace gstsse {
namespace {

constexpr std::string_view kVersion = "m1";

bool must_escape(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == ';' || c == '=' || c == '%';
}

void append_escaped(std::string &out, std::string_view path) {
  static const char kHex[] = "0123456789ABCDEF";
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (!must_escape(c)) {
      out.push_back(ch);
      continue;
    }
    out.push_back('%');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool unescape(std::string_view in, std::string *out) {
  out->clear();
  for (size_t i = 0; i < in.size(); i++) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c != '%') {
      if (must_escape(c))
        return false;
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size())
      return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0)
      return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

std::string encode_mux_id(const std::vector<MuxPosition> &positions, size_t max_bytes) {
  std::vector<std::string> entries;
  entries.reserve(positions.size());
  for (const auto &p : positions) {
    std::string e = ";";
    append_escaped(e, p.path);
    e += '=';
    e += std::to_string(p.seq);
    entries.push_back(std::move(e));
  }
  size_t total = kVersion.size();
  for (const auto &e : entries)
    total += e.size();
  size_t first = 0;
  while (total > max_bytes && first < entries.size())
    total -= entries[first++].size();
  std::string id(kVersion);
  id.reserve(total);
  for (size_t i = first; i < entries.size(); i++)
    id += entries[i];
  return id;
}

bool decode_mux_id(std::string_view text, std::vector<MuxPosition> *out) {
  out->clear();
  if (text.size() > kMaxMuxIdBytes || text.substr(0, kVersion.size()) != kVersion)
    return false;
  std::string_view rest = text.substr(kVersion.size());
  while (!rest.empty()) {
    if (rest[0] != ';')
      return false;
    rest.remove_prefix(1);
    const size_t end = std::min(rest.find(';'), rest.size());
    const std::string_view entry = rest.substr(0, end);
    rest.remove_prefix(end);
    const size_t eq = entry.rfind('=');
    if (eq == std::string_view::npos)
      return false;
    MuxPosition p;
    if (!unescape(entry.substr(0, eq), &p.path) || p.path.empty() || p.path[0] != '/' ||
        !parse_event_id(entry.substr(eq + 1), &p.seq))
      return false;
    for (const auto &q : *out)
      if (q.path == p.path)
        return false;
    out->push_back(std::move(p));
  }
  return true;
}

bool parse_mux_paths(std::string_view value, std::vector<std::string> *out, std::string *error) {
  out->clear();
  while (!value.empty()) {
    const size_t end = std::min(value.find(','), value.size());
    const std::string_view item = value.substr(0, end);
    value.remove_prefix(std::min(end + 1, value.size()));
    if (item.empty())
      continue;
    if (item[0] != '/') {
      *error = "path \"" + std::string(item.substr(0, 64)) + "\" does not start with '/'";
      return false;
    }
    if (std::find(out->begin(), out->end(), item) != out->end())
      continue;
    if (out->size() == kMaxMuxPaths) {
      *error = "more than " + std::to_string(kMaxMuxPaths) + " paths";
      return false;
    }
    out->emplace_back(item);
  }
  return true;
}

}  // namespace gstsse
