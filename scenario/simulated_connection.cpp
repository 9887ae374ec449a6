#include "scenario/simulated_connection.hpp"

#include "actors/client_limits.hpp"

namespace evstream::scenario {

void simulated_connection::send_events(encoded_block_ptr block) {
  // Aliasing pointer: the block keeps its events alive.
  enqueue(std::shared_ptr<const schema::encoded_events>{block, &block->valid_tx});
}

void simulated_connection::send_text(std::string text) {
  auto framed = std::make_shared<schema::encoded_events>();
  framed->append(text);
  enqueue(std::move(framed));
}

void simulated_connection::close(close_code code, std::string reason) {
  if (close_sent_ || cut_by_client_) return;
  close_sent_ = client_end{static_cast<std::uint16_t>(code), std::move(reason)};
  if (reading_) deliver_unsent();
}

void simulated_connection::client_sends(const std::string& text) {
  if (close_sent_ || cut_by_client_) return;
  if (auto too_big = check_message_size(text.size(), settings_.max_message_bytes)) {
    unsent_.clear();
    unsent_bytes_ = 0;
    close(too_big->code, std::move(too_big->reason));
    return end_session("closed: message too big");
  }
  if (text == "ping") caf::anon_send(session_, client_ping{true});
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

void simulated_connection::enqueue(std::shared_ptr<const schema::encoded_events> messages) {
  if (close_sent_ || cut_by_client_) return;
  unsent_bytes_ += messages->wire_bytes();
  unsent_.push_back(std::move(messages));
  if (reading_) return deliver_unsent();
  if (auto slow = check_send_budget(unsent_bytes_, settings_.send_budget_bytes)) {
    unsent_.clear();
    unsent_bytes_ = 0;
    close(slow->code, std::move(slow->reason));
    end_session("closed: slow consumer");
  }
}

void simulated_connection::deliver_unsent() {
  for (const auto& messages : unsent_)
    for (std::size_t i = 0; i < messages->size(); ++i)
      record_.add_message(std::string{(*messages)[i]});
  unsent_.clear();
  unsent_bytes_ = 0;
  if (close_sent_ && !record_.ended) record_.ended = close_sent_;
}

void simulated_connection::end_session(const std::string& why) {
  // As net/ does once the socket is done: the session ends and unsubscribes.
  if (session_) caf::anon_send(session_, connection_closed{why});
  session_ = nullptr;
}

} // namespace evstream::scenario
