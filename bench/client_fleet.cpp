#include "bench/client_fleet.hpp"

#include "bench/proc_stats.hpp"

#include <sys/syscall.h>
#include <unistd.h>

namespace evstream::bench {

asio::ip::address_v4 spread_source_address(std::size_t index) {
  const auto slot = static_cast<std::uint32_t>(index % 4000);
  return asio::ip::address_v4{(127u << 24) | (1u << 16) | ((slot / 250) << 8) | (slot % 250 + 1)};
}

std::string upgrade_request_for(const tcp::endpoint& server, const std::string& target) {
  return "GET " + target
         + " HTTP/1.1\r\n"
           "Host: "
         + server.address().to_string() + ":" + std::to_string(server.port())
         + "\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n"
           "\r\n";
}

client_fleet::client_fleet(std::size_t threads) {
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i)
    lanes_.push_back(std::make_unique<lane>());
}

client_fleet::~client_fleet() { stop(); }

subscriber& client_fleet::add(subscriber_options options) {
  auto& l = *lanes_[subscribers_.size() % lanes_.size()];
  subscribers_.push_back(std::make_unique<subscriber>(l.io, std::move(options), progress_));
  l.members.push_back(subscribers_.back().get());
  return *subscribers_.back();
}

void client_fleet::connect_all(std::size_t window) {
  running_ = true;
  const std::size_t per_lane = std::max<std::size_t>(1, window / lanes_.size());
  for (auto& owned : lanes_) {
    lane& l = *owned;
    asio::post(l.io, [this, &l, per_lane] {
      for (std::size_t i = 0; i < per_lane; ++i)
        start_next(l);
    });
    l.thread = std::thread{[&l] {
      l.tid = static_cast<pid_t>(::syscall(SYS_gettid));
      auto guard = asio::make_work_guard(l.io);
      l.io.run();
    }};
  }
}

void client_fleet::start_next(lane& l) {
  if (l.next_to_start == l.members.size()) return;
  subscriber* next = l.members[l.next_to_start++];
  // Posted, not called: a subscriber that fails at once must not recurse
  // into the next one's start.
  next->start([this, &l] { asio::post(l.io, [this, &l] { start_next(l); }); });
}

void client_fleet::post_to(std::size_t index, std::function<void(subscriber&)> action) {
  auto& l = *lanes_[index % lanes_.size()];
  asio::post(l.io, [member = subscribers_[index].get(), action = std::move(action)] { action(*member); });
}

void client_fleet::stop() {
  if (!running_) return;
  running_ = false;
  for (auto& l : lanes_)
    l->io.stop();
  for (auto& l : lanes_)
    if (l->thread.joinable()) l->thread.join();
}

std::vector<double> client_fleet::thread_cpu_seconds() const {
  std::vector<double> seconds;
  for (const auto& l : lanes_)
    seconds.push_back(l->tid ? thread_cpu_seconds_of(l->tid) : 0.0);
  return seconds;
}

} // namespace evstream::bench
