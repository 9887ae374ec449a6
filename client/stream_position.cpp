#include "client/stream_position.hpp"

#include <boost/json.hpp>

namespace evstream::client {

namespace json = boost::json;

namespace {

struct block_of_message {
  std::string id;
  bool whole = false; // a blocks-stream summary stands for its whole block
};

// The block a message belongs to: "blockid" (valid_tx, blocks) or "block_id"
// (valid_transactions); no id for anything else.
block_of_message block_of(std::string_view message) {
  json::error_code ec;
  auto value = json::parse(message, ec);
  const json::object* event = ec ? nullptr : value.if_object();
  if (!event) return {};
  for (const char* key : {"blockid", "block_id"})
    if (const json::value* id = event->if_contains(key); id && id->is_string())
      return {std::string{id->get_string()}, event->contains("height")};
  return {};
}

} // namespace

bool stream_position::accept(std::string_view message) {
  auto block = block_of(message);
  if (block.id.empty()) return true;
  if (to_skip_ > 0 && block.id == current_block_) {
    --to_skip_;
    return false;
  }
  to_skip_ = 0;
  if (block.whole) {
    complete_block_ = block.id;
    current_block_.clear();
    received_of_current_ = 0;
  } else if (block.id == current_block_) {
    ++received_of_current_;
  } else {
    // Blocks come whole and in order: a new block's first message completes the last one.
    if (!current_block_.empty()) complete_block_ = current_block_;
    current_block_ = block.id;
    received_of_current_ = 1;
  }
  return true;
}

boost::urls::url stream_position::resume_url(boost::urls::url_view stream) {
  boost::urls::url url{stream};
  if (complete_block_.empty()) {
    // No cursor yet: the live stream, and the current block's rest is lost.
    current_block_.clear();
    received_of_current_ = 0;
    to_skip_ = 0;
    return url;
  }
  url.params().set("since", complete_block_);
  // The server sends the current block again from its first message.
  to_skip_ = received_of_current_;
  return url;
}

void stream_position::skip_to(const std::string& oldest_available) {
  complete_block_ = oldest_available;
  current_block_.clear();
  received_of_current_ = 0;
}

void stream_position::forget() { skip_to({}); }

} // namespace evstream::client
