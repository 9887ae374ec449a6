// What one subscriber asked for: a stream, optionally only the transactions
// that pass a filter, optionally resumed after a block it already has.
#pragma once

#include "actors/encoded_block.hpp"
#include "schema/block.hpp"
#include "schema/stream_events.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace evstream {

// The streams this node serves, by the name that follows /api/v1/streams/,
// which is also their label in the metrics and the logs.
struct stream_name {
  std::string_view name;
  stream_kind stream;
};
const std::vector<stream_name>& served_streams();
std::optional<stream_kind> stream_named(std::string_view name);
std::string_view name_of(stream_kind stream);

// Transactions a subscriber wants: each list that is not empty must match
// (asset and operation and key), and within a list any entry matches.
struct transaction_filter {
  std::unordered_set<std::string> asset_ids;
  std::unordered_set<std::string> public_keys; // any of the transaction's outputs' keys
  std::unordered_set<std::string> operations;

  bool empty() const { return asset_ids.empty() && public_keys.empty() && operations.empty(); }
  bool matches(const schema::transaction_ref& tx) const;
};

struct subscription {
  stream_kind stream = stream_kind::valid_tx;
  transaction_filter filter;
  // The height of the last block the subscriber already has: it gets every
  // block after it, then the live stream. Unset: live blocks only.
  std::optional<std::uint64_t> resume_after;
  // Set: every retained block first, then the live stream (a relay filling
  // its window from its upstream).
  bool replay_window = false;
};

// What the subscribers of one view (a stream and a filter) get of a block:
// the stream's messages, all of them or the ones the filter chose, each a
// text message. Made once per view and block, shared by its subscribers.
struct event_batch {
  encoded_block_ptr block; // keeps `events` alive
  const schema::encoded_events* events = nullptr;
  // Set for a filtered view: the chosen indexes into `events`, ascending,
  // and their frames back to back, one buffer for the socket.
  std::shared_ptr<const std::vector<std::uint32_t>> chosen;
  std::shared_ptr<const std::string> chosen_frames;

  std::size_t size() const { return chosen ? chosen->size() : events->size(); }
  std::string_view text(std::size_t i) const { return (*events)[chosen ? (*chosen)[i] : i]; }
  std::string_view frames() const { return chosen_frames ? *chosen_frames : events->frames(); }
};

// What `wanted` gets of `block`; unset when its filter chooses nothing.
std::optional<event_batch> select_events(const encoded_block_ptr& block, const subscription& wanted);

// Subscriptions with the same key get the same messages of every block
// (the resume cursor is not part of it).
std::string view_key(const subscription& wanted);

} // namespace evstream
