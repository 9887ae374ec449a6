#include "app/config.hpp"

#include "actors/relay_messages.hpp"
#include "net/ingest_guard.hpp"
#include "ops/log.hpp"
#include "schema/block.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>

namespace evstream {

config::config() {
  // Two cores: one CAF worker and one I/O thread by default; both configurable.
  set("scheduler.max-threads", 1);
  // A relay notices a silently dead upstream link (no FIN, e.g. a dropped
  // route) within seconds, not at TCP's own timeouts.
  set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(1)});
  set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(5)});
  announce_relay_types(*this);
  opt_group{custom_options_, "global"}
      .add(host, "host", "address to listen on (default 127.0.0.1)")
      .add(port, "port", "TCP port; 0 picks a free one (default 9984)")
      .add(advertised_url, "advertised-url",
           "base URL clients dial, e.g. wss://node.example.com (default: from the Host header)")
      .add(keepalive_timeout, "keepalive-timeout",
           "close a stream after this long without a ping (default 180s)")
      .add(source, "source", "block source: demo, ingest (POST /api/v1/blocks) or stdin (default demo)")
      .add(demo_rate, "demo-rate", "demo source: blocks per second (default 1)")
      .add(demo_block_size, "demo-block-size",
           "demo source: transactions per block, at most 1000 (default 10)")
      .add(demo_seed, "demo-seed", "demo source: seed of the generated chain (default 1)")
      .add(tls_cert, "tls-cert", "PEM certificate chain: serve https:// and wss:// (needs --tls-key)")
      .add(tls_key, "tls-key", "PEM private key of --tls-cert")
      .add(ingest_token, "ingest-token", "require Authorization: Bearer TOKEN on ingest, from every client")
      .add(ingest_token_file, "ingest-token-file",
           "read --ingest-token from this file (e.g. a systemd credential), out of sight of ps")
      .add(ingest_allow_origin, "ingest-allow-origin",
           "web page origins that may ingest, e.g. [\"https://admin.example.com\"]; requests from any other "
           "page get 403 (default: none)")
      .add(max_message_bytes, "max-message-bytes", "largest client message before close 1009 (default 4096)")
      .add(send_budget_bytes, "send-budget-bytes",
           "unsent bytes per subscriber before it is closed as slow (default 8 MiB)")
      .add(send_timeout, "send-timeout",
           "how long a subscriber's queued output may wait for its socket to take a byte before it is "
           "closed as slow (default 30s)")
      .add(retain_blocks, "retain-blocks",
           "newest blocks kept for resuming subscribers (?since=); also how far behind a resuming "
           "subscriber may fall (default 1000)")
      .add(retain_bytes, "retain-bytes", "most bytes the retained blocks may take (default 256 MiB)")
      .add(journal, "journal",
           "SQLite file: blocks are durable there before they are acknowledged, and a restart keeps "
           "the window, heights and ids (default: none, memory only)")
      .add(publish_port, "publish-port",
           "let other evstream nodes follow this one's blocks on this TCP port (on --publish-host; 0 picks "
           "a free one), over CAF's network layer (default: off)")
      .add(publish_host, "publish-host",
           "address the relay feed listens on, e.g. a private one (default: --host)")
      .add(upstream, "upstream",
           "HOST:PORT of a node's --publish-port: take blocks from there instead of --source (this node is "
           "a relay)")
      .add(
          relay_ca, "relay-ca",
          "PEM CA certificate: relay links (--publish-port, --upstream) accept only a peer whose certificate "
          "chains to it, both ways")
      .add(relay_cert, "relay-cert", "PEM certificate chain this node presents on relay links")
      .add(relay_key, "relay-key", "PEM private key of --relay-cert")
      .add(relay_insecure, "relay-insecure",
           "relay links in plain BASP, without authentication or encryption: a trusted network only")
      .add(max_body_bytes, "max-body-bytes", "largest ingest body before 413 (default 16 MiB)")
      .add(io_threads, "io-threads", "threads running network I/O (default 1)")
      .add(max_connections, "max-connections", "open subscribers before upgrades get 503 (default 150000)")
      .add(max_connections_per_ip, "max-connections-per-ip",
           "open subscribers from one client address before upgrades get 503 (default 1000)")
      .add(max_header_bytes, "max-header-bytes", "largest HTTP request header before 431 (default 8192)")
      .add(request_timeout, "request-timeout", "time a client has to send a whole HTTP request (default 5s)")
      .add(handshake_timeout, "handshake-timeout",
           "limit of the WebSocket opening and closing handshakes (default 5s)")
      .add(log_level, "log-level",
           "lowest level logged to stderr: debug, info, warn or error (default info)");
}

