#include "net/jetstream_history.hpp"

#include "net/jetstream_connection.hpp"
#include "ops/log.hpp"
#include "schema/block.hpp"

#include <memory>

namespace evstream::net {

namespace {

// A message read from the stream, freed with it.
using stream_message = std::unique_ptr<natsMsg, decltype(&natsMsg_Destroy)>;

caf::error failed(const std::string& doing, natsStatus status, jsErrCode code) {
  return caf::make_error(caf::sec::runtime_error,
                         "JetStream: " + doing + ": " + nats_error_text(status, code));
}

// The message at `sequence`; a null one when the stream does not hold it.
caf::expected<stream_message> message_at(jetstream_connection& nats, std::uint64_t sequence) {
  natsMsg* message = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  auto status = js_GetMsg(&message, nats.js_, nats.settings_.stream.c_str(), sequence, nullptr, &code);
  if (status == NATS_OK) return stream_message{message, natsMsg_Destroy};
  if (code == JSNoMessageFoundErr) return stream_message{nullptr, natsMsg_Destroy};
  return failed("reading block " + std::to_string(sequence), status, code);
}

// A block's id is its subject's last token (PREFIX.<blockid>).
std::string blockid_of(natsMsg* message) {
  std::string_view subject = natsMsg_GetSubject(message);
  auto dot = subject.rfind('.');
  return std::string(dot == std::string_view::npos ? subject : subject.substr(dot + 1));
}

// The id of the oldest block the stream holds, or "" when it holds none.
caf::expected<std::string> oldest_of(jetstream_connection& nats, const stream_bounds& bounds) {
  if (bounds.empty()) return std::string{};
  auto message = message_at(nats, bounds.first);
  if (!message) return std::move(message.error());
  return *message ? blockid_of(message->get()) : std::string{};
}

// `known_height`: the cursor's height where this node remembers it (0: it does not).
caf::result<cursor_status> find_cursor(jetstream_connection& nats, const std::string& blockid,
                                       std::uint64_t known_height) {
  cursor_status found;
  natsMsg* message = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const auto subject = nats.settings_.subject_prefix + "." + blockid;
  auto status =
      js_GetLastMsg(&message, nats.js_, nats.settings_.stream.c_str(), subject.c_str(), nullptr, &code);
  if (status == NATS_OK) {
    found.where = cursor_status::standing::available;
    found.sequence = natsMsg_GetSequence(message);
    natsMsg_Destroy(message);
    return found;
  }
  if (code != JSNoMessageFoundErr) return failed("looking up block " + blockid, status, code);
  auto bounds = bounds_of(nats);
  if (!bounds) return std::move(bounds.error());
  // Gone from the stream, but what comes after it may not be.
  if (known_height > 0 && !bounds->empty() && bounds->first <= known_height + 1) {
    found.where = cursor_status::standing::available;
    found.sequence = known_height;
    return found;
  }
  // Refused: the answer names the oldest block a cursor can still name.
  auto oldest = oldest_of(nats, *bounds);
  if (!oldest) return std::move(oldest.error());
  found.oldest_available = std::move(*oldest);
  return found;
}

// The block at `sequence` read and encoded once while it is cached.
void cache(jetstream_history_state& state, const encoded_block_ptr& block) {
  if (!state.cached.emplace(block->sequence, block).second) return;
  state.cached_order.push_back(block->sequence);
  state.cached_bytes += block->retained_bytes();
  while (state.cached_bytes > state.limits.cached_bytes && !state.cached_order.empty()) {
    auto oldest = state.cached.find(state.cached_order.front());
    state.cached_bytes -= oldest->second->retained_bytes();
    state.cached.erase(oldest);
    state.cached_order.pop_front();
  }
}

caf::result<stream_chunk> read_chunk(jetstream_history_state& state, std::uint64_t from,
                                     std::uint64_t through) {
  auto& nats = *state.connection;
  stream_chunk chunk;
  auto bounds = bounds_of(nats);
  if (!bounds) return std::move(bounds.error());
  // Read from what the stream holds, never beyond what the session asked for.
  const auto last = std::min(through, bounds->last);
  std::size_t bytes = 0;
  for (auto sequence = from; sequence <= last; ++sequence) {
    if (sequence < bounds->first || bounds->empty()) break;
    auto hit = state.cached.find(sequence);
    auto block = hit != state.cached.end() ? hit->second : encoded_block_ptr{};
    if (!block) {
      auto message = message_at(nats, sequence);
      if (!message) return std::move(message.error());
      if (!*message) {
        // Retention moved on while reading, or the block was deleted from the
        // stream's middle: only the second may be passed over.
        auto now = bounds_of(nats);
        if (!now) return std::move(now.error());
        bounds = std::move(now);
        if (sequence < bounds->first) break;
        chunk.through = sequence;
        continue;
      }
      auto parsed = schema::parse_block(
          {natsMsg_GetData(message->get()), static_cast<std::size_t>(natsMsg_GetDataLength(message->get()))});
      // Published by an evstream node, so parsed once already; the link passes
      // over such a block too, so every node streams the same.
      if (!parsed) {
        chunk.through = sequence;
        continue;
      }
      // Every stream now: the cache is bounded by what its blocks hold, so
      // they must not grow while cached.
      block = encode_block(std::move(*parsed), sequence, {}, state.api, all_streams);
      cache(state, block);
    }
    chunk.through = sequence;
    bytes += block->retained_bytes();
    chunk.blocks.push_back(std::move(block));
    if (chunk.blocks.size() >= state.limits.max_blocks || bytes >= state.limits.max_bytes) break;
  }
  if (chunk.through < from) {
    // Not even the first block asked for is held: retention moved past it.
    chunk.gone = true;
    auto oldest = oldest_of(nats, *bounds);
    if (!oldest) return std::move(oldest.error());
    chunk.oldest_available = std::move(*oldest);
    chunk.blocks.clear();
  }
  return chunk;
}

} // namespace

caf::behavior jetstream_history(caf::stateful_actor<jetstream_history_state>* self,
                                jetstream_connection_ptr connection, schema::bigchaindb_api api,
                                stream_history_limits limits) {
  self->state.connection = std::move(connection);
  self->state.api = api;
  self->state.limits = limits;
  return {
      [=](cursor_atom, const std::string& blockid, std::uint64_t known_height) {
        return find_cursor(*self->state.connection, blockid, known_height);
      },
      [=](replay_atom, std::uint64_t from, std::uint64_t through) {
        return read_chunk(self->state, from, through);
      },
  };
}

} // namespace evstream::net
