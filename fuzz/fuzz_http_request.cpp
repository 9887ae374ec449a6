// libFuzzer target: any bytes as what a client sends to the real server. One
// service (ingest source, so POSTs reach the block parser) runs in-process for
// the whole run; each input is written on a fresh TCP connection to it, the
// connection is half-closed and the reply read until the server closes. The
// server must not crash, and whatever it answers must open with an HTTP/1.1
// status line.
//
//   fuzz/run.sh 60      (or build-fuzz/fuzz/fuzz_http_request fuzz/corpus/http_request)
#include "app/service.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace std::chrono_literals;

// How long one input may take to be answered and closed. The server's own
// timeouts are shorter, so running into this one is a finding.
constexpr auto reply_deadline = 5s;
// Enough of the reply to check its status line, bounded.
constexpr std::size_t max_reply_bytes = 64 * 1024;

// On a finding, says what broke and which answers the server did give (one
// status line per pipelined request it answered).
void require(bool condition, const char* what, std::string_view reply = {}) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_http_request: %s\nreply: %zu bytes\n", what, reply.size());
  for (auto at = reply.find("HTTP/1.1 "); at != std::string_view::npos;
       at = reply.find("HTTP/1.1 ", at + 1)) {
    std::string status{reply.substr(at, std::min<std::size_t>(reply.find('\r', at), reply.size()) - at)};
    std::fprintf(stderr, "  %s\n", status.c_str());
  }
  std::abort();
}

struct server {
  caf::actor_system_config cfg;
  caf::actor_system system{configured(cfg)};
  evstream::service service{system, options()};

  ~server() { service.stop(std::chrono::milliseconds(200)); }

  static caf::actor_system_config& configured(caf::actor_system_config& config) {
    config.set("scheduler.max-threads", 1);
    return config;
  }

  static evstream::service_options options() {
    evstream::service_options options;
    options.port = 0;
    options.source = evstream::block_source_kind::ingest;
    options.server.request_timeout = 1s;
    options.server.handshake_timeout = 1s;
    options.server.max_body_bytes = 64 * 1024;
    return options;
  }
};

// Thread-local, not static: exit() destroys the calling thread's thread-local
// objects first, and CAF's own (made while the actor system started) after
// this one, so the actor system is torn down while CAF can still do it. As a
// function-local static it would be destroyed after those and crash in
// ~actor_system.
server& the_server() {
  thread_local server instance;
  return instance;
}

void set_timeout(int fd, int option, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  require(fd >= 0, "socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // libFuzzer checks -timeout on a SIGALRM every -timeout/2 + 1 s; a connect
  // it interrupts goes on (EALREADY, then EISCONN).
  while (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno != EISCONN)
    require(errno == EINTR || errno == EALREADY, "the server refused a connection");
  set_timeout(fd, SO_RCVTIMEO, std::chrono::duration_cast<std::chrono::milliseconds>(reply_deadline));
  set_timeout(fd, SO_SNDTIMEO, std::chrono::duration_cast<std::chrono::milliseconds>(reply_deadline));
  return fd;
}

// Writes what the server takes; it may refuse the rest and close, which is fine.
void write_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    auto written = ::send(fd, data, size, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    data += written;
    size -= static_cast<std::size_t>(written);
  }
}

// The reply until the server closes; false if it did not within the deadline.
bool read_until_closed(int fd, std::string& reply) {
  auto deadline = std::chrono::steady_clock::now() + reply_deadline;
  char chunk[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = ::recv(fd, chunk, sizeof chunk, 0);
    // The alarm ends a recv on a socket with SO_RCVTIMEO, which is never
    // restarted: that is no answer yet, not the server's silence.
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) return true;
    if (got < 0) return errno == ECONNRESET;
    if (reply.size() < max_reply_bytes) reply.append(chunk, static_cast<std::size_t>(got));
  }
  return false;
}

bool is_status_line_start(std::string_view reply) {
  constexpr std::string_view version = "HTTP/1.1 ";
  if (reply.size() < version.size() + 4 || reply.substr(0, version.size()) != version) return false;
  for (std::size_t i = version.size(); i < version.size() + 3; ++i)
    if (!std::isdigit(static_cast<unsigned char>(reply[i]))) return false;
  return reply[version.size() + 3] == ' ';
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& server = the_server();
  int fd = connect_to(server.service.port());
  write_all(fd, data, size);
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  bool closed = read_until_closed(fd, reply);
  ::close(fd);
  require(closed, "the server neither answered nor closed the half-closed connection in time", reply);
  if (!reply.empty()) require(is_status_line_start(reply), "the reply is not an HTTP/1.1 status line", reply);
  return 0;
}
