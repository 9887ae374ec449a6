// The load generator's subscribers, spread over one or two io threads (one
// io_context each, so a subscriber's handlers never run concurrently). It
// connects them a window at a time, so that a burst of SYNs never overflows
// the server's accept backlog, and it can tell how much CPU each thread used.
#pragma once

#include "bench/subscriber.hpp"

#include <sys/types.h>

#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace evstream::bench {

// 127.1.x.y, a different address for every 250 × 16 clients, so no address
// comes near its ~28 000 ephemeral ports even with 100 000 clients.
asio::ip::address_v4 spread_source_address(std::size_t index);

// The HTTP upgrade every subscriber sends (RFC 6455's sample key).
std::string upgrade_request_for(const tcp::endpoint& server,
                                const std::string& target = "/api/v1/streams/valid_tx");

class client_fleet {
public:
  explicit client_fleet(std::size_t threads);
  ~client_fleet();
  client_fleet(const client_fleet&) = delete;
  client_fleet& operator=(const client_fleet&) = delete;

  // Before connect_all only.
  subscriber& add(subscriber_options options);

  // Starts the io threads and every subscriber, at most `window` connecting at once.
  void connect_all(std::size_t window);
  // Runs `action` for subscriber `index` on its own thread.
  void post_to(std::size_t index, std::function<void(subscriber&)> action);
  // Stops the threads; results may be read afterwards.
  void stop();

  std::size_t size() const { return subscribers_.size(); }
  const subscriber& at(std::size_t index) const { return *subscribers_[index]; }
  fleet_progress& progress() { return progress_; }
  // CPU seconds each io thread has used so far.
  std::vector<double> thread_cpu_seconds() const;

private:
  struct lane {
    asio::io_context io{1};
    std::vector<subscriber*> members;
    std::size_t next_to_start = 0;
    std::thread thread;
    std::atomic<pid_t> tid{0};
  };

  void start_next(lane& l);

  fleet_progress progress_;
  std::vector<std::unique_ptr<lane>> lanes_;
  // Declared after the lanes: subscribers go first, while their io_context lives.
  std::vector<std::unique_ptr<subscriber>> subscribers_;
  bool running_ = false;
};

} // namespace evstream::bench
