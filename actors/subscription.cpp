#include "actors/subscription.hpp"

#include <algorithm>

namespace evstream {

const std::vector<stream_name>& served_streams() {
  static const std::vector<stream_name> streams{{"valid_tx", stream_kind::valid_tx},
                                                {"valid_transactions", stream_kind::valid_transactions},
                                                {"blocks", stream_kind::blocks}};
  return streams;
}

std::optional<stream_kind> stream_named(std::string_view name) {
  for (const auto& served : served_streams())
    if (served.name == name) return served.stream;
  return std::nullopt;
}

std::string_view name_of(stream_kind stream) {
  for (const auto& served : served_streams())
    if (served.stream == stream) return served.name;
  return "unknown";
}

bool transaction_filter::matches(const schema::transaction_ref& tx) const {
  if (!asset_ids.empty() && asset_ids.count(tx.assetid) == 0) return false;
  if (!operations.empty() && operations.count(tx.operation) == 0) return false;
  if (public_keys.empty()) return true;
  for (const auto& key : tx.public_keys)
    if (public_keys.count(key) != 0) return true;
  return false;
}

std::optional<event_batch> select_events(const encoded_block_ptr& block, const subscription& wanted) {
  event_batch batch{block, &block->events(wanted.stream), nullptr, nullptr};
  if (wanted.stream == stream_kind::blocks || wanted.filter.empty()) return batch;
  auto chosen = std::make_shared<std::vector<std::uint32_t>>();
  auto frames = std::make_shared<std::string>();
  const auto& txs = block->block.transactions;
  for (std::size_t i = 0; i < txs.size(); ++i)
    if (wanted.filter.matches(txs[i])) {
      chosen->push_back(static_cast<std::uint32_t>(i));
      frames->append(batch.events->frame(i));
    }
  if (chosen->empty()) return std::nullopt;
  batch.chosen = std::move(chosen);
  batch.chosen_frames = std::move(frames);
  return batch;
}

std::string view_key(const subscription& wanted) {
  // Sorted values, so that the same filter written in another order shares the view.
  auto sorted = [](const std::unordered_set<std::string>& values) {
    std::vector<std::string> list(values.begin(), values.end());
    std::sort(list.begin(), list.end());
    std::string text;
    for (const auto& value : list)
      text += value + ',';
    return text;
  };
  const auto& f = wanted.filter;
  return std::to_string(static_cast<int>(wanted.stream)) + '|' + sorted(f.asset_ids) + '|'
         + sorted(f.public_keys) + '|' + sorted(f.operations);
}

} // namespace evstream
