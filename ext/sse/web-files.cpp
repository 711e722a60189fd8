/* Player files for `/`; see web-files.h. */
#include "web-files.h"

#include <glib.h>

#include <cstring>

namespace gstsse {

bool web_path_is_safe(const std::string &p) {
  if (p.empty() || p[0] != '/' || p.find('\0') != std::string::npos || p.find('\\') != std::string::npos)
    return false;
  size_t start = 1;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos)
      end = p.size();
    const std::string seg = p.substr(start, end - start);
    if (seg == ".." || seg == ".")
      return false;
    if (!seg.empty() && seg[0] == '.')
      return false; /* no dotfiles */
    start = end + 1;
  }
  return true;
}

const char *web_content_type(const std::string &path) {
  static const struct {
    const char *ext, *type;
  } types[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"},
  };
  for (const auto &t : types) {
    const size_t n = strlen(t.ext);
    if (path.size() >= n && path.compare(path.size() - n, n, t.ext) == 0)
      return t.type;
  }
  return "application/octet-stream";
}

bool web_lookup(const std::string &root, const std::string &url_path, WebFile *out) {
  const std::string path = url_path == "/" ? "/index.html" : url_path;
  if (!web_path_is_safe(path))
    return false;
  if (root.empty()) {
    for (const EmbeddedAsset *a = kEmbeddedAssets; a->path; a++) {
      if (path == a->path) {
        out->content_type = a->content_type;
        out->body.assign(reinterpret_cast<const char *>(a->data), a->size);
        return true;
      }
    }
    return false;
  }

  /* Resolve symlinks on both sides and require the file to stay inside. */
  char *real_root = realpath(root.c_str(), nullptr);
  if (!real_root)
    return false;
  const std::string candidate = std::string(real_root) + path;
  char *real_file = realpath(candidate.c_str(), nullptr);
  bool ok = false;
  if (real_file) {
    const std::string rr = real_root, rf = real_file;
    if (rf.size() > rr.size() && rf.compare(0, rr.size(), rr) == 0 && rf[rr.size()] == '/' &&
        g_file_test(real_file, G_FILE_TEST_IS_REGULAR)) {
      gchar *contents = nullptr;
      gsize len = 0;
      if (g_file_get_contents(real_file, &contents, &len, nullptr)) {
        out->body.assign(contents, len);
        out->content_type = web_content_type(rf);
        g_free(contents);
        ok = true;
      }
    }
    free(real_file);
  }
  free(real_root);
  return ok;
}

}  // namespace gstsse
