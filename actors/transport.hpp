// The seam between a session actor and its client's socket: what a session
// asks of the connection. net/ implements it over Beast; tests implement it in
// memory, which is what lets sessions run in virtual time.
//
// Implementations must be callable from any thread and must not block: the
// socket work happens on the connection's own executor.
#pragma once

#include "actors/messages.hpp"
#include "actors/subscription.hpp"

#include <caf/actor_clock.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evstream {

// RFC 6455 section 7.4 close codes that evstream sends.
enum class close_code : std::uint16_t {
  normal = 1000,
  going_away = 1001,
  policy_violation = 1008,
  message_too_big = 1009,
  internal_error = 1011,
};

// Why a subscriber's connection ended, as the metrics and the logs group it.
// The server closes for the first five; the client ends it for the last two.
enum class close_cause {
  keepalive,       // no ping within the keep-alive timeout
  slow_consumer,   // left more than the send budget unsent
  limits,          // a message too big, too far behind while catching up, a cursor out of the window
  shutdown,        // the server is stopping
  internal_error,  // a session or the dispatcher failed
  upstream_gap,    // this relay's upstream lost blocks (1011)
  client,          // the client sent a close frame
  connection_lost, // the TCP connection ended or failed without a close frame
};
inline constexpr close_cause last_close_cause = close_cause::connection_lost;
// "keepalive", "slow_consumer", ...: the cause's label in the metrics and the logs.
std::string_view name_of(close_cause cause);

class transport {
public:
  virtual ~transport() = default;
  // Sends the batch's messages as one text message each, in order.
  virtual void send_events(event_batch batch) = 0;
  // The session has asked the dispatcher for its blocks. From now on the
  // transport answers each text "ping" with "pong" itself, those owed first:
  // a client's first pong says it is subscribed.
  virtual void subscribed() = 0;
  // When the client last pinged (a text "ping" or a ping frame, which the
  // WebSocket layer answers), by the actor clock; none before the first.
  // Pings never reach the session: it reads this when its keep-alive timer
  // fires.
  virtual std::optional<caf::actor_clock::time_point> last_ping() const = 0;
  // Sends a close frame after what is already queued; the connection then
  // reports connection_closed to its session.
  virtual void close(close_code code, std::string reason, close_cause cause) = 0;
  // Sends transport_drained to the session once everything sent so far is
  // written (at once if it is); how a resuming session paces its backlog.
  virtual void notify_when_drained() = 0;
};

using transport_ptr = std::shared_ptr<transport>;

} // namespace evstream
