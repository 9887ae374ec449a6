// The NATS objects of one node's JetStream connection, shared by the actors
// that use it (the link, the stream history): jsCtx is safe to use from
// several threads. Internal to the net layer's JetStream files.
#pragma once

#include "net/jetstream_link.hpp"

#include <nats/nats.h>

#include <condition_variable>
#include <mutex>
#include <string>

namespace evstream::net {

// The NATS objects and what the library's callbacks reach. The library calls
// back on threads of its own, so nothing here is freed before its last call:
// a subscription is dropped only once its message handler has returned for
// good, and the connection only once its closed callback came.
class jetstream_connection {
public:
  explicit jetstream_connection(jetstream_settings settings) : settings_(std::move(settings)) {}
  ~jetstream_connection() {
    close();
    if (options_) natsOptions_Destroy(options_);
  }
  jetstream_connection(const jetstream_connection&) = delete;
  jetstream_connection& operator=(const jetstream_connection&) = delete;

  // Where the library's callbacks send, while the link lives.
  template <class Message>
  void tell_link(Message&& message) {
    std::lock_guard<std::mutex> guard{mutex_};
    if (link_) caf::anon_send(link_, std::forward<Message>(message));
  }
  void set_link(caf::actor link) {
    std::lock_guard<std::mutex> guard{mutex_};
    link_ = std::move(link);
  }

  void drop_subscription() {
    if (!subscription_) return;
    finished(subscription_done_, false);
    const bool told = natsSubscription_SetOnCompleteCB(subscription_, on_subscription_done, this) == NATS_OK;
    natsSubscription_Unsubscribe(subscription_);
    if (told) wait_until(subscription_done_);
    natsSubscription_Destroy(subscription_);
    subscription_ = nullptr;
  }

  // The link's end: its consumer goes, and no callback reaches it any more.
  void stop_consuming() {
    set_link(nullptr);
    drop_subscription();
  }

  void close() {
    stop_consuming();
    if (js_) jsCtx_Destroy(js_);
    js_ = nullptr;
    if (connection_) {
      natsConnection_Close(connection_);
      wait_until(closed_); // the library's last callback for this connection
      natsConnection_Destroy(connection_);
      connection_ = nullptr;
    }
  }

  static void on_closed(natsConnection*, void* closure) {
    auto* self = static_cast<jetstream_connection*>(closure);
    self->finished(self->closed_, true);
  }

  jetstream_settings settings_;
  natsOptions* options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* subscription_ = nullptr;

private:
  static void on_subscription_done(void* closure) {
    auto* self = static_cast<jetstream_connection*>(closure);
    self->finished(self->subscription_done_, true);
  }
  // Notified under the lock: once the waiter wakes, the notifier no longer
  // touches this object.
  void finished(bool& flag, bool value) {
    std::lock_guard<std::mutex> guard{mutex_};
    flag = value;
    done_.notify_all();
  }
  // Bounded, so that a library that never calls back cannot hang a shutdown.
  void wait_until(const bool& flag) {
    std::unique_lock<std::mutex> lock{mutex_};
    done_.wait_for(lock, std::chrono::seconds(5), [&flag] { return flag; });
  }

  std::mutex mutex_;
  std::condition_variable done_;
  bool closed_ = false;
  bool subscription_done_ = false;
  caf::actor link_;
};

// What failed, in words: the library's status, its last error and JetStream's code.
std::string nats_error_text(natsStatus status, jsErrCode code = static_cast<jsErrCode>(0));

// The sequences of the oldest and the newest block the stream holds.
struct stream_bounds {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  bool empty() const { return last == 0 || first > last; }
};

// The stream's bounds now, or what kept NATS from telling them.
caf::expected<stream_bounds> bounds_of(const jetstream_connection& connection);

} // namespace evstream::net
