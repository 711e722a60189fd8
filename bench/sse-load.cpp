/* sse-load: many concurrent stream clients in one process (epoll, non-blocking
 * sockets), for join storms and the benchmark suite (docs/performance.md).
 *
 *   --mode sse  GET <path> over HTTP/1.1, chunked body, text/event-stream:
 *               checks ids are consecutive, measures join time (connect ->
 *               first key media event) and latency (receipt - `ts`). Through
 *               nchan, whose ids are its own, the JSON `seq` is checked.
 *   --gzip      (sse) ask for Accept-Encoding: gzip and inflate a gzip body
 *               (zlib, one stream per client) before parsing it; the wire
 *               bytes are then the compressed ones.
 *   --mode tcp  raw bytes (tcpserversink): join time is connect -> first TS
 *               packet with the random-access indicator.
 *
 * Clients start at --connect-rate per second (0: all at once), taking the
 * --port list (e.g. two nchan nodes) in turn, and the run ends --duration
 * seconds after the last one started. With --pid, the server processes' CPU
 * time and RSS are sampled over the steady part of the run.
 * Parsing lives in tests/common/sse-parse.h, shared with the C++ tests. */
#include "sse-parse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

using namespace sseparse;

namespace {

int64_t mono_us() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t{t.tv_sec} * 1000000 + t.tv_nsec / 1000;
}

int64_t real_us() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return int64_t{t.tv_sec} * 1000000 + t.tv_nsec / 1000;
}

struct Options {
  std::string mode = "sse";
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<int> ports; /* --port A,B: client i connects to ports[i % size] */
  std::string path = "/stream";
  int clients = 1;
  double connect_rate = 0;
  double duration = 10;
  bool json = false;
  double wait = 0;         /* seconds to wait for the server to serve */
  bool check = false;      /* exit status 1 unless every client was clean */
  double expect_rate = 0;  /* payload bytes/s, for streams without ids */
  double warmup = -1;      /* seconds after the ramp before sampling; -1 auto */
  std::vector<int> pids;   /* server processes to sample */
  std::string label;       /* copied into the JSON summary */
  std::string clients_csv; /* per-client figures, one line each */
  std::string events_csv;  /* every media event of the first client */
  bool http10 = false;     /* ask for HTTP/1.0: a close-delimited body */
  bool gzip = false;       /* ask for gzip and inflate it */
  /* Ignore media events before the first key one (nchan's replay). */
  bool skip_to_key = false;
};

[[noreturn]] void usage(int status) {
  std::fprintf(status ? stderr : stdout,
               "usage: sse-load [--mode sse|tcp] [--host H] [--port P[,P2...]] [--path /stream]\n"
               "                [--clients N] [--connect-rate R] [--duration S] [--json]\n"
               "                [--wait S] [--check] [--expect-rate BYTES_PER_S]\n"
               "                [--pid PID]... [--warmup S] [--label L] [--clients-csv FILE]\n"
               "                [--events-csv FILE] [--http1.0] [--gzip] [--skip-to-key]\n");
  std::exit(status);
}

Options parse_args(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sse-load: %s needs a value\n", a.c_str());
        usage(2);
      }
      return argv[++i];
    };
    if (a == "--mode")
      o.mode = val();
    else if (a == "--host")
      o.host = val();
    else if (a == "--port") {
      std::istringstream list(val());
      for (std::string p; std::getline(list, p, ',');)
        o.ports.push_back(std::atoi(p.c_str()));
      o.port = o.ports.empty() ? 0 : o.ports[0];
    } else if (a == "--path")
      o.path = val();
    else if (a == "--clients")
      o.clients = std::atoi(val().c_str());
    else if (a == "--connect-rate")
      o.connect_rate = std::atof(val().c_str());
    else if (a == "--duration")
      o.duration = std::atof(val().c_str());
    else if (a == "--json")
      o.json = true;
    else if (a == "--wait")
      o.wait = std::atof(val().c_str());
    else if (a == "--check")
      o.check = true;
    else if (a == "--expect-rate")
      o.expect_rate = std::atof(val().c_str());
    else if (a == "--warmup")
      o.warmup = std::atof(val().c_str());
    else if (a == "--pid")
      o.pids.push_back(std::atoi(val().c_str()));
    else if (a == "--label")
      o.label = val();
    else if (a == "--clients-csv")
      o.clients_csv = val();
    else if (a == "--events-csv")
      o.events_csv = val();
    else if (a == "--http1.0")
      o.http10 = true;
    else if (a == "--gzip")
      o.gzip = true;
    else if (a == "--skip-to-key")
      o.skip_to_key = true;
    else if (a == "-h" || a == "--help")
      usage(0);
    else {
      std::fprintf(stderr, "sse-load: unknown option %s\n", a.c_str());
      usage(2);
    }
  }
  if (o.ports.empty())
    o.ports.push_back(o.port);
  const bool bad_port = std::any_of(o.ports.begin(), o.ports.end(), [](int p) { return p <= 0 || p > 65535; });
  if ((o.mode != "sse" && o.mode != "tcp") || o.clients < 1 || bad_port || o.duration < 0) {
    std::fprintf(stderr, "sse-load: bad --mode, --clients, --port or --duration\n");
    usage(2);
  }
  return o;
}

