#include "app/config.hpp"

#include "actors/relay_messages.hpp"
#include "net/http_get.hpp"
#include "net/ingest_guard.hpp"
#include "net/jetstream_link.hpp"
#include "ops/log.hpp"
#include "schema/block.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <caf/atom.hpp>

#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>

namespace evstream {

cli::option_table options_of(settings& v) {
  cli::option_table table;
  table.group("General")
      .add("config-file", v.config_files, "FILE",
           "INI file of options (name = value); give it again for more files, a later one winning "
           "(default: ./evstream.ini when it exists)")
      .add("dump-config", v.dump_config, "print every option's value and where it came from, then exit")
      .action()
      .add("version", v.version, "print the version and git commit, then exit")
      .action()
      .add("log-level", v.log_level, "LEVEL", "lowest level logged to stderr: debug, info, warn or error");
  table.group("Listening and blocks")
      .add("host", v.host, "ADDRESS", "address or host name to listen on")
      .add("port", v.port, "TCP port; 0 picks a free one")
      .add("advertised-url", v.advertised_url, "URL",
           "base URL clients dial, e.g. wss://node.example.com (default: from the Host header)")
      .add("source", v.source, "SOURCE",
           "block source: demo, ingest (POST /api/v1/blocks), stdin, or bigchaindb (follow a BigchainDB 2.x "
           "node)")
      .add("demo-rate", v.demo_rate, "PER_SECOND", "demo source: blocks per second")
      .add("demo-block-size", v.demo_block_size, "COUNT", "demo source: transactions per block, at most 1000")
      .add("demo-seed", v.demo_seed, "SEED", "demo source: seed of the generated chain")
      .add("ingest-token", v.ingest_token, "TOKEN",
           "require Authorization: Bearer TOKEN on ingest, from every client (prefer --ingest-token-file: "
           "ps shows a command line)")
      .secret()
      .add("ingest-token-file", v.ingest_token_file, "FILE",
           "read --ingest-token from this file (e.g. a systemd credential)")
      .add("ingest-allow-origin", v.ingest_allow_origin, "ORIGIN",
           "a web page origin that may ingest, e.g. https://admin.example.com; repeat for more; requests "
           "from any other page get 403 (default: none)")
      .add("max-body-bytes", v.max_body_bytes, "BYTES", "largest ingest body before 413")
      .add("tls-cert", v.tls_cert, "FILE",
           "PEM certificate chain: serve https:// and wss:// (needs --tls-key)")
      .add("tls-key", v.tls_key, "FILE", "PEM private key of --tls-cert");
  table.group("Subscribers and limits")
      .add("keepalive-timeout", v.keepalive_timeout, "close a stream after this long without a ping")
      .add("max-message-bytes", v.max_message_bytes, "BYTES", "largest client message before close 1009")
      .add("send-budget-bytes", v.send_budget_bytes, "BYTES",
           "unsent bytes per subscriber before it is closed as slow")
      .add("send-timeout", v.send_timeout,
           "how long a subscriber's queued output may wait for its socket to take a byte before it is "
           "closed as slow")
      .add("retain-blocks", v.retain_blocks, "COUNT",
           "newest blocks kept for resuming subscribers (?since=); also how far behind a resuming "
           "subscriber may fall")
      .add("retain-bytes", v.retain_bytes, "BYTES", "most bytes the retained blocks may take")
      .add("journal", v.journal, "FILE",
           "SQLite file: blocks are durable there before they are acknowledged, and a restart keeps "
           "the window, heights and ids (default: none, memory only)")
      .add("max-connections", v.max_connections, "COUNT", "open subscribers before upgrades get 503")
      .add("max-connections-per-ip", v.max_connections_per_ip, "COUNT",
           "open subscribers from one client address before upgrades get 503")
      .add("max-header-bytes", v.max_header_bytes, "BYTES", "largest HTTP request header before 431")
      .add("request-timeout", v.request_timeout, "time a client has to send a whole HTTP request")
      .add("handshake-timeout", v.handshake_timeout, "limit of the WebSocket opening and closing handshakes")
      .add("io-threads", v.io_threads, "COUNT", "threads running network I/O");
  table.group("Relays (docs/relays.md)")
      .add("publish-port", v.publish_port,
           "let other evstream nodes follow this one's blocks on this TCP port (on --publish-host; 0 picks "
           "a free one), over CAF's network layer")
      .add("publish-host", v.publish_host, "ADDRESS",
           "address the relay feed listens on, e.g. a private one (default: --host)")
      .add("upstream", v.upstream, "HOST:PORT",
           "a node's --publish-port: take blocks from there instead of --source (this node is a relay)")
      .add("relay-ca", v.relay_ca, "FILE",
           "PEM CA certificate: relay links accept only a peer whose certificate chains to it, both ways")
      .add("relay-cert", v.relay_cert, "FILE", "PEM certificate chain this node presents on relay links")
      .add("relay-key", v.relay_key, "FILE", "PEM private key of --relay-cert")
      .add("relay-insecure", v.relay_insecure,
           "relay links in plain BASP, without authentication or encryption: a trusted network only");
  table.group("In front of a BigchainDB node (docs/bigchaindb.md)")
      .add("bigchaindb-url", v.bigchaindb_url, "URL", "--source=bigchaindb: the node's HTTP API")
      .add("tendermint-url", v.tendermint_url, "URL",
           "--source=bigchaindb: the node's Tendermint RPC, where block ids come from (default: the node's "
           "host, "
           "port 26657)")
      .add("bigchaindb-poll", v.bigchaindb_poll,
           "how long to wait before asking again for a height the node lacks")
      .add("bigchaindb-from", v.bigchaindb_from, "latest|HEIGHT",
           "without a journal, the first height to stream (latest: the node's newest)")
      .add("bigchaindb-api", v.bigchaindb_api, "1|2",
           "valid_transactions messages and discovery as BigchainDB 1.x or 2.x write them (default: 2 with "
           "--source=bigchaindb, else 1)");
  table.group("Several nodes on NATS JetStream (docs/jetstream.md)")
      .add("jetstream", v.jetstream, "URLS",
           "nats://HOST:PORT[,nats://HOST:PORT...]: publish accepted blocks to a JetStream stream and stream "
           "what it holds, as every node of the cluster does")
      // A URL may carry a user and password; the node logs the servers without them.
      .secret()
      .add("jetstream-stream", v.jetstream_stream, "NAME", "the stream's name (created when missing)")
      .add("jetstream-subject-prefix", v.jetstream_subject_prefix, "PREFIX",
           "blocks are published on PREFIX.<blockid>")
      .add("jetstream-creds", v.jetstream_creds, "FILE", "NATS credentials file")
      .add("jetstream-ca", v.jetstream_ca, "FILE", "PEM CA to verify tls:// NATS servers with")
      .add("jetstream-cert", v.jetstream_cert, "FILE",
           "PEM certificate this node presents to NATS (with --jetstream-key)")
      .add("jetstream-key", v.jetstream_key, "FILE", "PEM private key of --jetstream-cert")
      .add("jetstream-replicas", v.jetstream_replicas, "COUNT",
           "the stream's replicas, when evstream creates it")
      .add("jetstream-max-blocks", v.jetstream_max_blocks, "COUNT", "blocks the stream keeps (0: no limit)")
      .add("jetstream-max-bytes", v.jetstream_max_bytes, "BYTES", "bytes the stream keeps (0: no limit)")
      .add("jetstream-max-age", v.jetstream_max_age, "how long the stream keeps a block (0s: no limit)");
  table.group("The actor system (CAF's own options)")
      .add("caf.scheduler.max-threads", v.caf_max_threads, "COUNT", "worker threads running the actors")
      .add("caf.scheduler.policy", v.caf_policy, "POLICY", "stealing or sharing")
      .add("caf.work-stealing.aggressive-poll-attempts", v.caf_aggressive_poll_attempts, "COUNT",
           "polls of an idle worker before it slows down")
      .add("caf.work-stealing.aggressive-steal-interval", v.caf_aggressive_steal_interval, "COUNT",
           "polls between steal attempts, aggressive phase")
      .add("caf.work-stealing.moderate-poll-attempts", v.caf_moderate_poll_attempts, "COUNT",
           "polls of the moderate phase before the relaxed one")
      .add("caf.work-stealing.moderate-steal-interval", v.caf_moderate_steal_interval, "COUNT",
           "polls between steal attempts, moderate phase")
      .add("caf.work-stealing.moderate-sleep-duration", v.caf_moderate_sleep_duration,
           "sleep between polls, moderate phase")
      .add("caf.work-stealing.relaxed-steal-interval", v.caf_relaxed_steal_interval, "COUNT",
           "polls between steal attempts, relaxed phase")
      .add("caf.work-stealing.relaxed-sleep-duration", v.caf_relaxed_sleep_duration,
           "sleep between polls, relaxed phase")
      .add("caf.middleman.heartbeat-interval", v.caf_heartbeat_interval, "relay links: heartbeat period")
      .add("caf.middleman.connection-timeout", v.caf_connection_timeout,
           "relay links: silence before a link counts as dead");
  return table;
}

cli::sources sources_of(std::vector<std::string> args) {
  return {std::move(args), cli::process_environment(), "EVSTREAM_", "config-file", "evstream.ini"};
}

void configure(caf::actor_system_config& config, const settings& v) {
  config.set("scheduler.max-threads", v.caf_max_threads);
  config.set("scheduler.policy", caf::atom_from_string(v.caf_policy));
  config.set("work-stealing.aggressive-poll-attempts", v.caf_aggressive_poll_attempts);
  config.set("work-stealing.aggressive-steal-interval", v.caf_aggressive_steal_interval);
  config.set("work-stealing.moderate-poll-attempts", v.caf_moderate_poll_attempts);
  config.set("work-stealing.moderate-steal-interval", v.caf_moderate_steal_interval);
  config.set("work-stealing.moderate-sleep-duration", v.caf_moderate_sleep_duration);
  config.set("work-stealing.relaxed-steal-interval", v.caf_relaxed_steal_interval);
  config.set("work-stealing.relaxed-sleep-duration", v.caf_relaxed_sleep_duration);
  config.set("middleman.heartbeat-interval", v.caf_heartbeat_interval);
  config.set("middleman.connection-timeout", v.caf_connection_timeout);
  announce_relay_types(config);
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

// --bigchaindb-*, --tendermint-url and the API the streams speak.
result<void, problem> bigchaindb_options(const settings& v, service_options& options) {
  auto& follow = options.bigchaindb;
  auto node = net::http_target_of(v.bigchaindb_url);
  if (!node) return problem{"--bigchaindb-url: " + node.error()};
  follow.node_url = v.bigchaindb_url;
  follow.tendermint_url = v.tendermint_url;
  if (follow.tendermint_url.empty()) {
    // The node's host, Tendermint's RPC port.
    boost::urls::url tendermint{boost::urls::parse_uri(v.bigchaindb_url).value()};
    tendermint.set_port_number(26657);
    tendermint.set_encoded_path("");
    follow.tendermint_url = std::string{tendermint.buffer()};
  } else if (auto tendermint = net::http_target_of(v.tendermint_url); !tendermint) {
    return problem{"--tendermint-url: " + tendermint.error()};
  }
  if (v.bigchaindb_poll <= caf::timespan{0}) return problem{"--bigchaindb-poll must be above 0"};
  follow.poll_interval = std::chrono::duration_cast<std::chrono::milliseconds>(v.bigchaindb_poll);
  if (v.bigchaindb_from != "latest") {
    std::uint64_t height = 0;
    const auto& text = v.bigchaindb_from;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), height);
    if (error != std::errc{} || end != text.data() + text.size() || height == 0)
      return problem{"--bigchaindb-from must be latest or a height of 1 or more, not \"" + text + "\""};
    follow.from_height = height;
  }
  const bool follows = options.source == block_source_kind::bigchaindb;
  if (v.bigchaindb_api.empty())
    options.server.api = follows ? schema::bigchaindb_api::v2 : schema::bigchaindb_api::v1;
  else if (v.bigchaindb_api == "1")
    options.server.api = schema::bigchaindb_api::v1;
  else if (v.bigchaindb_api == "2")
    options.server.api = schema::bigchaindb_api::v2;
  else
    return problem{"--bigchaindb-api must be 1 or 2, not \"" + v.bigchaindb_api + "\""};
  return {};
}

