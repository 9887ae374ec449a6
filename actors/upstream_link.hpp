// The relay side of a relay link (see relay_messages.hpp): a node started with
// --upstream=HOST:PORT takes its blocks from there instead of a local source.
// This actor connects through CAF's middleman, asks the upstream's relay_feed
// to follow after the last block it handed on, and passes each block to the
// local block source (which numbers, journals and dispatches it like any
// other), acknowledging it once taken. When the link drops or never comes up
// it tries again with exponential backoff, resuming from its last block, so
// the relay's own clients see no gap; if the upstream no longer has the blocks
// after it, the upstream_gap goes the same way as the blocks and the
// dispatcher tells subscribers.
//
//   accepts: (following_atom, protocol), block, window_sent_atom, upstream_gap,
//            follow_refused (from the upstream),
//            (get_atom, upstream_atom) -> upstream_status
//   sends:   follow_request, relay_ack_atom (to the upstream);
//            block, window_sent_atom (the first only), upstream_gap (to the
//            block source)
#pragma once

#include "actors/messages.hpp"
#include "ops/metrics.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace evstream {

using upstream_atom = caf::atom_constant<caf::atom("upstream")>;

struct upstream_address {
  std::string host;
  std::uint16_t port = 0;
  std::string text() const { return host + ":" + std::to_string(port); }
};

struct upstream_link_settings {
  upstream_address upstream;
  // The last block this node has (from its journal); empty: none yet, so it
  // takes every block the upstream retains.
  std::string after_blockid;
  // Dial through CAF's OpenSSL module (mutual TLS) rather than plain BASP.
  bool over_tls = false;
  caf::timespan first_retry = std::chrono::milliseconds(100);
  caf::timespan max_retry = std::chrono::seconds(5);
  // A connect or a follow request unanswered this long counts as failed.
  caf::timespan answer_timeout = std::chrono::seconds(10);
};

// What /readyz reports of a relay.
struct upstream_status {
  bool following = false;
  // The first window has arrived from the upstream.
  bool caught_up = false;
  std::string upstream;
  std::uint64_t links_lost = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upstream_status& x) {
  return f(caf::meta::type_name("upstream_status"), x.following, x.caught_up, x.upstream, x.links_lost);
}

// A timer of the link: stale unless `attempt` is still the current one.
struct retry_due {
  std::uint64_t attempt = 0;
};
struct follow_deadline {
  std::uint64_t attempt = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retry_due& x) {
  return f(caf::meta::type_name("retry_due"), x.attempt);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, follow_deadline& x) {
  return f(caf::meta::type_name("follow_deadline"), x.attempt);
}

struct upstream_link_state {
  caf::actor block_source;
  upstream_link_settings settings;
  // Bumped by every connection attempt; answers and timers of older ones are stale.
  std::uint64_t attempt = 0;
  caf::actor feed;
  // Set once the upstream answered the follow request: the only sender whose
  // blocks count.
  caf::actor link;
  std::string after_blockid;
  caf::timespan next_retry{0};
  std::uint64_t links_lost = 0;
  bool caught_up = false;
  ops::metrics_ptr metrics;
  static inline const char* name = "upstream_link";
};

caf::behavior upstream_link(caf::stateful_actor<upstream_link_state>* self, caf::actor block_source,
                            upstream_link_settings settings, ops::metrics_ptr metrics);

} // namespace evstream