/* ---- server process figures (/proc) ----------------------------------- */

struct ProcSample {
  double cpu_s = 0; /* utime + stime of every thread */
  uint64_t rss_kib = 0;
  uint64_t hwm_kib = 0; /* peak RSS */
};

bool read_proc(int pid, ProcSample *s) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text))
    return false;
  /* Fields after the parenthesised command name, which may hold spaces. */
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int field = 3; rest >> f; field++) {
    if (field == 14)
      utime = std::strtoull(f.c_str(), nullptr, 10);
    if (field == 15) {
      stime = std::strtoull(f.c_str(), nullptr, 10);
      break;
    }
  }
  s->cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      s->rss_kib = std::strtoull(line.c_str() + 6, nullptr, 10);
    else if (line.rfind("VmHWM:", 0) == 0)
      s->hwm_kib = std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return true;
}

double self_cpu() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

ProcSample read_procs(const std::vector<int> &pids) {
  ProcSample sum;
  for (int pid : pids) {
    ProcSample s;
    if (read_proc(pid, &s)) {
      sum.cpu_s += s.cpu_s;
      sum.rss_kib += s.rss_kib;
      sum.hwm_kib += s.hwm_kib;
    }
  }
  return sum;
}

/* ---- clients ----------------------------------------------------------- */

enum class Fail { kNone, kRefused, kConnect, kHttp503, kHttpOther, kClosed, kProtocol, kNoJoin };

const char *fail_name(Fail f) {
  switch (f) {
    case Fail::kNone: return "ok";
    case Fail::kRefused: return "refused";
    case Fail::kConnect: return "connect-error";
    case Fail::kHttp503: return "http-503";
    case Fail::kHttpOther: return "http-other";
    case Fail::kClosed: return "closed-early";
    case Fail::kProtocol: return "protocol-error";
    case Fail::kNoJoin: return "never-joined";
  }
  return "?";
}

struct Client {
  enum class State { kWaiting, kConnecting, kHead, kBody, kEnded };
  int fd = -1;
  State state = State::kWaiting;
  Fail fail = Fail::kNone;
  int sys_errno = 0;
  int64_t t_start = 0;      /* monotonic, connect() called */
  int64_t t_start_real = 0; /* wall clock, same moment */
  int64_t t_first_byte = -1;
  int64_t t_join = -1; /* first key media event (tcp: first RAI packet) */
  int status = 0;
  std::string head;
  bool chunked = false;
  ChunkedDecoder dechunk;
  SseParser sse;
  TsRaiScanner rai;
  bool eos = false;
  uint64_t wire_bytes = 0;    /* everything read from the socket */
  uint64_t payload_bytes = 0; /* TS bytes (decoded Base64 in sse mode) */
  uint64_t events = 0;        /* media events */
  uint64_t skipped = 0;       /* media events before the first key one (--skip-to-key) */
  uint64_t named_events = 0, comments = 0;
  uint64_t lost = 0;         /* ids skipped */
  uint64_t out_of_order = 0; /* ids not above the previous one */
  bool have_id = false;
  uint64_t first_id = 0, last_id = 0;
  bool first_media_seen = false;
  bool first_media_key = false;
  bool key_field = false; /* the stream marks key events */
  /* Content-Encoding: gzip: the body is inflated here first. */
  struct Inflater {
    z_stream z{};
    Inflater() { inflateInit2(&z, 16 + 15); }
    ~Inflater() { inflateEnd(&z); }
  };
  std::unique_ptr<Inflater> gz;
  bool gz_done = false; /* the gzip trailer was read and checked */
};

