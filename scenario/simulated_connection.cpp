#include "scenario/simulated_connection.hpp"

#include "actors/client_limits.hpp"

namespace evstream::scenario {

void simulated_connection::send_events(event_batch batch) {
  std::vector<std::string_view> texts;
  for (std::size_t i = 0; i < batch.size(); ++i)
    texts.push_back(batch.text(i));
  auto wire_bytes = batch.frames().size();
  enqueue(std::move(batch.block), std::move(texts), wire_bytes);
}

void simulated_connection::subscribed() {
  answering_pings_ = true;
  for (; pongs_owed_ > 0; --pongs_owed_)
    send_pong();
}

void simulated_connection::send_pong() {
  // Framed as net/ frames it, for its size on the wire.
  auto framed = std::make_shared<schema::encoded_events>();
  framed->append("pong");
  auto texts = std::vector<std::string_view>{(*framed)[0]};
  auto wire_bytes = framed->wire_bytes();
  enqueue(std::move(framed), std::move(texts), wire_bytes);
}

void simulated_connection::notify_when_drained() {
  drain_wanted_ = true;
  if (unsent_.empty()) deliver_unsent();
}

void simulated_connection::close(close_code code, std::string reason, close_cause) {
  if (close_sent_ || cut_by_client_) return;
  close_sent_ = client_end{static_cast<std::uint16_t>(code), std::move(reason)};
  if (reading_) deliver_unsent();
}

void simulated_connection::client_sends(const std::string& text) {
  if (close_sent_ || cut_by_client_) return;
  if (auto too_big = check_message_size(text.size(), settings_.max_message_bytes)) {
    unsent_.clear();
    unsent_bytes_ = 0;
    close(too_big->code, std::move(too_big->reason), too_big->cause);
    return end_session("closed: message too big");
  }
  if (text == "ping") {
    last_ping_ = clock_.now();
    if (answering_pings_)
      send_pong();
    else
      ++pongs_owed_;
  }
}

void simulated_connection::client_resumes_reading() {
  reading_ = true;
  deliver_unsent();
}

void simulated_connection::client_disconnects() {
  if (cut_by_client_) return;
  cut_by_client_ = true;
  unsent_.clear();
  unsent_bytes_ = 0;
  if (!record_.ended) record_.ended = client_end{0, "disconnected by the client"};
  if (!close_sent_) end_session("connection reset by the client");
}

void simulated_connection::enqueue(std::shared_ptr<const void> owner, std::vector<std::string_view> texts,
                                   std::size_t wire_bytes) {
  if (close_sent_ || cut_by_client_) return;
  unsent_bytes_ += wire_bytes;
  unsent_.push_back({std::move(owner), std::move(texts)});
  if (reading_) return deliver_unsent();
  if (auto slow = check_send_budget(unsent_bytes_, settings_.send_budget_bytes)) {
    unsent_.clear();
    unsent_bytes_ = 0;
    close(slow->code, std::move(slow->reason), slow->cause);
    end_session("closed: slow consumer");
  }
}

void simulated_connection::deliver_unsent() {
  for (const auto& messages : unsent_)
    for (auto text : messages.texts)
      record_.add_message(std::string{text});
  unsent_.clear();
  unsent_bytes_ = 0;
  if (drain_wanted_ && session_ && !close_sent_) {
    drain_wanted_ = false;
    caf::anon_send(session_, transport_drained{});
  }
  if (close_sent_ && !record_.ended) record_.ended = close_sent_;
}

void simulated_connection::end_session(const std::string& why) {
  // As net/ does once the socket is done: the session ends and unsubscribes.
  if (session_) caf::anon_send(session_, connection_closed{why});
  session_ = nullptr;
}

} // namespace evstream::scenario
