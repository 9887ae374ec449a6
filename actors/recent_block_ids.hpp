// The ids of the most recent blocks with their heights, forgetting the oldest
// past a capacity. The block source asks it whether a block is a repeat (409);
// the dispatcher where a resume cursor stands (410 against 404).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace evstream {

class recent_block_ids {
public:
  explicit recent_block_ids(std::size_t capacity = 0) : capacity_(capacity) {}

  // Remembers `blockid` at `height`, forgetting the oldest id past the
  // capacity; false (and nothing changes) when it is remembered already.
  bool remember(const std::string& blockid, std::uint64_t height) {
    if (!height_of_.emplace(blockid, height).second) return false;
    arrival_order_.push_back(blockid);
    if (arrival_order_.size() > capacity_) {
      height_of_.erase(arrival_order_.front());
      arrival_order_.pop_front();
    }
    return true;
  }

  std::optional<std::uint64_t> height_of(const std::string& blockid) const {
    auto known = height_of_.find(blockid);
    if (known == height_of_.end()) return std::nullopt;
    return known->second;
  }

  bool contains(const std::string& blockid) const { return height_of_.count(blockid) != 0; }

private:
  std::size_t capacity_;
  std::unordered_map<std::string, std::uint64_t> height_of_;
  // Oldest first: who is forgotten next.
  std::deque<std::string> arrival_order_;
};

} // namespace evstream