struct Totals {
  std::vector<int32_t> latency_us;                 /* live events only, see on_media */
  std::unordered_map<uint64_t, uint32_t> seq_size; /* payload size by id */
  uint64_t max_id = 0;
};

class Runner {
 public:
  Runner(const Options &o, int clients, bool until_joined) : o_(o), until_joined_(until_joined), c_(clients) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (!o.events_csv.empty() && !until_joined) {
      events_csv_ = std::fopen(o.events_csv.c_str(), "w");
      if (events_csv_)
        std::fprintf(events_csv_, "id,key,payload_bytes,ts_us,receipt_us,latency_us\n");
    }
    for (int port : o.ports) {
      requests_.push_back("GET " + o.path + (o.http10 ? " HTTP/1.0" : " HTTP/1.1") + "\r\nHost: " + o.host + ":" +
                          std::to_string(port) +
                          "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\nUser-Agent: sse-load\r\n" +
                          (o.gzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n");
      sockaddr_in addr;
      std::memset(&addr, 0, sizeof addr);
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) {
        std::fprintf(stderr, "sse-load: --host must be an IPv4 address\n");
        std::exit(2);
      }
      addrs_.push_back(addr);
    }
  }
  ~Runner() {
    for (auto &c : c_)
      if (c.fd >= 0)
        close(c.fd);
    close(ep_);
    if (events_csv_)
      std::fclose(events_csv_);
  }