// --jetstream and its companions.
result<void, problem> jetstream_options(const settings& v, service_options& options) {
  if (v.jetstream.empty()) return {};
  net::jetstream_settings js;
  std::string_view rest = v.jetstream;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto server = std::string(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    auto url = boost::urls::parse_uri(server);
    if (!url || (url->scheme() != "nats" && url->scheme() != "tls") || url->host().empty())
      return problem{"--jetstream takes nats://HOST:PORT (or tls://) URLs, comma-separated, not \""
                     + net::without_userinfo(server) + "\""};
    js.servers.push_back(server);
  }
  if (v.jetstream_stream.empty()) return problem{"--jetstream-stream must name a stream"};
  if (v.jetstream_subject_prefix.empty()) return problem{"--jetstream-subject-prefix must not be empty"};
  if (v.jetstream_cert.empty() != v.jetstream_key.empty())
    return problem{"--jetstream-cert and --jetstream-key go together"};
  // The NATS client reads them as it connects: a missing file is refused now, by name.
  const std::pair<const char*, const std::string*> files[] = {{"--jetstream-creds", &v.jetstream_creds},
                                                              {"--jetstream-ca", &v.jetstream_ca},
                                                              {"--jetstream-cert", &v.jetstream_cert},
                                                              {"--jetstream-key", &v.jetstream_key}};
  for (const auto& [option, file] : files)
    if (!file->empty() && !std::ifstream{*file})
      return problem{option + std::string{": cannot read \""} + *file + "\""};
  if (v.jetstream_replicas < 1 || v.jetstream_replicas > 5)
    return problem{"--jetstream-replicas must be 1 to 5"};
  // A node streams one numbering of blocks: the stream's, an upstream's or a followed node's.
  if (!v.upstream.empty())
    return problem{
        "--jetstream and --upstream exclude each other: a node follows the stream or a relay upstream"};
  if (v.source == "bigchaindb")
    return problem{"--jetstream takes blocks from --source=ingest, stdin or demo, or none; not bigchaindb"};
  js.stream = v.jetstream_stream;
  js.subject_prefix = v.jetstream_subject_prefix;
  js.creds_file = v.jetstream_creds;
  js.ca_file = v.jetstream_ca;
  js.cert_file = v.jetstream_cert;
  js.key_file = v.jetstream_key;
  js.replicas = static_cast<std::int64_t>(v.jetstream_replicas);
  js.max_blocks = v.jetstream_max_blocks == 0 ? -1 : static_cast<std::int64_t>(v.jetstream_max_blocks);
  js.max_bytes = v.jetstream_max_bytes == 0 ? -1 : static_cast<std::int64_t>(v.jetstream_max_bytes);
  js.max_age = std::chrono::duration_cast<std::chrono::seconds>(v.jetstream_max_age);
  options.jetstream = std::move(js);
  return {};
}

} // namespace

