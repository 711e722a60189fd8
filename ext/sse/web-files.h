/* The player's files, as ssesink serves them at `/`: compiled into the
 * plugin (embed-web.py), or read from a directory (the web-root property)
 * with no way out of it. */
#pragma once

#include <cstddef>
#include <string>

namespace gstsse {

struct EmbeddedAsset {
  const char *path; /* URL path, e.g. "/src/main.js" */
  const char *content_type;
  const unsigned char *data;
  size_t size;
};
extern const EmbeddedAsset kEmbeddedAssets[]; /* ends with a null path */

struct WebFile {
  std::string content_type;
  std::string body;
};

/* Maps a request path to a file below @root (empty: the embedded assets).
 * Refuses anything that could leave @root: "..", backslashes, NUL, and
 * symlinks resolving outside it. "/" maps to index.html. */
bool web_lookup(const std::string &root, const std::string &url_path, WebFile *out);

/* True when @url_path is safe to map below a root ("/a/b.js": yes,
 * "/../x", "/a/%2e%2e" after decoding, "/a\\b": no). Exposed for tests. */
bool web_path_is_safe(const std::string &url_path);

/* Content type by file extension (text/html, text/css, text/javascript,
 * application/json, image/png, image/svg+xml, else application/octet-stream). */
const char *web_content_type(const std::string &path);

}  // namespace gstsse