  void run(double duration_s) {
    const int64_t t0 = mono_us();
    const int n = static_cast<int>(c_.size());
    const double rate = o_.connect_rate;
    auto start_at = [&](int i) { return rate > 0 ? t0 + static_cast<int64_t>(i * 1e6 / rate) : t0; };
    int next = 0;
    int64_t end = -1;
    int64_t sample_at = -1;
    std::vector<epoll_event> evs(1024);
    static thread_local std::vector<char> buf(256 * 1024);
    for (;;) {
      int64_t now = mono_us();
      while (next < n && start_at(next) <= now)
        start(next++);
      if (next == n && end < 0) {
        end = now + static_cast<int64_t>(duration_s * 1e6);
        const double warm = o_.warmup >= 0 ? o_.warmup : std::min(2.0, duration_s / 4);
        sample_at = now + static_cast<int64_t>(warm * 1e6);
      }
      if (sample_at >= 0 && now >= sample_at && !sampled_) {
        steady_start_ = read_procs(o_.pids);
        self_cpu0_ = self_cpu();
        steady_t0_ = now;
        sampled_ = true;
      }
      if (end >= 0 && now >= end)
        break;
      if (next == n && active_ == 0)
        break;
      if (until_joined_ && joined_ + failed_ == n)
        break;
      int64_t wake = end >= 0 ? end : start_at(next);
      if (!sampled_ && sample_at >= 0)
        wake = std::min(wake, sample_at);
      int timeout_ms = static_cast<int>(std::max<int64_t>(0, (wake - now + 999) / 1000));
      int k = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), timeout_ms);
      if (k < 0 && errno != EINTR) {
        std::perror("epoll_wait");
        std::exit(2);
      }
      for (int j = 0; j < k; j++)
        handle(static_cast<int>(evs[j].data.u32), evs[j].events, buf);
    }
    t_end_ = mono_us();
    if (sampled_) {
      steady_end_ = read_procs(o_.pids);
      self_cpu1_ = self_cpu();
      steady_t1_ = t_end_;
    }
    for (auto &c : c_) {
      if (c.state == Client::State::kWaiting)
        continue;
      if (c.fd >= 0 && c.fail == Fail::kNone && c.t_join < 0)
        c.fail = Fail::kNoJoin;
      if (c.fd >= 0) {
        close(c.fd);
        c.fd = -1;
      }
    }
  }

  const std::vector<Client> &clients() const { return c_; }
  Totals &totals() { return t_; }
  int64_t t_end() const { return t_end_; }
  bool sampled() const { return sampled_; }
  ProcSample steady_start() const { return steady_start_; }
  ProcSample steady_end() const { return steady_end_; }
  double steady_seconds() const { return (steady_t1_ - steady_t0_) / 1e6; }
  /* This process's CPU per second over the same window: a load client near
   * 1.0 would add its own queueing to the latency figures. */
  double self_cpu_per_s() const { return steady_seconds() > 0 ? (self_cpu1_ - self_cpu0_) / steady_seconds() : NAN; }

 private:
  void start(int i) {
    Client &c = c_[i];
    /* Read per client: in a storm, the last connect() comes a while after the
     * first, and its join time starts there. */
    c.t_start = mono_us();
    c.t_start_real = real_us();
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      finish(c, Fail::kConnect, errno);
      return;
    }
    active_++;
    c.state = Client::State::kConnecting;
    const sockaddr_in &addr = addrs_[static_cast<size_t>(i) % addrs_.size()];
    int r = connect(c.fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
    if (r < 0 && errno != EINPROGRESS) {
      finish(c, errno == ECONNREFUSED ? Fail::kRefused : Fail::kConnect, errno);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  void finish(Client &c, Fail f, int err = 0) {
    if (c.fail == Fail::kNone)
      c.fail = f;
    if (f != Fail::kNone) {
      c.sys_errno = err;
      failed_++;
    }
    if (c.fd >= 0) {
      close(c.fd); /* also leaves the epoll set */
      c.fd = -1;
      active_--;
    }
    c.state = Client::State::kEnded;
  }

  void handle(int i, uint32_t events, std::vector<char> &buf) {
    Client &c = c_[i];
    if (c.fd < 0)
      return;
    if (c.state == Client::State::kConnecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) {
        finish(c, err == ECONNREFUSED ? Fail::kRefused : Fail::kConnect, err);
        return;
      }
      if (!(events & EPOLLOUT))
        return;
      if (o_.mode == "sse") {
        const std::string &request = requests_[static_cast<size_t>(i) % requests_.size()];
        ssize_t w = send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
        if (w != static_cast<ssize_t>(request.size())) {
          finish(c, Fail::kConnect, w < 0 ? errno : EMSGSIZE);
          return;
        }
        c.state = Client::State::kHead;
      } else {
        c.state = Client::State::kBody;
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<uint32_t>(i);
      epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
      return;
    }
    /* One read per wake-up keeps clients fair; epoll is level-triggered. */
    ssize_t r = read(c.fd, buf.data(), buf.size());
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return;
      finish(c, Fail::kClosed, errno);
      return;
    }
    if (r == 0) {
      const bool clean = c.eos || (c.chunked && c.dechunk.done());
      finish(c, clean ? (c.t_join >= 0 || o_.mode == "tcp" ? Fail::kNone : Fail::kNoJoin) : Fail::kClosed);
      return;
    }
    const int64_t now = mono_us();
    if (c.t_first_byte < 0)
      c.t_first_byte = now;
    c.wire_bytes += static_cast<uint64_t>(r);
    if (o_.mode == "tcp") {
      c.payload_bytes += static_cast<uint64_t>(r);
      if (c.t_join < 0 && c.rai.feed(reinterpret_cast<const uint8_t *>(buf.data()), static_cast<size_t>(r)))
        joined(c, now);
      return;
    }
    const char *p = buf.data();
    size_t n = static_cast<size_t>(r);
    if (c.state == Client::State::kHead) {
      const size_t old = c.head.size();
      c.head.append(p, n);
      size_t e = c.head.find("\r\n\r\n", old > 3 ? old - 3 : 0);
      if (e == std::string::npos) {
        if (c.head.size() > 16384)
          finish(c, Fail::kProtocol);
        return;
      }
      HttpHead h;
      if (!parse_http_head(std::string_view(c.head).substr(0, e), &h)) {
        finish(c, Fail::kProtocol);
        return;
      }
      c.status = h.status;
      c.chunked = h.chunked;
      if (o_.gzip) {
        std::string lower(c.head, 0, e);
        for (auto &ch : lower)
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (lower.find("\r\ncontent-encoding: gzip") != std::string::npos)
          c.gz = std::make_unique<Client::Inflater>();
      }
      if (h.status != 200) {
        finish(c, h.status == 503 ? Fail::kHttp503 : Fail::kHttpOther);
        return;
      }
      c.state = Client::State::kBody;
      const size_t body_at = e + 4 - old;
      p += body_at;
      n -= body_at;
      c.head.clear();
      c.head.shrink_to_fit();
    }
    body(c, p, n, now);
  }

  void body(Client &c, const char *p, size_t n, int64_t now) {
    int64_t now_real = -1; /* read lazily: only media events need it */
    auto on_event = [&](const SseEvent &ev) {
      if (!ev.type.empty() && ev.type != "message") {
        c.named_events++;
        if (ev.type == "eos")
          c.eos = true;
        return;
      }
      if (!ev.has_data)
        return;
      if (now_real < 0)
        now_real = real_us();
      on_media(c, ev, now, now_real);
    };
    auto on_comment = [&] { c.comments++; };
    auto to_sse = [&](const char *d, size_t len) {
      if (!c.gz) {
        c.sse.feed(d, len, on_event, on_comment);
        return;
      }
      char out[65536];
      z_stream &z = c.gz->z;
      z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(d));
      z.avail_in = static_cast<uInt>(len);
      while (z.avail_in > 0 && !c.gz_done) {
        z.next_out = reinterpret_cast<Bytef *>(out);
        z.avail_out = sizeof out;
        const int r = inflate(&z, Z_NO_FLUSH);
        c.sse.feed(out, sizeof out - z.avail_out, on_event, on_comment);
        if (r == Z_STREAM_END)
          c.gz_done = true;
        else if (r != Z_OK && r != Z_BUF_ERROR) {
          finish(c, Fail::kProtocol);
          return;
        }
        if (r == Z_BUF_ERROR && z.avail_out != 0)
          break;
      }
    };
    if (c.chunked) {
      if (!c.dechunk.feed(p, n, to_sse)) {
        finish(c, Fail::kProtocol);
        return;
      }
    } else {
      to_sse(p, n);
    }
    if (c.sse.malformed() && c.fail == Fail::kNone)
      finish(c, Fail::kProtocol);
  }

  void on_media(Client &c, const SseEvent &ev, int64_t now, int64_t now_real) {
    /* nchan first replays its newest messages, which may start mid-GOP: a
     * player skips to the first key event, and so does this client. */
    if (o_.skip_to_key && !c.first_media_seen && !(ev.json.has_key && ev.json.key)) {
      c.skipped++;
      return;
    }
    c.events++;
    if (ev.payload_ok)
      c.payload_bytes += ev.payload_size;
    if (!c.first_media_seen) {
      c.first_media_seen = true;
      c.key_field = ev.json.has_key;
      c.first_media_key = ev.json.has_key && ev.json.key;
    }
    if (c.t_join < 0 && (!ev.json.has_key || ev.json.key))
      joined(c, now);
    /* Through nchan the SSE id is nchan's own; the JSON seq is still ours. */
    const bool numbered = ev.has_id || (ev.id_other && ev.json.has_seq);
    const uint64_t id = ev.has_id ? ev.id : ev.json.seq;
    if (numbered) {
      if (c.have_id) {
        if (id > c.last_id + 1)
          c.lost += id - c.last_id - 1;
        else if (id <= c.last_id)
          c.out_of_order++;
      } else {
        c.first_id = id;
        c.have_id = true;
      }
      c.last_id = id;
      t_.max_id = std::max(t_.max_id, id);
      if (ev.payload_ok)
        t_.seq_size.emplace(id, static_cast<uint32_t>(ev.payload_size));
    }
    if (events_csv_ && &c == &c_[0])
      std::fprintf(events_csv_, "%" PRIu64 ",%d,%" PRIu64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n", id,
                   ev.json.key ? 1 : 0, ev.payload_size, ev.json.ts, now_real, now_real - ev.json.ts);
    /* Events encoded before this client connected are its join burst (the
     * GOP so far): their age is by design, not latency. */
    if (ev.json.has_ts && ev.json.ts >= c.t_start_real) {
      const int64_t lat = now_real - ev.json.ts;
      t_.latency_us.push_back(static_cast<int32_t>(std::clamp<int64_t>(lat, INT32_MIN, INT32_MAX)));
    }
  }

  void joined(Client &c, int64_t now) {
    c.t_join = now;
    joined_++;
  }

  const Options &o_;
  bool until_joined_;
  std::vector<Client> c_;
  Totals t_;
  int ep_ = -1;
  std::vector<sockaddr_in> addrs_;
  std::vector<std::string> requests_;
  int active_ = 0, joined_ = 0, failed_ = 0;
  int64_t t_end_ = 0;
  bool sampled_ = false;
  ProcSample steady_start_, steady_end_;
  double self_cpu0_ = 0, self_cpu1_ = 0;
  int64_t steady_t0_ = 0, steady_t1_ = 0;
  FILE *events_csv_ = nullptr;
};