result<std::string, problem> ingest_token_value(const settings& v) {
  if (v.ingest_token_file.empty()) return v.ingest_token;
  if (!v.ingest_token.empty())
    return problem{"--ingest-token and --ingest-token-file exclude each other: give one"};
  std::ifstream file{v.ingest_token_file};
  if (!file) return problem{"--ingest-token-file: cannot read \"" + v.ingest_token_file + "\""};
  std::string token{std::istreambuf_iterator<char>{file}, std::istreambuf_iterator<char>{}};
  // A file written by echo or an editor ends with a newline; it is not part of the token.
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
    token.pop_back();
  if (token.empty()) return problem{"--ingest-token-file: \"" + v.ingest_token_file + "\" is empty"};
  return token;
}

bool relays(const settings& v) { return v.publish_port || !v.upstream.empty(); }

result<service_options, std::string> to_service_options(const settings& v) {
  service_options options;
  options.host = v.host;
  options.port = v.port;
  if (v.source == "demo")
    options.source = block_source_kind::demo;
  else if (v.source == "ingest")
    options.source = block_source_kind::ingest;
  else if (v.source == "stdin")
    options.source = block_source_kind::stdin_lines;
  else if (v.source == "bigchaindb")
    options.source = block_source_kind::bigchaindb;
  else if (v.source == "none")
    options.source = block_source_kind::none;
  else
    return "--source must be demo, ingest, stdin, bigchaindb or none, not \"" + v.source + "\"";
  if (auto cluster = jetstream_options(v, options); !cluster) return std::move(cluster.error().message);
  if (auto followed = bigchaindb_options(v, options); !followed) return std::move(followed.error().message);
  if (!v.upstream.empty()) {
    // --source keeps its default (demo) unless set: the v.upstream replaces it.
    if (v.source != "demo") return "--upstream replaces --source; drop --source=" + v.source;
    auto authority = boost::urls::parse_authority(v.upstream);
    // port_number() wraps a port past 65535, so the digits are read here.
    unsigned port_number = 0;
    if (authority) {
      auto digits = authority->port();
      auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port_number);
      if (error != std::errc{} || end != digits.data() + digits.size() || port_number > 65535)
        port_number = 0;
    }
    if (!authority || authority->host().empty() || port_number == 0 || authority->has_userinfo())
      return "--upstream must be HOST:PORT, not \"" + v.upstream + "\"";
    options.source = block_source_kind::upstream;
    // host_address(): "[::1]" without its brackets, as the middleman takes it.
    options.upstream = {authority->host_address(), static_cast<std::uint16_t>(port_number)};
  }
  auto tls = relay_tls(v);
  if (!tls) return std::move(tls.error());
  options.relay_tls = std::move(*tls);
  options.publish_port = v.publish_port;
  options.publish_host = v.publish_host.empty() ? v.host : v.publish_host;
  if (!(v.demo_rate > 0)) return "--demo-rate must be above 0";
  if (v.demo_block_size == 0 || v.demo_block_size > schema::max_transactions_per_block)
    return "--demo-block-size must be between 1 and 1000";
  if (v.keepalive_timeout <= caf::timespan{0}) return "--keepalive-timeout must be above 0";
  if (v.io_threads == 0) return "--io-threads must be at least 1";
  if (v.caf_max_threads == 0) return "--caf.scheduler.max-threads must be at least 1";
  if (v.caf_policy != "stealing" && v.caf_policy != "sharing")
    return "--caf.scheduler.policy must be stealing or sharing, not \"" + v.caf_policy + "\"";
  if (v.send_timeout <= caf::timespan{0}) return "--send-timeout must be above 0";
  if (v.request_timeout <= caf::timespan{0} || v.handshake_timeout <= caf::timespan{0})
    return "--request-timeout and --handshake-timeout must be above 0";
  if (v.tls_cert.empty() != v.tls_key.empty()) return "--tls-cert and --tls-key go together";
  auto level = ops::log_level_named(v.log_level);
  if (!level) return "--log-level must be debug, info, warn or error, not \"" + v.log_level + "\"";
  options.log_level = *level;
  options.demo = {v.demo_rate, v.demo_block_size, v.demo_seed};
  options.io_threads = v.io_threads;
  options.retention.max_blocks = v.retain_blocks;
  options.retention.max_bytes = v.retain_bytes;
  options.journal_path = v.journal;
  auto& server = options.server;
  if (!v.advertised_url.empty()) {
    auto advertised = stream_base_of(v.advertised_url);
    if (!advertised) return std::move(advertised.error().message);
    server.advertised_url = std::move(*advertised);
  }
  server.keepalive_timeout = v.keepalive_timeout;
  server.max_inbound_message_bytes = v.max_message_bytes;
  server.send_budget_bytes = v.send_budget_bytes;
  server.send_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(v.send_timeout);
  server.max_body_bytes = v.max_body_bytes;
  auto token = ingest_token_value(v);
  if (!token) return std::move(token.error().message);
  server.ingest_token = std::move(*token);
  for (const auto& origin : v.ingest_allow_origin) {
    auto normalized = net::normalized_origin(origin);
    if (!normalized)
      return "--ingest-allow-origin takes origins like https://admin.example.com (scheme, host and "
             "port only), not \""
             + origin + "\"";
    server.ingest_allowed_origins.push_back(std::move(*normalized));
  }
  server.tls_cert_file = v.tls_cert;
  server.tls_key_file = v.tls_key;
  server.max_connections = v.max_connections;
  server.max_connections_per_ip = v.max_connections_per_ip;
  server.max_header_bytes = v.max_header_bytes;
  server.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(v.request_timeout);
  server.handshake_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(v.handshake_timeout);
  return options;
}

