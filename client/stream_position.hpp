// Where a subscriber is in the stream, learnt from the messages it received,
// so that a reconnect asks for exactly what it has not seen (?since= the last
// block it received whole) and drops what the server then sends again (the
// part of a block it had already printed). Pure; the connection loop uses it.
#pragma once

#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace evstream::client {

class stream_position {
public:
  // A message as it arrives; false when it was received before the
  // reconnect, so it must not be printed again.
  bool accept(std::string_view message);

  // The stream URL to dial next: `stream` with since= the last block
  // received whole, when there is one.
  boost::urls::url resume_url(boost::urls::url_view stream);

  // The node no longer retains the blocks after the cursor: go on after
  // `oldest_available` (empty: from the live stream).
  void skip_to(const std::string& oldest_available);
  // The node never streamed the cursor (a restart without a journal, another
  // node): from the live stream.
  void forget();

  // The last block received whole; empty before one is.
  const std::string& cursor() const { return complete_block_; }

private:
  std::string complete_block_;
  // The block whose messages arrive now: whole only once a later block's come.
  std::string current_block_;
  std::size_t received_of_current_ = 0;
  std::size_t to_skip_ = 0;
};

} // namespace evstream::client