/* ---- summary ----------------------------------------------------------- */

struct Pct {
  double p50 = NAN, p99 = NAN, max = NAN;
  size_t n = 0;
};

/* Nearest-rank percentiles of @v (reordered), in @unit per sample unit. */
template <typename T>
Pct percentiles(std::vector<T> &v, double scale) {
  Pct p;
  p.n = v.size();
  if (v.empty())
    return p;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return static_cast<double>(v[k == 0 ? 0 : k - 1]) * scale;
  };
  p.p50 = rank(0.50);
  p.p99 = rank(0.99);
  p.max = static_cast<double>(v.back()) * scale;
  return p;
}

std::string num(double v, int prec = 3) {
  if (std::isnan(v) || std::isinf(v))
    return "null";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

std::string pct_json(const Pct &p) {
  return "{\"p50\":" + num(p.p50) + ",\"p99\":" + num(p.p99) + ",\"max\":" + num(p.max) +
         ",\"n\":" + std::to_string(p.n) + "}";
}

std::string json_escape(const std::string &s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\')
      o += '\\';
    if (static_cast<unsigned char>(ch) >= 0x20)
      o += ch;
  }
  return o;
}

int report(const Options &o, Runner &r, const ProcSample &baseline) {
  const auto &cs = r.clients();
  Totals &t = r.totals();
  std::map<std::string, int> fails;
  int ok = 0, not_key_first = 0;
  uint64_t bytes_wire = 0, bytes_payload = 0, events = 0, lost = 0, out_of_order = 0, skipped = 0;
  uint64_t cmin = UINT64_MAX, cmax = 0;
  std::vector<int64_t> join, first_byte;
  std::vector<double> ratio; /* delivered / expected payload bytes */

  /* Expected bytes for a client with ids: every event from its first id to
   * the newest id any client saw, by the sizes clients saw them with. */
  std::vector<std::pair<uint64_t, uint64_t>> prefix; /* (id, sum up to and including id) */
  if (!t.seq_size.empty()) {
    std::vector<std::pair<uint64_t, uint32_t>> sizes(t.seq_size.begin(), t.seq_size.end());
    std::sort(sizes.begin(), sizes.end());
    uint64_t sum = 0;
    for (auto &[id, size] : sizes)
      prefix.emplace_back(id, sum += size);
  }
  auto sum_before = [&](uint64_t id) -> uint64_t { /* sizes of ids < id */
                                                   auto it = std::lower_bound(prefix.begin(), prefix.end(),
                                                                              std::make_pair(id, uint64_t{0}));
                                                   return it == prefix.begin() ? 0 : std::prev(it)->second;
  };
  const uint64_t total_known = prefix.empty() ? 0 : prefix.back().second;

  for (const auto &c : cs) {
    if (c.fail == Fail::kNone)
      ok++;
    else
      fails[fail_name(c.fail)]++;
    if (c.first_media_seen && c.key_field && !c.first_media_key)
      not_key_first++;
    bytes_wire += c.wire_bytes;
    bytes_payload += c.payload_bytes;
    events += c.events;
    skipped += c.skipped;
    lost += c.lost;
    out_of_order += c.out_of_order;
    cmin = std::min(cmin, c.payload_bytes);
    cmax = std::max(cmax, c.payload_bytes);
    if (c.t_join >= 0)
      join.push_back(c.t_join - c.t_start);
    if (c.t_first_byte >= 0)
      first_byte.push_back(c.t_first_byte - c.t_start);
    if (c.fail != Fail::kNone)
      continue;
    if (c.have_id && !prefix.empty()) {
      const uint64_t expected = total_known - sum_before(c.first_id);
      if (expected > 0)
        ratio.push_back(static_cast<double>(c.payload_bytes) / static_cast<double>(expected));
    } else if (o.expect_rate > 0 && c.t_join >= 0) {
      const double secs = (r.t_end() - (o.mode == "tcp" ? c.t_first_byte : c.t_join)) / 1e6;
      if (secs > 0)
        ratio.push_back(static_cast<double>(c.payload_bytes) / (o.expect_rate * secs));
    }
  }
  const int failed = static_cast<int>(cs.size()) - ok;
  Pct pj = percentiles(join, 1e-3);
  Pct pf = percentiles(first_byte, 1e-3);
  Pct pl = percentiles(t.latency_us, 1e-3);
  double rmin = NAN, rmean = NAN;
  int within1 = 0;
  if (!ratio.empty()) {
    rmin = *std::min_element(ratio.begin(), ratio.end());
    double s = 0;
    for (double x : ratio) {
      s += x;
      within1 += std::fabs(x - 1) <= 0.01;
    }
    rmean = s / static_cast<double>(ratio.size());
  }
  double cpu = NAN, cpu_per_s = NAN, rss_kib = NAN, hwm_kib = NAN, rss_per_client = NAN;
  if (!o.pids.empty() && r.sampled()) {
    const ProcSample a = r.steady_start(), b = r.steady_end();
    cpu = b.cpu_s - a.cpu_s;
    cpu_per_s = r.steady_seconds() > 0 ? cpu / r.steady_seconds() : NAN;
    rss_kib = static_cast<double>(b.rss_kib);
    hwm_kib = static_cast<double>(b.hwm_kib);
    const int connected = ok;
    if (connected > 0)
      rss_per_client = (static_cast<double>(b.rss_kib) - static_cast<double>(baseline.rss_kib)) / connected;
  }
  const double secs = r.steady_seconds();
  if (cmin == UINT64_MAX)
    cmin = 0;

  FILE *h = o.json ? stderr : stdout;
  std::string ports;
  for (int p : o.ports)
    ports += (ports.empty() ? "" : ",") + std::to_string(p);
  std::fprintf(h, "sse-load %s%s%s: %d clients on %s:%s%s\n", o.mode.c_str(), o.label.empty() ? "" : " ",
               o.label.c_str(), static_cast<int>(cs.size()), o.host.c_str(), ports.c_str(),
               o.mode == "sse" ? o.path.c_str() : "");
  std::fprintf(h, "  clients ok %d, failed %d", ok, failed);
  for (auto &[name, count] : fails)
    std::fprintf(h, " (%s %d)", name.c_str(), count);
  std::fprintf(h,
               "\n  bytes %" PRIu64 " on the wire, %" PRIu64 " payload; %" PRIu64 " events, %" PRIu64 " lost, %" PRIu64
               " out of order, %d not starting with a key event\n",
               bytes_wire, bytes_payload, events, lost, out_of_order, not_key_first);
  if (o.skip_to_key)
    std::fprintf(h, "  %" PRIu64 " events skipped before the clients' first key events (--skip-to-key)\n", skipped);
  std::fprintf(h, "  join ms p50 %s p99 %s max %s (first byte p50 %s p99 %s)\n", num(pj.p50, 1).c_str(),
               num(pj.p99, 1).c_str(), num(pj.max, 1).c_str(), num(pf.p50, 1).c_str(), num(pf.p99, 1).c_str());
  std::fprintf(h, "  latency ms p50 %s p99 %s max %s (%zu live events; this client used %s CPU s/s)\n",
               num(pl.p50, 2).c_str(), num(pl.p99, 2).c_str(), num(pl.max, 2).c_str(), pl.n,
               num(r.self_cpu_per_s(), 3).c_str());
  std::fprintf(h,
               "  per-client payload bytes min %" PRIu64 " max %" PRIu64
               "; delivered/expected min %s mean %s, %d of %zu within 1%%\n",
               cmin, cmax, num(rmin, 4).c_str(), num(rmean, 4).c_str(), within1, ratio.size());
  if (!o.pids.empty())
    std::fprintf(
        h, "  server cpu %s s in %s s steady = %s s/s; rss %s KiB (baseline %" PRIu64 ", peak %s), %s KiB per client\n",
        num(cpu, 2).c_str(), num(secs, 2).c_str(), num(cpu_per_s, 4).c_str(), num(rss_kib, 0).c_str(), baseline.rss_kib,
        num(hwm_kib, 0).c_str(), num(rss_per_client, 1).c_str());

  if (o.json) {
    std::string fj = "{";
    for (auto &[name, count] : fails)
      fj += (fj.size() > 1 ? "," : "") + std::string("\"") + name + "\":" + std::to_string(count);
    fj += "}";
    std::printf(
        "{\"label\":\"%s\",\"mode\":\"%s\",\"clients\":%d,\"ok\":%d,\"failed\":%d,\"failures\":%s,"
        "\"refused\":%d,\"bytes_wire\":%" PRIu64 ",\"bytes_payload\":%" PRIu64 ",\"events\":%" PRIu64
        ",\"events_lost\":%" PRIu64 ",\"out_of_order\":%" PRIu64 ",\"not_key_first\":%d,\"skipped_to_key\":%" PRIu64
        ","
        "\"join_ms\":%s,\"first_byte_ms\":%s,\"latency_ms\":%s,\"client_payload_bytes\":{\"min\":%" PRIu64
        ",\"max\":%" PRIu64
        "},"
        "\"delivered_ratio\":{\"min\":%s,\"mean\":%s,\"within_1pct\":%d,\"n\":%zu},"
        "\"steady_s\":%s,\"cpu_s\":%s,\"cpu_per_s\":%s,\"rss_kib\":%s,\"rss_baseline_kib\":%" PRIu64
        ",\"rss_peak_kib\":%s,\"rss_per_client_kib\":%s,\"client_cpu_per_s\":%s}\n",
        json_escape(o.label).c_str(), o.mode.c_str(), static_cast<int>(cs.size()), ok, failed, fj.c_str(),
        fails.count("refused") ? fails["refused"] : 0, bytes_wire, bytes_payload, events, lost, out_of_order,
        not_key_first, skipped, pct_json(pj).c_str(), pct_json(pf).c_str(), pct_json(pl).c_str(), cmin, cmax,
        num(rmin, 5).c_str(), num(rmean, 5).c_str(), within1, ratio.size(), num(secs, 3).c_str(), num(cpu, 3).c_str(),
        num(cpu_per_s, 5).c_str(), num(rss_kib, 0).c_str(), baseline.rss_kib, num(hwm_kib, 0).c_str(),
        num(rss_per_client, 2).c_str(), num(r.self_cpu_per_s(), 4).c_str());
  }
  if (!o.clients_csv.empty()) {
    FILE *f = std::fopen(o.clients_csv.c_str(), "w");
    if (f) {
      std::fprintf(f, "client,result,errno,status,join_ms,first_byte_ms,wire_bytes,payload_bytes,events,lost\n");
      for (size_t i = 0; i < cs.size(); i++) {
        const Client &c = cs[i];
        std::fprintf(f, "%zu,%s,%d,%d,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", i, fail_name(c.fail),
                     c.sys_errno, c.status, c.t_join >= 0 ? num((c.t_join - c.t_start) / 1e3, 3).c_str() : "",
                     c.t_first_byte >= 0 ? num((c.t_first_byte - c.t_start) / 1e3, 3).c_str() : "", c.wire_bytes,
                     c.payload_bytes, c.events, c.lost);
      }
      std::fclose(f);
    }
  }
  if (o.check) {
    const bool clean = failed == 0 && lost == 0 && out_of_order == 0 && not_key_first == 0;
    if (!clean)
      std::fprintf(h, "  CHECK FAILED: every client must get 200, a key event first and no lost events\n");
    return clean ? 0 : 1;
  }
  return 0;
}

