/* Signed expiring access (JWT) on the real element: every kind of good and
 * bad token gets its status and no stream data, RS256/ES256 public keys
 * refuse the HS/RS confusion, keys rotate while PLAYING, and a token that
 * expires mid-stream ends only its own client, with `event: expired`.
 * Tokens are minted by jwt-mint.py (PyJWT, and by hand for the hostile
 * ones), keys by openssl: nothing here shares code with libjwt. */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include <ctime>

#include "sse-client.h"
#include "test-helpers.h"

namespace {

const std::string kSecret = "an-hs256-secret-of-32-bytes-or-more!";
const std::string kOtherSecret = "another-hs256-secret-of-32-bytes-or-more";

/* Runs @argv; returns its stdout without the final newline ("" on failure). */
std::string run(std::vector<std::string> argv) {
  std::vector<gchar *> a;
  for (auto &s : argv)
    a.push_back(const_cast<gchar *>(s.c_str()));
  a.push_back(nullptr);
  gchar *out = nullptr, *err = nullptr;
  gint status = -1;
  const gboolean ok =
      g_spawn_sync(nullptr, a.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err, &status, nullptr);
  std::string r = ok && status == 0 && out ? out : "";
  fail_unless(ok && status == 0, "%s failed: %s", argv[0].c_str(), err ? err : "?");
  g_free(out);
  g_free(err);
  while (!r.empty() && r.back() == '\n')
    r.pop_back();
  return r;
}

/* Debian's python3, which has python3-jwt (PyJWT). */
std::string mint(const std::string &mode, const std::string &key, const std::string &claims) {
  if (mode == "none")
    return run({"/usr/bin/python3", SSE_JWT_MINT, mode, claims});
  return run({"/usr/bin/python3", SSE_JWT_MINT, mode, key, claims});
}

long now_s() {
  return static_cast<long>(time(nullptr));
}

/* Claims granting @paths (a JSON array), valid for @ttl seconds. */
std::string claims(const std::string &paths = "[\"/cam1\"]", long ttl = 600, const std::string &extra = "") {
  return "{\"exp\":" + std::to_string(now_s() + ttl) + ",\"sse_paths\":" + paths + extra + "}";
}

/* A key pair in @dir: @name.pem (private) and @name.pub (public). */
void make_key(const std::string &dir, const std::string &name, bool ec) {
  const std::string priv = dir + "/" + name + ".pem", pub = dir + "/" + name + ".pub";
  if (ec)
    run({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", priv});
  else
    run({"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", priv});
  run({"openssl", "pkey", "-in", priv, "-pubout", "-out", pub});
}

/* GET @path with @token as ?token=: the status, and no events unless 200. */
unsigned status_for(int port, const std::string &token, const std::string &path = "/cam1",
                    std::string *www_authenticate = nullptr) {
  SseClient c(port, path + "?token=" + token);
  if (www_authenticate)
    *www_authenticate = c.header("WWW-Authenticate");
  if (c.status() == 200) {
    read_media(c, 2);
  } else {
    SseEvent ev;
    fail_if(c.next(&ev), "a %u answer carried an event", c.status());
  }
  return c.status();
}

Pipe jwt_pipe(const std::string &keys, const std::string &extra = "") {
  Pipe p = Pipe::video(30, "port=0 path=/cam1 " + extra);
  g_object_set(p.sink, "jwt-key", keys.c_str(), nullptr);
  return p;
}

}  // namespace

GST_START_TEST(test_jwt_hs256_claims) {
  Pipe p = jwt_pipe(kSecret, "jwt-audience=viewers jwt-issuer=https://app.example");
  p.play();
  const std::string ok_extra = ",\"aud\":[\"other\",\"viewers\"],\"iss\":\"https://app.example\"";
  const std::string good = mint("hs", kSecret, claims("[\"/cam1\"]", 600, ok_extra));
  fail_unless_equals_int(status_for(p.port, good), 200);
  {
    SseClient cookie(p.port, "/cam1", "GET", {{"Cookie", "a=b; sse_token=" + good}});
    fail_unless_equals_int(cookie.status(), 200);
    read_media(cookie, 2);
    SseClient bearer(p.port, "/cam1", "GET", {{"Authorization", "Bearer " + good}});
    fail_unless_equals_int(bearer.status(), 200);
    read_media(bearer, 2);
    SseClient none(p.port, "/cam1");
    fail_unless_equals_int(none.status(), 401);
  }
  /* The shell recipe of docs/security.md (openssl only). */
  const std::string recipe =
      "SECRET=\"$1\"; b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }\n"
      "header=$(printf '{\"alg\":\"HS256\",\"typ\":\"JWT\"}' | b64url)\n"
      "payload=$(printf '{\"exp\":%d,\"sse_paths\":[\"/cam1\"],\"aud\":\"viewers\",\"iss\":\"https://app.example\"}' "
      "$(( $(date +%s) + 300 )) | b64url)\n"
      "sig=$(printf '%s.%s' \"$header\" \"$payload\" | openssl dgst -sha256 -hmac \"$SECRET\" -binary | b64url)\n"
      "echo \"$header.$payload.$sig\"\n";
  fail_unless_equals_int(status_for(p.port, run({"bash", "-c", recipe, "sh", kSecret})), 200);
  /* A prefix grant. */
  fail_unless_equals_int(status_for(p.port, mint("hs", kSecret, claims("[\"/x\",\"/ca*\"]", 600, ok_extra))), 200);

  std::string www;
  fail_unless_equals_int(status_for(p.port, mint("hs", kSecret, claims("[\"/cam1\"]", -3600, ok_extra)), "/cam1", &www),
                         401);
  fail_unless(www.find("invalid_token") != std::string::npos && www.find("expired") != std::string::npos, "%s",
              www.c_str());
  const std::string later = "{\"exp\":" + std::to_string(now_s() + 7200) +
                            ",\"nbf\":" + std::to_string(now_s() + 3600) + ",\"sse_paths\":[\"/cam1\"]" + ok_extra +
                            "}";
  fail_unless_equals_int(status_for(p.port, mint("hs", kSecret, later), "/cam1", &www), 401);
  fail_unless(www.find("not yet valid") != std::string::npos, "%s", www.c_str());

  const std::string wrong_aud = ",\"aud\":\"others\",\"iss\":\"https://app.example\"";
  fail_unless_equals_int(status_for(p.port, mint("hs", kSecret, claims("[\"/cam1\"]", 600, wrong_aud))), 403);
  const std::string wrong_iss = ",\"aud\":\"viewers\",\"iss\":\"https://evil.example\"";
  fail_unless_equals_int(status_for(p.port, mint("hs", kSecret, claims("[\"/cam1\"]", 600, wrong_iss))), 403);
  fail_unless_equals_int(status_for(p.port, mint("hs", kSecret, claims("[\"/cam2\",\"/cam1/*\"]", 600, ok_extra))),
                         403);
  fail_unless_equals_int(status_for(p.port, mint("hs", kSecret, "{\"sse_paths\":[\"/cam1\"],\"aud\":\"viewers\"}")),
                         403); /* no exp */
  /* A claim of the wrong type. */
  fail_unless_equals_int(
      status_for(p.port, mint("hs", kSecret, "{\"exp\":\"tomorrow\",\"sse_paths\":[\"/cam1\"]" + ok_extra + "}")), 403);
  /* Tampered: the payload changed after signing (a path granted by hand). */
  fail_unless_equals_int(status_for(p.port, mint("tamper", mint("hs", kSecret, claims("[\"/cam2\"]", 600, ok_extra)),
                                                 claims("[\"/cam1\"]", 600, ok_extra))),
                         403);
  fail_unless_equals_int(status_for(p.port, mint("none", "", claims("[\"/cam1\"]", 600, ok_extra))), 403);
  fail_unless_equals_int(status_for(p.port, mint("hs", kOtherSecret, claims("[\"/cam1\"]", 600, ok_extra))), 403);
  fail_unless_equals_int(status_for(p.port, "not.a-token"), 403);
  gchar *key = nullptr;
  g_object_get(p.sink, "jwt-key", &key, nullptr);
  fail_unless(key == nullptr, "jwt-key is write-only");
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_jwt_public_keys_and_confusion) {
  gchar *dir = g_dir_make_tmp("ssesink-jwt-XXXXXX", nullptr);
  const std::string d = dir;
  make_key(d, "rsa", false);
  make_key(d, "ec", true);
  make_key(d, "rsa2", false);
  Pipe p = jwt_pipe(d + "/rsa.pub, " + d + "/ec.pub");
  p.play();
  fail_unless_equals_int(status_for(p.port, mint("rs", d + "/rsa.pem", claims())), 200);
  fail_unless_equals_int(status_for(p.port, mint("es", d + "/ec.pem", claims())), 200);
  /* HS256 keyed with a public key's PEM, which an attacker can read. */
  fail_unless_equals_int(status_for(p.port, mint("confuse", d + "/rsa.pub", claims())), 403);
  fail_unless_equals_int(status_for(p.port, mint("confuse", d + "/ec.pub", claims())), 403);
  fail_unless_equals_int(status_for(p.port, mint("rs", d + "/rsa2.pem", claims())), 403); /* wrong key */
  fail_unless_equals_int(status_for(p.port, mint("none", "", claims())), 403);
  p.release();

  /* A key that cannot be used fails the start with a message naming it. */
  Pipe bad = jwt_pipe("short-secret");
  fail_unless(gst_element_set_state(bad.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  const std::string text = bus_error_text(bad.pipeline);
  fail_unless(text.find("jwt-key") != std::string::npos && text.find("short-secret") == std::string::npos, "%s",
              text.c_str());
  bad.release();
  Pipe priv = jwt_pipe(d + "/rsa.pem");
  fail_unless(gst_element_set_state(priv.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless(bus_error_text(priv.pipeline).find("not a PEM public key") != std::string::npos);
  priv.release();
  for (const char *f : {"rsa.pem", "rsa.pub", "ec.pem", "ec.pub", "rsa2.pem", "rsa2.pub"})
    g_remove((d + "/" + f).c_str());
  g_rmdir(dir);
  g_free(dir);
}
GST_END_TEST;

GST_START_TEST(test_jwt_rotation_while_playing) {
  Pipe p = jwt_pipe(kSecret);
  p.play();
  const std::string old_token = mint("hs", kSecret, claims());
  const std::string new_token = mint("hs", kOtherSecret, claims());
  fail_unless_equals_int(status_for(p.port, old_token), 200);
  fail_unless_equals_int(status_for(p.port, new_token), 403);
  /* The new key added beside the old one, then the old one removed. */
  g_object_set(p.sink, "jwt-key", (kOtherSecret + "," + kSecret).c_str(), nullptr);
  fail_unless_equals_int(status_for(p.port, old_token), 200);
  fail_unless_equals_int(status_for(p.port, new_token), 200);
  g_object_set(p.sink, "jwt-key", kOtherSecret.c_str(), nullptr);
  fail_unless_equals_int(status_for(p.port, old_token), 403);
  fail_unless_equals_int(status_for(p.port, new_token), 200);
  /* The claims settings change while playing too. */
  g_object_set(p.sink, "jwt-audience", "viewers", nullptr);
  fail_unless_equals_int(status_for(p.port, new_token), 403);
  fail_unless_equals_int(
      status_for(p.port, mint("hs", kOtherSecret, claims("[\"/cam1\"]", 600, ",\"aud\":\"viewers\""))), 200);
  p.release();
}
GST_END_TEST;

/* A token that runs out mid-stream: that client gets `event: expired` and
 * its body ends; a client with a longer token goes on. */
GST_START_TEST(test_jwt_expiry_mid_stream) {
  Pipe p = jwt_pipe(kSecret, "jwt-leeway=0");
  Recorder rec;
  rec.attach(p.sink);
  p.play();
  SseClient short_lived(p.port, "/cam1?token=" + mint("hs", kSecret, claims("[\"/cam1\"]", 3)));
  SseClient long_lived(p.port, "/cam1", "GET", {{"Authorization", "Bearer " + mint("hs", kSecret, claims())}});
  fail_unless_equals_int(short_lived.status(), 200);
  fail_unless_equals_int(long_lived.status(), 200);
  read_media(short_lived, 2);
  read_media(long_lived, 2);
  SseEvent ev;
  bool expired = false;
  while (!expired && short_lived.next(&ev))
    expired = ev.event == "expired";
  fail_unless(expired, "no expired event: %s", short_lived.error().c_str());
  fail_unless(ev.data == "{\"reason\":\"token expired\"}", "%s", ev.data.c_str());
  fail_if(short_lived.next(&ev), "an event after expired");
  fail_unless(short_lived.ended_cleanly(), "the body did not end cleanly: %s", short_lived.error().c_str());
  fail_unless(rec.wait([&] { return rec.removed.size() == 1; }));
  fail_unless_equals_int(rec.removed.begin()->second, 5 /* GST_SSE_SINK_REMOVE_EXPIRED */);
  /* The other client goes on. */
  read_media(long_lived, 30);
  guint n = 0;
  g_object_get(p.sink, "num-clients", &n, nullptr);
  fail_unless_equals_int(n, 1);
  p.release();
}
GST_END_TEST;

/* The multiplexed endpoint checks every path asked for against the token. */
GST_START_TEST(test_jwt_mux_every_path) {
  const int port = free_port();
  const std::string n = std::to_string(port);
  Pipe p(
      "videotestsrc is-live=true ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! x264enc "
      "tune=zerolatency speed-preset=ultrafast key-int-max=30 ! mpegtsmux ! tee name=t t. ! queue ! ssesink "
      "name=sink path=/a port=" +
      n + " t. ! queue ! ssesink name=sink2 path=/b port=" + n);
  GstElement *sink2 = gst_bin_get_by_name(GST_BIN(p.pipeline), "sink2");
  for (GstElement *s : {p.sink, sink2})
    g_object_set(s, "jwt-key", kSecret.c_str(), nullptr);
  p.play();
  const std::string only_a = mint("hs", kSecret, claims("[\"/a\"]"));
  const std::string both = mint("hs", kSecret, claims("[\"/a\",\"/b\"]"));
  {
    SseClient c(port, "/streams?paths=/a,/b&token=" + only_a);
    fail_unless_equals_int(c.status(), 403);
    SseEvent ev;
    fail_if(c.next(&ev), "a refused mux request carried an event");
  }
  {
    SseClient c(port, "/streams?paths=/a&token=" + only_a);
    fail_unless_equals_int(c.status(), 200);
    SseClient d(port, "/streams?paths=/a,/b&token=" + both);
    fail_unless_equals_int(d.status(), 200);
  }
  gst_object_unref(sink2);
  p.release();
}
GST_END_TEST;

static Suite *jwt_suite(void) {
  Suite *s = suite_create("ssesink-jwt");
  TCase *tc = tcase_create("jwt");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_jwt_hs256_claims);
  tcase_add_test(tc, test_jwt_public_keys_and_confusion);
  tcase_add_test(tc, test_jwt_rotation_while_playing);
  tcase_add_test(tc, test_jwt_expiry_mid_stream);
  tcase_add_test(tc, test_jwt_mux_every_path);
  return s;
}

GST_CHECK_MAIN(jwt);
