// A scenario's stage against a running evstream over real sockets: clients
// are Beast WebSocket clients, blocks are POSTed to /api/v1/blocks (the
// server runs with --source=ingest). The scenario clock is real time times
// `time_scale` (0.01: an advance of 180 s waits 1.8 s); the server must run
// with its timeouts scaled alike (`evstream scenario --server-options` prints them).
//
// Checks wait for what they need with a deadline instead of sleeping. A
// client counts as open at a point of the timeline if its close arrived
// only after that point's real time: every client action happens no earlier
// than its scaled time, so the server's timers fire no earlier than theirs.
#pragma once

#include "net/beast.hpp"
#include "scenario/live_client.hpp"
#include "scenario/stage.hpp"

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

namespace evstream::scenario {

struct live_target {
  std::string url;       // "http://127.0.0.1:9984"
  double time_scale = 1; // real seconds per scenario second
  pid_t server_pid = 0;  // for the shutdown step (SIGTERM); 0: refused
};

class live_stage : public stage {
public:
  // Throws std::runtime_error when the URL is not http://HOST:PORT or the host does not resolve.
  explicit live_stage(const live_target& target);
  ~live_stage() override;

  void connect(const std::string& client, const std::string& stream) override;
  void send(const std::string& client, const std::string& text) override;
  void stop_reading(const std::string& client) override;
  void resume_reading(const std::string& client) override;
  void disconnect(const std::string& client) override;
  block_outcome post_block(const std::string& json) override;
  void advance(caf::timespan by) override;
  void shut_down() override;
  client_record observe(const std::string& client, const awaited& wanted) override;
  bool is_open(const std::string& client) override;
  std::optional<std::size_t> subscribers() override;

private:
  using clock = std::chrono::steady_clock;

  // Runs socket work until `done` holds or `deadline` passes; true if `done` held.
  bool pump_until(const std::function<bool()>& done, clock::time_point deadline);
  clock::time_point real_time_of(caf::timespan scenario_time) const;
  live_client& client(const std::string& name) { return *clients_.at(name); }

  live_target target_;
  // Declared before the clients: their pending handlers go with it.
  net::asio::io_context io_;
  net::tcp::endpoint server_;
  std::string host_;
  clock::time_point started_ = clock::now();
  std::map<std::string, std::unique_ptr<live_client>> clients_;
};

} // namespace evstream::scenario