void raise_fd_limit(int clients) {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < static_cast<rlim_t>(clients) + 16)
    std::fprintf(stderr, "sse-load: warning: fd limit %llu is below %d clients\n",
                 static_cast<unsigned long long>(rl.rlim_cur), clients);
}

/* Polls with one probe client until the server sends a first key event (tcp:
 * a random-access packet), so the measured clients never wait for startup. */
bool wait_ready(const Options &o) {
  const int64_t deadline = mono_us() + static_cast<int64_t>(o.wait * 1e6);
  Options probe = o;
  probe.connect_rate = 0;
  probe.pids.clear();
  for (;;) {
    {
      Runner r(probe, 1, true);
      r.run(std::max(0.5, std::min(5.0, (deadline - mono_us()) / 1e6)));
      if (r.clients()[0].t_join >= 0)
        return true;
    }
    if (mono_us() >= deadline)
      return false;
    usleep(50 * 1000);
  }
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = parse_args(argc, argv);
  raise_fd_limit(o.clients);
  if (o.wait > 0 && !wait_ready(o)) {
    std::fprintf(stderr, "sse-load: %s:%d did not serve within %.1f s\n", o.host.c_str(), o.port, o.wait);
    return 2;
  }
  const ProcSample baseline = read_procs(o.pids);
  Runner r(o, o.clients, false);
  r.run(o.duration);
  return report(o, r, baseline);
}
