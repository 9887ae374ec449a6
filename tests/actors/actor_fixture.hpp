// Runs actors in virtual time: CAF's test coordinator drives every job and
// timer on this thread, and an in-memory transport records what a session
// sends to its client.
#pragma once

#include "actors/messages.hpp"
#include "actors/transport.hpp"

#include <caf/all.hpp>

#include <optional>
#include <string>
#include <vector>

namespace evstream::testing {

// What a session sent to its client, in order.
struct recording_transport : transport {
  std::vector<std::string> messages;
  std::vector<std::uint64_t> block_sequences;
  std::optional<close_code> closed_with;
  std::string close_reason;

  void send_events(encoded_block_ptr block) override {
    block_sequences.push_back(block->sequence);
    for (std::size_t i = 0; i < block->valid_tx.size(); ++i)
      messages.emplace_back(block->valid_tx[i]);
  }
  void send_text(std::string text) override { messages.push_back(std::move(text)); }
  void close(close_code code, std::string reason) override {
    closed_with = code;
    close_reason = std::move(reason);
  }
};

struct actor_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  caf::scheduler::test_coordinator& sched;

  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }
  actor_fixture()
      : sys(init(cfg)), self(sys, true),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}
  ~actor_fixture() {
    sched.run();
    // Actors still alive must not make ~actor_system wait forever.
    sys.await_actors_before_shutdown(false);
  }

  void advance(caf::timespan by) {
    sched.clock().advance_time(by);
    sched.run();
  }

  // The down_msg reasons `self` received so far (it monitors what it watches).
  std::vector<caf::actor_addr> ended() {
    std::vector<caf::actor_addr> result;
    bool more = true;
    while (more)
      self->receive([&](caf::down_msg& down) { result.push_back(down.source); },
                    caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
    return result;
  }

  // The reply `self` got to a request it sent earlier with send().
  template <class T>
  std::optional<T> reply() {
    std::optional<T> result;
    self->receive([&](const T& value) { result = value; }, caf::after(std::chrono::seconds(0)) >> [] {});
    return result;
  }
};

} // namespace evstream::testing
