// A scenario client's WebSocket in memory: the transport of a real session
// actor. It delivers what the session sends into the client's record, and
// models what a socket would do that matters to the service: while the
// client does not read, messages (and the close) wait unsent, and past the
// send budget the client is closed as slow, by the rule net/ applies; a
// message over the size limit closes it with 1009.
#pragma once

#include "actors/transport.hpp"
#include "scenario/client_record.hpp"
#include "scenario/scenario.hpp"

#include <caf/actor.hpp>

#include <deque>
#include <memory>
#include <optional>

namespace evstream::scenario {

class simulated_connection : public transport {
public:
  // Applies the send budget and message size limit of `settings`; notes
  // pings by `clock`, the scenario's virtual one.
  simulated_connection(const server_settings& settings, const caf::actor_clock& clock)
      : settings_(settings), clock_(clock) {}

  // The session this connection reports its end to.
  void attach(caf::actor session) { session_ = std::move(session); }

  // transport, called by the session actor
  void send_events(event_batch batch) override;
  void subscribed() override;
  std::optional<caf::actor_clock::time_point> last_ping() const override { return last_ping_; }
  void close(close_code code, std::string reason, close_cause cause) override;
  void notify_when_drained() override;

  // the client's side
  void client_sends(const std::string& text);
  void client_stops_reading() { reading_ = false; }
  void client_resumes_reading();
  void client_disconnects();

  const client_record& record() const { return record_; }

private:
  // Queues texts that `owner` keeps alive, `wire_bytes` on the wire.
  void enqueue(std::shared_ptr<const void> owner, std::vector<std::string_view> texts,
               std::size_t wire_bytes);
  void deliver_unsent();
  void end_session(const std::string& why);

  void send_pong();

  server_settings settings_;
  const caf::actor_clock& clock_;
  std::optional<caf::actor_clock::time_point> last_ping_;
  bool answering_pings_ = false;
  std::size_t pongs_owed_ = 0;
  caf::actor session_;
  client_record record_;
  bool reading_ = true;
  // Sent but not yet read, oldest first, and their size on the wire.
  struct unsent_messages {
    std::shared_ptr<const void> owner;
    std::vector<std::string_view> texts;
  };
  std::deque<unsent_messages> unsent_;
  std::size_t unsent_bytes_ = 0;
  // The session waits for transport_drained.
  bool drain_wanted_ = false;
  // The server's close frame, once sent; the client sees it after what
  // was queued before it.
  std::optional<client_end> close_sent_;
  bool cut_by_client_ = false;
};

} // namespace evstream::scenario
