// `nats-server -js` on a free 127.0.0.1 port for W8, its store in a
// temporary directory, killed (by PID) and removed when the run is done.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace evstream::bench {

class nats_process {
public:
  // Starts it and waits up to 10 s for its port to take connections; throws if not.
  explicit nats_process(const std::string& log_path);
  ~nats_process();
  nats_process(const nats_process&) = delete;
  nats_process& operator=(const nats_process&) = delete;

  // nats://127.0.0.1:PORT
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string store_;
};

} // namespace evstream::bench
