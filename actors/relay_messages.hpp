// The relay protocol: what evstream nodes say to each other over CAF's network
// layer (libcaf_io). A relay's upstream_link asks an upstream's relay_feed to
// follow its blocks after the last one it has; the feed answers through a
// follower_link of its own, which sends the blocks in order, one at a time
// acknowledged, so a slow relay never makes its upstream buffer without bound.
//
//   upstream_link -> relay_feed:     follow_request
//   follower_link -> upstream_link:  (following_atom, protocol) first, then
//                                    block ..., (window_sent_atom) once every
//                                    block the upstream held for it when the
//                                    link began is sent, and upstream_gap when
//                                    the blocks after the cursor are gone
//   upstream_link -> follower_link:  (relay_ack_atom) per block taken
//
// Every type here crosses the network, so every node announces them
// (announce_relay_types) and none may be a local-only (unsafe) type.
#pragma once

#include "evstream/block.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <string>

namespace evstream {

// Bumped when the messages below change meaning; a feed refuses other versions.
inline constexpr std::uint32_t relay_protocol_version = 2;

using following_atom = caf::atom_constant<caf::atom("following")>;
using relay_ack_atom = caf::atom_constant<caf::atom("relayack")>;
// Until it has its upstream's window, a relay cannot tell a cursor it lacks
// from one that is on its way (docs/relays.md).
using window_sent_atom = caf::atom_constant<caf::atom("windowsent")>;

// A relay asks to follow the blocks after `after_blockid`, or, when it is
// empty (a relay that has nothing yet), every block the upstream retains.
struct follow_request {
  std::uint32_t protocol = relay_protocol_version;
  caf::actor follower;
  std::string after_blockid;
};

// The upstream no longer has the blocks after the relay's cursor (they left
// its window, or it never saw the cursor); it goes on from `oldest_available`.
struct upstream_gap {
  std::string after_blockid;
  std::string oldest_available;
};

// A feed that cannot serve a follow request says why, then the link ends.
struct follow_refused {
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, follow_request& x) {
  return f(caf::meta::type_name("follow_request"), x.protocol, x.follower, x.after_blockid);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upstream_gap& x) {
  return f(caf::meta::type_name("upstream_gap"), x.after_blockid, x.oldest_available);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, follow_refused& x) {
  return f(caf::meta::type_name("follow_refused"), x.reason);
}

// Every node that relays, in either direction, calls this on its config
// before the actor system starts: unannounced types arrive empty.
inline void announce_relay_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<block>("evstream::block");
  cfg.add_message_type<follow_request>("evstream::follow_request");
  cfg.add_message_type<upstream_gap>("evstream::upstream_gap");
  cfg.add_message_type<follow_refused>("evstream::follow_refused");
}

} // namespace evstream
