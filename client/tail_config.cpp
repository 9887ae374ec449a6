#include "client/tail_config.hpp"

namespace evstream::client {

cli::option_table options_of(tail_settings& v) {
  cli::option_table table;
  table.group("Options")
      .add("ping-interval", v.ping_interval, "send ping this often")
      .add("retry-delay", v.retry_delay, "first wait before reconnecting; doubles after each failure")
      .add("max-retry-delay", v.max_retry_delay, "longest wait between reconnects")
      .add("ca-file", v.ca_file, "FILE",
           "PEM file of CA certificates trusted besides the system's, for https and wss");
  return table;
}

result<tail_options, std::string> to_tail_options(const tail_settings& v,
                                                  const std::vector<std::string>& words) {
  if (words.size() != 1)
    return "give one URL: a node (http://host:port or host:port) or a stream "
           "(ws://host:port/api/v1/streams/valid_tx)";
  auto url = read_tail_url(words.front());
  if (!url) return std::move(url.error());
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  tail_options options;
  options.url = std::move(*url);
  options.ping_interval = duration_cast<milliseconds>(v.ping_interval);
  options.first_retry_delay = duration_cast<milliseconds>(v.retry_delay);
  options.max_retry_delay = duration_cast<milliseconds>(v.max_retry_delay);
  options.ca_file = v.ca_file;
  if (options.ping_interval <= milliseconds{0}) return "--ping-interval must be above 0";
  if (options.first_retry_delay <= milliseconds{0} || options.max_retry_delay < options.first_retry_delay)
    return "--retry-delay must be above 0 and at most --max-retry-delay";
  return options;
}

} // namespace evstream::client
