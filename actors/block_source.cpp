#include "actors/block_source.hpp"

namespace evstream {

namespace {

bool seen_recently(block_source_state& state, const std::string& blockid) {
  return state.remembered.count(blockid) != 0;
}

void remember(block_source_state& state, const std::string& blockid) {
  state.remembered.insert(blockid);
  state.remembered_order.push_back(blockid);
  if (state.remembered_order.size() > state.remembered_capacity) {
    state.remembered.erase(state.remembered_order.front());
    state.remembered_order.pop_front();
  }
}

ingest_result publish(caf::stateful_actor<block_source_state>* self, const schema::block& block) {
  auto& state = self->state;
  if (seen_recently(state, block.id))
    return {ingest_result::outcome::duplicate, block.id, block.transactions.size(), {}};
  remember(state, block.id);
  auto encoded = std::make_shared<encoded_block>();
  encoded->sequence = state.next_sequence++;
  encoded->blockid = block.id;
  encoded->valid_tx = schema::encode_valid_tx_events(block);
  self->send(state.dispatcher, encoded_block_ptr{std::move(encoded)});
  return {ingest_result::outcome::accepted, block.id, block.transactions.size(), {}};
}

} // namespace

caf::behavior block_source(caf::stateful_actor<block_source_state>* self, caf::actor dispatcher,
                           std::size_t remembered_block_ids) {
  self->state.dispatcher = std::move(dispatcher);
  self->state.remembered_capacity = remembered_block_ids;
  return {
      [=](ingest_atom, const std::string& json) {
        auto parsed = schema::parse_block(json);
        if (auto* error = std::get_if<schema::parse_error>(&parsed))
          return ingest_result{ingest_result::outcome::invalid, {}, 0, std::move(*error)};
        return publish(self, std::get<schema::block>(parsed));
      },
  };
}

} // namespace evstream
