#include "net/connection_registry.hpp"

#include <vector>

namespace evstream::net {

registration& registration::operator=(registration&& other) noexcept {
  std::swap(registry_, other.registry_);
  std::swap(key_, other.key_);
  std::swap(subscriber_, other.subscriber_);
  return *this;
}

registration::~registration() {
  if (!registry_) return;
  if (subscriber_) registry_->release_subscriber(*subscriber_);
  registry_->remove(key_);
}

registration connection_registry::add(const std::shared_ptr<registered_connection>& connection, kind what,
                                      std::optional<boost::asio::ip::address> subscriber) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    entries_.emplace(connection.get(), entry{connection, what});
    if (what == kind::websocket) ++websockets_;
  }
  registration result;
  result.registry_ = this;
  result.key_ = connection.get();
  result.subscriber_ = std::move(subscriber);
  return result;
}

void connection_registry::remove(registered_connection* connection) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    auto found = entries_.find(connection);
    if (found == entries_.end()) return;
    if (found->second.what == kind::websocket) --websockets_;
    entries_.erase(found);
  }
  changed_.notify_all();
}

bool connection_registry::admit_subscriber(const boost::asio::ip::address& address, std::size_t max_total,
                                           std::size_t max_per_address, std::string& refusal) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (subscribers_ >= max_total) {
    refusal = "server full: " + std::to_string(max_total) + " subscribers; try again later";
    return false;
  }
  auto& from_address = subscribers_by_address_[address.to_string()];
  if (from_address >= max_per_address) {
    refusal =
        "too many subscribers from " + address.to_string() + ": at most " + std::to_string(max_per_address);
    if (from_address == 0) subscribers_by_address_.erase(address.to_string());
    return false;
  }
  ++from_address;
  ++subscribers_;
  return true;
}

void connection_registry::release_subscriber(const boost::asio::ip::address& address) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto found = subscribers_by_address_.find(address.to_string());
  if (found == subscribers_by_address_.end()) return;
  --subscribers_;
  if (--found->second == 0) subscribers_by_address_.erase(found);
}

bool connection_registry::wait_for_no_websockets(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock{mutex_};
  return changed_.wait_until(lock, deadline, [this] { return websockets_ == 0; });
}

bool connection_registry::wait_for_none(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock{mutex_};
  return changed_.wait_until(lock, deadline, [this] { return entries_.empty(); });
}

void connection_registry::force_close_all() {
  std::vector<std::shared_ptr<registered_connection>> open;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    for (auto& item : entries_)
      if (auto connection = item.second.connection.lock()) open.push_back(std::move(connection));
  }
  // Outside the lock: closing may end a connection, which removes itself.
  for (auto& connection : open)
    connection->force_close();
}

} // namespace evstream::net
