#include "client/tail_config.hpp"

namespace evstream::client {

tail_config::tail_config() {
  opt_group{custom_options_, "global"}
      .add(ping_interval, "ping-interval", "send ping this often (default 30s)")
      .add(retry_delay, "retry-delay",
           "first wait before reconnecting; doubles after each failure (default 500ms)")
      .add(max_retry_delay, "max-retry-delay", "longest wait between reconnects (default 30s)")
      .add(ca_file, "ca-file", "PEM file of CA certificates trusted besides the system's, for https and wss");
}

result<tail_options, std::string> tail_config::to_tail_options() const {
  if (remainder.size() != 1)
    return "give one URL: a node (http://host:port) or a stream (ws://host:port/api/v1/streams/valid_tx)";
  auto url = read_tail_url(remainder.front());
  if (!url) return std::move(url.error());
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  tail_options options;
  options.url = std::move(*url);
  options.ping_interval = duration_cast<milliseconds>(ping_interval);
  options.first_retry_delay = duration_cast<milliseconds>(retry_delay);
  options.max_retry_delay = duration_cast<milliseconds>(max_retry_delay);
  options.ca_file = ca_file;
  if (options.ping_interval <= milliseconds{0}) return "--ping-interval must be above 0";
  if (options.first_retry_delay <= milliseconds{0} || options.max_retry_delay < options.first_retry_delay)
    return "--retry-delay must be above 0 and at most --max-retry-delay";
  return options;
}

} // namespace evstream::client