namespace {

// --advertised-url as the WebSocket base URL discovery advertises: ws or wss
// as given, or http and https as the matching ws and wss (the same server);
// with a host, and no query or fragment. Anything else would be advertised
// as it is, and no client could dial it.
result<std::string, problem> stream_base_of(const std::string& text) {
  auto refused = [&] {
    return problem{
        "--advertised-url must be a ws, wss, http or https URL such as wss://node.example.com, not \"" + text
        + "\""};
  };
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url || url->encoded_host().empty() || url->has_query() || url->has_fragment()) return refused();
  boost::urls::url base{*url};
  switch (url->scheme_id()) {
  case boost::urls::scheme::ws:
  case boost::urls::scheme::wss:
    break;
  case boost::urls::scheme::http:
    base.set_scheme_id(boost::urls::scheme::ws);
    break;
  case boost::urls::scheme::https:
    base.set_scheme_id(boost::urls::scheme::wss);
    break;
  default:
    return refused();
  }
  return std::string{base.buffer()};
}

} // namespace

result<std::string, problem> config::ingest_token_value() const {
  if (ingest_token_file.empty()) return ingest_token;
  if (!ingest_token.empty())
    return problem{"--ingest-token and --ingest-token-file exclude each other: give one"};
  std::ifstream file{ingest_token_file};
  if (!file) return problem{"--ingest-token-file: cannot read \"" + ingest_token_file + "\""};
  std::string token{std::istreambuf_iterator<char>{file}, std::istreambuf_iterator<char>{}};
  // A file written by echo or an editor ends with a newline; it is not part of the token.
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
    token.pop_back();
  if (token.empty()) return problem{"--ingest-token-file: \"" + ingest_token_file + "\" is empty"};
  return token;
}

