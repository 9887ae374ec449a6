#include "bench/block_set.hpp"

#include "actors/demo_chain.hpp"
#include "schema/block.hpp"
#include "schema/stream_events.hpp"

#include <stdexcept>
#include <variant>

namespace evstream::bench {

std::size_t expected_stream::position_of(std::string_view txid) const {
  auto found = position_.find(txid);
  return found == position_.end() ? total() : found->second;
}

std::string expected_stream::describe(std::size_t position) const {
  if (position >= total()) return "past the last event";
  std::size_t block = 0;
  while (block_end_[block] <= position)
    ++block;
  std::size_t begin = block == 0 ? 0 : block_end_[block - 1];
  return "block " + std::to_string(block) + " tx " + std::to_string(position - begin);
}

block_set block_set::generate(std::uint64_t seed, std::size_t blocks, std::size_t transactions) {
  block_set set;
  demo_chain chain{seed};
  for (std::size_t i = 0; i < blocks; ++i) {
    auto text = chain.next_block_json(transactions);
    auto parsed = schema::parse_block(text);
    if (!parsed)
      throw std::runtime_error("demo_chain made a block parse_block refuses: " + parsed.error().message
                               + " at " + parsed.error().path);
    const auto& block = *parsed;
    auto encoded = schema::encode_valid_tx_events(block);
    std::vector<std::string> texts;
    texts.reserve(encoded.size());
    for (std::size_t e = 0; e < encoded.size(); ++e)
      texts.emplace_back(encoded[e]);
    for (const auto& tx : block.transactions)
      set.expected.txids_.push_back(tx.txid);
    set.expected.block_end_.push_back(set.expected.txids_.size());
    set.ids.push_back(block.id);
    set.parsed.push_back(block);
    set.events.push_back(std::move(texts));
    set.json.push_back(std::move(text));
  }
  // Built last: the views point into txids_, which no longer grows.
  for (std::size_t p = 0; p < set.expected.txids_.size(); ++p)
    set.expected.position_.emplace(set.expected.txids_[p], p);
  return set;
}

expected_stream block_set::expect(std::size_t first_block,
                                  const std::function<bool(const schema::transaction_ref&)>& keep) const {
  expected_stream stream;
  for (std::size_t b = first_block; b < parsed.size(); ++b) {
    for (const auto& tx : parsed[b].transactions)
      if (keep(tx)) stream.txids_.push_back(tx.txid);
    stream.block_end_.push_back(stream.txids_.size());
  }
  for (std::size_t p = 0; p < stream.txids_.size(); ++p)
    stream.position_.emplace(stream.txids_[p], p);
  return stream;
}

std::size_t block_set::json_bytes() const {
  std::size_t bytes = 0;
  for (const auto& text : json)
    bytes += text.size();
  return bytes;
}

} // namespace evstream::bench
