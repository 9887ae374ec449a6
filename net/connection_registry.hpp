// Every open client connection, so that shutdown can first let WebSocket
// clients close politely and then cut whatever is left — leaving no socket
// behind that outlives the io_context.
//
// Connections register from their own strands and shutdown reads it from the
// controlling thread, hence the mutex; no actor state lives here.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace evstream::net {

class registered_connection {
public:
  virtual ~registered_connection() = default;
  // Closes the socket at once; pending operations end with an error.
  virtual void force_close() = 0;
};

class connection_registry;

// A connection's place in the registry (and its subscriber slot, if it holds
// one), left when this is destroyed. A connection declares it before its
// socket, so it is destroyed after the socket: shutdown waits for the
// registry to empty before it destroys the io_context the socket belongs to.
class registration {
public:
  registration() = default;
  registration(registration&& other) noexcept { *this = std::move(other); }
  registration& operator=(registration&& other) noexcept;
  ~registration();

private:
  friend class connection_registry;
  connection_registry* registry_ = nullptr;
  registered_connection* key_ = nullptr;
  std::optional<boost::asio::ip::address> subscriber_;
};

class connection_registry {
public:
  enum class kind { http, websocket };

  // `subscriber`: the address of a slot admitted by admit_subscriber, released
  // with the registration.
  [[nodiscard]] registration add(const std::shared_ptr<registered_connection>& connection, kind what,
                                 std::optional<boost::asio::ip::address> subscriber = {});

  // Reserves a subscriber slot for a client at `address` within the limits;
  // on refusal returns false and says why.
  bool admit_subscriber(const boost::asio::ip::address& address, std::size_t max_total,
                        std::size_t max_per_address, std::string& refusal);
  // Waits until no WebSocket (or no connection at all) is open, or the deadline.
  bool wait_for_no_websockets(std::chrono::steady_clock::time_point deadline);
  bool wait_for_none(std::chrono::steady_clock::time_point deadline);
  void force_close_all();

private:
  friend class registration;
  void remove(registered_connection* connection);
  void release_subscriber(const boost::asio::ip::address& address);

  struct entry {
    std::weak_ptr<registered_connection> connection;
    kind what;
  };
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<registered_connection*, entry> entries_;
  std::size_t websockets_ = 0;
  std::size_t subscribers_ = 0;
  std::unordered_map<std::string, std::size_t> subscribers_by_address_;
};

} // namespace evstream::net
