// A scenario's stage in virtual time: the real block source, dispatcher and
// session actors in an actor system run by CAF's test coordinator (no
// threads; the clock moves only when the scenario advances it), each client
// a simulated_connection.
#pragma once

#include "actors/observability.hpp"
#include "scenario/simulated_connection.hpp"
#include "scenario/stage.hpp"

#include <caf/all.hpp>

#include <map>
#include <memory>

namespace evstream::scenario {

class simulated_stage : public stage {
public:
  explicit simulated_stage(const server_settings& settings);
  ~simulated_stage() override;

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
  simulated_connection& connection(const std::string& client) { return *connections_.at(client); }

  server_settings settings_;
  caf::actor_system_config config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& scheduler_;
  caf::scoped_actor self_;
  // The actors count into it; a scenario does not read it.
  ops::metrics_ptr metrics_ = make_metrics();
  caf::actor dispatcher_;
  caf::actor block_source_;
  std::map<std::string, std::shared_ptr<simulated_connection>> connections_;
};

} // namespace evstream::scenario
