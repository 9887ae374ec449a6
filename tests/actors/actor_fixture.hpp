// Runs actors in virtual time: CAF's test coordinator drives every job and
// timer on this thread, and an in-memory transport records what a session
// sends to its client.
#pragma once

#include "actors/messages.hpp"
#include "actors/observability.hpp"
#include "actors/session.hpp"
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
  std::optional<close_cause> closed_for;

  // How many times the session asked to hear of a drain; the test answers.
  std::size_t drain_requests = 0;

  // The buffer of each filtered batch: the same one for every session of a view.
  std::vector<std::shared_ptr<const std::string>> chosen_frames;

  void send_events(event_batch batch) override {
    block_sequences.push_back(batch.block->sequence);
    if (batch.chosen_frames) chosen_frames.push_back(batch.chosen_frames);
    for (std::size_t i = 0; i < batch.size(); ++i)
      messages.emplace_back(batch.text(i));
  }
  void subscribed() override { subscribed_told = true; }
  bool subscribed_told = false;
  std::optional<caf::actor_clock::time_point> last_ping() const override { return pinged_at; }
  // When the client last pinged, by the test's clock; the test sets it.
  std::optional<caf::actor_clock::time_point> pinged_at;
  void close(close_code code, std::string reason, close_cause cause) override {
    closed_with = code;
    close_reason = std::move(reason);
    closed_for = cause;
  }
  void notify_when_drained() override {
    ++drain_requests;
    if (drains_at_once && session) caf::anon_send(session, transport_drained{});
  }
  // Set: every drain request is answered at once, as by a client that keeps up.
  bool drains_at_once = false;
  caf::actor session;
};

// A 64-character id, readable in a failure: `kind` then `n`, zero-padded
// ("b000…042" for block 42).
inline std::string hex_id(char kind, std::uint64_t n) {
  auto digits = std::to_string(n);
  return std::string(1, kind) + std::string(63 - digits.size(), '0') + digits;
}

// A session's settings with every default but the keep-alive timeout.
inline session_settings keepalive_of(caf::timespan keepalive) {
  session_settings settings;
  settings.keepalive_timeout = keepalive;
  return settings;
}

struct actor_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  caf::scheduler::test_coordinator& sched;
  // What the dispatcher and the block source count into.
  ops::metrics_ptr metrics = make_metrics();

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
