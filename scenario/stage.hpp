// Where a scenario plays: the real actors in virtual time (simulated_stage)
// or a running server over sockets (live_stage). The runner walks the steps
// and judges expectations; a stage carries out actions and reports what
// clients observed.
#pragma once

#include "scenario/client_record.hpp"
#include "scenario/scenario.hpp"

#include <caf/timestamp.hpp>

#include <optional>
#include <string>

namespace evstream::scenario {

// A step that could not be carried out or whose check failed.
struct step_failure {
  std::string expected;
  std::string actual;
};

// What a check needs to have arrived before it looks; a live stage waits for
// it (within a deadline), a simulated one has everything already.
struct awaited {
  std::size_t events = 0;
  std::size_t pongs = 0;
  bool end = false;
};

class stage {
public:
  virtual ~stage() = default;

  // Throws step_failure when the service refuses the client.
  virtual void connect(const std::string& client, const std::string& stream) = 0;
  virtual void send(const std::string& client, const std::string& text) = 0;
  virtual void stop_reading(const std::string& client) = 0;
  virtual void resume_reading(const std::string& client) = 0;
  virtual void disconnect(const std::string& client) = 0;
  // Offers a block to the service; throws step_failure when it cannot say.
  virtual block_outcome post_block(const std::string& json) = 0;
  virtual void advance(caf::timespan by) = 0;
  // Throws step_failure when this stage cannot shut the service down.
  virtual void shut_down() = 0;

  // What `client` has read and how it ended, once `wanted` arrived or it
  // cannot arrive any more.
  virtual client_record observe(const std::string& client, const awaited& wanted) = 0;
  // Whether `client` was still open at the current point of the timeline.
  virtual bool is_open(const std::string& client) = 0;
  // The service's subscriber count, or nothing when this stage cannot see it.
  virtual std::optional<std::size_t> subscribers() = 0;

  // The scenario clock: the sum of the advances so far.
  caf::timespan now() const { return now_; }

protected:
  caf::timespan now_{0};
};

} // namespace evstream::scenario
