#include "net/coalescing_stream.hpp"

#include <utility>

namespace evstream::net {

namespace {

// Buffers per gather write: a few blocks' frames plus control frames, well
// under the kernel's IOV_MAX.
constexpr std::size_t max_gather_buffers = 64;

} // namespace

bool coalescing_stream::enqueue_shared(std::shared_ptr<const void> owner, asio::const_buffer bytes) {
  if (close_queued_) return false;
  if (bytes.size() == 0) return true;
  entry item;
  item.owner = std::move(owner);
  item.buffers.push_back(bytes);
  item.size = item.remaining = bytes.size();
  shared_bytes_queued_ += bytes.size();
  enqueue(std::move(item));
  return true;
}

void coalescing_stream::when_drained(std::function<void()> drained) {
  drained_ = std::move(drained);
  notify_if_drained();
}

void coalescing_stream::notify_if_drained() {
  if (!drained_ || shared_bytes_queued_ != 0 || failed_) return;
  asio::post(next_.get_executor(), std::exchange(drained_, nullptr));
}

void coalescing_stream::drop_unsent_shared() {
  // Entries on the wire or partly sent stay: cutting them would cut a frame.
  auto first_unstarted =
      std::next(queue_.begin(), static_cast<std::ptrdiff_t>(std::min(entries_in_flight_, queue_.size())));
  for (auto it = first_unstarted; it != queue_.end();) {
    if (it->done || it->remaining < it->size) {
      ++it;
      continue;
    }
    shared_bytes_queued_ -= it->remaining;
    it = queue_.erase(it);
  }
}

void coalescing_stream::enqueue(entry item) {
  if (failed_) return complete(item, failed_);
  if (queue_.empty()) progress_at_ = std::chrono::steady_clock::now();
  queue_.push_back(std::move(item));
  do_write();
}

void coalescing_stream::do_write() {
  if (writing_ || queue_.empty()) return;
  gather_.clear();
  entries_in_flight_ = 0;
  for (auto& item : queue_) {
    ++entries_in_flight_;
    // Skip what an earlier partial write already sent of this entry.
    auto skip = item.size - item.remaining;
    for (auto buffer : item.buffers) {
      if (gather_.size() == max_gather_buffers) break;
      auto drop = std::min(skip, buffer.size());
      skip -= drop;
      if (buffer.size() > drop) gather_.push_back(buffer + drop);
    }
    if (gather_.size() == max_gather_buffers) break;
  }
  writing_ = true;
  next_.async_write_some(
      gather_, [this, keep = owner_.lock()](error_code ec, std::size_t bytes) { on_write(ec, bytes); });
}

void coalescing_stream::on_write(error_code ec, std::size_t bytes) {
  writing_ = false;
  entries_in_flight_ = 0;
  written_.increment(static_cast<double>(bytes));
  if (bytes > 0) progress_at_ = std::chrono::steady_clock::now();
  while (bytes > 0 && !queue_.empty()) {
    auto& front = queue_.front();
    auto sent = std::min(bytes, front.remaining);
    front.remaining -= sent;
    bytes -= sent;
    if (!front.done) shared_bytes_queued_ -= sent;
    if (front.remaining > 0) break;
    complete(front, {});
    queue_.pop_front();
  }
  if (ec) {
    // Every Beast write still queued learns of the failure; shared bytes go.
    failed_ = ec;
    for (auto& item : queue_)
      if (item.done) complete(item, ec);
    queue_.clear();
    shared_bytes_queued_ = 0;
    return;
  }
  notify_if_drained();
  do_write();
}

void coalescing_stream::complete(entry& item, error_code ec) {
  if (!item.done) return;
  // Posted, never run inline: Asio's rule for completion handlers.
  asio::post(next_.get_executor(), [done = std::move(item.done), ec, size = item.size]() mutable {
    std::move (*done)(ec, ec ? 0 : size);
  });
}

void teardown(beast::role_type role, coalescing_stream& stream, error_code& ec) {
  teardown(role, stream.next_layer(), ec);
}

} // namespace evstream::net