result<service_options, std::string> config::to_service_options() const {
  service_options options;
  options.host = host;
  options.port = port;
  if (source == "demo")
    options.source = block_source_kind::demo;
  else if (source == "ingest")
    options.source = block_source_kind::ingest;
  else if (source == "stdin")
    options.source = block_source_kind::stdin_lines;
  else
    return "--source must be demo, ingest or stdin, not \"" + source + "\"";
  if (!upstream.empty()) {
    // --source keeps its default (demo) unless set: the upstream replaces it.
    if (source != "demo") return "--upstream replaces --source; drop --source=" + source;
    auto authority = boost::urls::parse_authority(upstream);
    // port_number() wraps a port past 65535, so the digits are read here.
    unsigned port_number = 0;
    if (authority) {
      auto digits = authority->port();
      auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port_number);
      if (error != std::errc{} || end != digits.data() + digits.size() || port_number > 65535)
        port_number = 0;
    }
    if (!authority || authority->host().empty() || port_number == 0 || authority->has_userinfo())
      return "--upstream must be HOST:PORT, not \"" + upstream + "\"";
    options.source = block_source_kind::upstream;
    // host_address(): "[::1]" without its brackets, as the middleman takes it.
    options.upstream = {authority->host_address(), static_cast<std::uint16_t>(port_number)};
  }
  if (publish_port > 65535) return "--publish-port must be a TCP port (0 to 65535)";
  auto tls = relay_tls();
  if (!tls) return std::move(tls.error());
  options.relay_tls = std::move(*tls);
  if (publish_port >= 0) options.publish_port = static_cast<std::uint16_t>(publish_port);
  options.publish_host = publish_host.empty() ? host : publish_host;
  if (!(demo_rate > 0)) return "--demo-rate must be above 0";
  if (demo_block_size == 0 || demo_block_size > schema::max_transactions_per_block)
    return "--demo-block-size must be between 1 and 1000";
  if (keepalive_timeout <= caf::timespan{0}) return "--keepalive-timeout must be above 0";
  if (io_threads == 0) return "--io-threads must be at least 1";
  if (send_timeout <= caf::timespan{0}) return "--send-timeout must be above 0";
  if (request_timeout <= caf::timespan{0} || handshake_timeout <= caf::timespan{0})
    return "--request-timeout and --handshake-timeout must be above 0";
  if (tls_cert.empty() != tls_key.empty()) return "--tls-cert and --tls-key go together";
  auto level = ops::log_level_named(log_level);
  if (!level) return "--log-level must be debug, info, warn or error, not \"" + log_level + "\"";
  options.log_level = *level;
  options.demo = {demo_rate, demo_block_size, demo_seed};
  options.io_threads = io_threads;
  options.retention.max_blocks = retain_blocks;
  options.retention.max_bytes = retain_bytes;
  options.journal_path = journal;
  auto& server = options.server;
  if (!advertised_url.empty()) {
    auto advertised = stream_base_of(advertised_url);
    if (!advertised) return std::move(advertised.error().message);
    server.advertised_url = std::move(*advertised);
  }
  server.keepalive_timeout = keepalive_timeout;
  server.max_inbound_message_bytes = max_message_bytes;
  server.send_budget_bytes = send_budget_bytes;
  server.send_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(send_timeout);
  server.max_body_bytes = max_body_bytes;
  auto token = ingest_token_value();
  if (!token) return std::move(token.error().message);
  server.ingest_token = std::move(*token);
  for (const auto& origin : ingest_allow_origin) {
    auto normalized = net::normalized_origin(origin);
    if (!normalized)
      return "--ingest-allow-origin takes origins like https://admin.example.com (scheme, host and "
             "port only), not \""
             + origin + "\"";
    server.ingest_allowed_origins.push_back(std::move(*normalized));
  }
  server.tls_cert_file = tls_cert;
  server.tls_key_file = tls_key;
  server.max_connections = max_connections;
  server.max_connections_per_ip = max_connections_per_ip;
  server.max_header_bytes = max_header_bytes;
  server.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(request_timeout);
  server.handshake_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(handshake_timeout);
  return options;
}

result<std::optional<relay_tls_files>, std::string> config::relay_tls() const {
  bool any_file = !relay_ca.empty() || !relay_cert.empty() || !relay_key.empty();
  if (!relays()) {
    if (any_file || relay_insecure)
      return "--relay-ca, --relay-cert, --relay-key and --relay-insecure go with --publish-port or "
             "--upstream";
    return std::nullopt;
  }
  if (relay_insecure) {
    if (any_file)
      return "--relay-insecure drops the relay link's TLS: leave out --relay-ca, --relay-cert and "
             "--relay-key";
    return std::nullopt;
  }
  if (relay_ca.empty() || relay_cert.empty() || relay_key.empty())
    return "relay links are mutual TLS: give --relay-ca, --relay-cert and --relay-key (or --relay-insecure "
           "for "
           "plain BASP on a trusted network)";
  // Loaded once here, so a wrong file is a clear error at start rather than an
  // exception in CAF's network thread at the first link.
  boost::asio::ssl::context check{boost::asio::ssl::context::tls};
  const std::pair<const char*, const std::string*> files[] = {
      {"--relay-ca", &relay_ca}, {"--relay-cert", &relay_cert}, {"--relay-key", &relay_key}};
  for (const auto& [option, file] : files) {
    try {
      if (file == &relay_ca)
        check.load_verify_file(*file);
      else if (file == &relay_cert)
        check.use_certificate_chain_file(*file);
      else
        check.use_private_key_file(*file, boost::asio::ssl::context::pem);
    } catch (const boost::system::system_error& error) {
      return option + std::string{": cannot load \""} + *file + "\": " + error.code().message();
    }
  }
  return relay_tls_files{relay_ca, relay_cert, relay_key};
}

} // namespace evstream