result<std::optional<relay_tls_files>, std::string> relay_tls(const settings& v) {
  bool any_file = !v.relay_ca.empty() || !v.relay_cert.empty() || !v.relay_key.empty();
  if (!relays(v)) {
    if (any_file || v.relay_insecure)
      return "--relay-ca, --relay-cert, --relay-key and --relay-insecure go with --publish-port or "
             "--upstream";
    return std::nullopt;
  }
  if (v.relay_insecure) {
    if (any_file)
      return "--relay-insecure drops the relay link's TLS: leave out --relay-ca, --relay-cert and "
             "--relay-key";
    return std::nullopt;
  }
  if (v.relay_ca.empty() || v.relay_cert.empty() || v.relay_key.empty())
    return "relay links are mutual TLS: give --relay-ca, --relay-cert and --relay-key (or --relay-insecure "
           "for "
           "plain BASP on a trusted network)";
  // Loaded once here, so a wrong file is a clear error at start rather than an
  // exception in CAF's network thread at the first link.
  boost::asio::ssl::context check{boost::asio::ssl::context::tls};
  const std::pair<const char*, const std::string*> files[] = {
      {"--relay-ca", &v.relay_ca}, {"--relay-cert", &v.relay_cert}, {"--relay-key", &v.relay_key}};
  for (const auto& [option, file] : files) {
    try {
      if (file == &v.relay_ca)
        check.load_verify_file(*file);
      else if (file == &v.relay_cert)
        check.use_certificate_chain_file(*file);
      else
        check.use_private_key_file(*file, boost::asio::ssl::context::pem);
    } catch (const boost::system::system_error& error) {
      return option + std::string{": cannot load \""} + *file + "\": " + error.code().message();
    }
  }
  return relay_tls_files{v.relay_ca, v.relay_cert, v.relay_key};
}

} // namespace evstream
