// A server under test in its own process: started with a given descriptor
// limit (setrlimit in the child before exec: raised for the many-connection
// workloads, lowered to starve it in W7), its port read from the
// "listening" log line ("url":"http[s]://127.0.0.1:PORT"), or the reference
// server's "listening on" banner, its CPU time and
// memory read from /proc, and stopped with SIGTERM. Its output goes to a log
// file, whose tail a report quotes when the server misbehaves.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace evstream::bench {

class server_process {
public:
  // Starts `argv` with RLIMIT_NOFILE `open_files` (soft and hard) and waits up
  // to `startup` for its port; throws if none comes.
  server_process(std::vector<std::string> argv, unsigned long open_files, std::string log_path,
                 std::chrono::milliseconds startup = std::chrono::seconds(20));
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  std::uint16_t port() const { return port_; }

  double cpu_seconds() const;
  long rss_kib() const;
  long peak_rss_kib() const;
  // Entries of /proc/PID/fd: the descriptors it holds.
  std::size_t open_descriptors() const;
  const std::string& log_path() const { return log_path_; }
  // False once the process has exited (then exit_description() says how).
  bool running();
  // SIGTERM, then SIGKILL after `grace`. Returns exit_description().
  std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // "exit 0", "exit 1", "killed by SIGSEGV", "" while running.
  const std::string& exit_description() const { return exit_; }
  std::string log_tail(std::size_t lines = 8) const;

private:
  void record_exit(int status);

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
  std::string exit_;
};

// Every server this process started and that still runs; the watchdog kills
// them before it gives up on a hung run.
void kill_all_servers();

// Raises this process's RLIMIT_NOFILE (soft and hard) to at least `open_files`;
// returns the soft limit in force afterwards.
unsigned long raise_open_files(unsigned long open_files);

} // namespace evstream::bench
