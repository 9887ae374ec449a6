#include "app/service.hpp"

#include "actors/block_source.hpp"
#include "actors/dispatcher.hpp"
#include "actors/observability.hpp"
#include "actors/relay_feed.hpp"
#include "net/http_get.hpp"
#include "net/listener.hpp"
#include "net/node_follower.hpp"
#include "schema/bigchaindb_node.hpp"
#include "store/journal.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>

namespace evstream {

namespace {

// Throws std::runtime_error naming the option, the file and OpenSSL's
// problem when a file is missing or not a matching PEM certificate and key.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                            const std::string& key_file) {
  namespace ssl = boost::asio::ssl;
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3
                   | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  auto load = [](const char* option, const std::string& file, auto&& use) {
    try {
      use(file);
    } catch (const boost::system::system_error& error) {
      throw std::runtime_error(std::string{option} + ": cannot load \"" + file
                               + "\": " + error.code().message());
    }
  };
  load("--tls-cert", cert_file, [&](const std::string& file) { tls->use_certificate_chain_file(file); });
  load("--tls-key", key_file,
       [&](const std::string& file) { tls->use_private_key_file(file, ssl::context::pem); });
  return tls;
}

// The two PEM files' contents, to tell a renewed certificate from the same one.
std::string pem_files_of(const std::string& cert_file, const std::string& key_file) {
  std::string both;
  for (const auto* path : {&cert_file, &key_file}) {
    std::ifstream file{*path};
    both.append(std::istreambuf_iterator<char>{file}, std::istreambuf_iterator<char>{});
    both += '\0';
  }
  return both;
}

// --host as an address: an IP literal as it is, a name (localhost) resolved,
// its first address taken and logged.
boost::asio::ip::address listen_address(boost::asio::io_context& io, const std::string& host) {
  boost::system::error_code ec;
  auto literal = boost::asio::ip::make_address(host, ec);
  if (!ec) return literal;
  boost::asio::ip::tcp::resolver resolver{io};
  auto found = resolver.resolve(host, "", boost::asio::ip::resolver_base::passive, ec);
  if (ec || found.empty())
    throw std::runtime_error("--host: cannot resolve \"" + host
                             + "\": " + (ec ? ec.message() : "no address"));
  auto address = found.begin()->endpoint().address();
  ops::log(ops::log_level::info, "host_resolved", {{"host", host}, {"address", address.to_string()}});
  return address;
}

// A journal's contents, as the block source and the dispatcher start from them.
void restore(store::journal& journal, dispatcher_history& history, block_source_settings& source) {
  auto recovered = journal.history();
  source.last_sequence = recovered.last_sequence;
  source.remembered = recovered.ids;
  // Encoded when a resume first asks for a stream, not all at the start.
  for (auto& [sequence, block] : recovered.blocks)
    history.blocks.push_back(encode_block(std::move(block), sequence, {}, source.api, stream_set{0}));
  history.ids = std::move(recovered.ids);
}

net::http_target http_target_or_throw(const std::string& option, const std::string& url) {
  auto target = net::http_target_of(url);
  if (!target) throw std::runtime_error(option + ": " + target.error());
  return *target;
}

// Block ids come from Tendermint's RPC: without it the follower could only
// invent them, so the service does not start. Answers the latest height.
std::uint64_t tendermint_latest_height(net::http_target where, const bigchaindb_follow_options& options) {
  where.target = "/status";
  boost::asio::io_context io;
  net::http_answer answer;
  net::http_get(io, where, std::chrono::seconds(5), [&answer](net::http_answer a) { answer = std::move(a); });
  io.run();
  const auto refusal = "cannot start: Tendermint's RPC at " + options.tendermint_url
                       + " (--tendermint-url), where each block's id comes from, ";
  if (!answer.failure.empty()) throw std::runtime_error(refusal + "does not answer: " + answer.failure);
  if (answer.status != 200)
    throw std::runtime_error(refusal + "answered " + std::to_string(answer.status) + " to GET /status");
  auto latest = schema::tendermint_latest_height(answer.body);
  if (!latest) throw std::runtime_error(refusal + "gave no height: " + latest.error().message);
  return *latest;
}

} // namespace

service::service(caf::actor_system& system, service_options options) {
  context_ = std::make_shared<net::server_context>();
  context_->settings = options.server;
  context_->settings.ingest_enabled = options.source == block_source_kind::ingest;
  context_->system = &system;
  context_->metrics = make_metrics();
  ops::set_log_level(options.log_level);
  // What can fail comes before any actor exists, so a failed start leaves
  // nothing running.
  context_->tls = !options.server.tls_cert_file.empty();
  log_level_ = options.log_level;
  context_->replace_credentials(std::make_shared<const net::credentials>(net::credentials{
      context_->tls ? make_tls_context(options.server.tls_cert_file, options.server.tls_key_file) : nullptr,
      options.server.ingest_token}));
  if (context_->tls) tls_files_ = pem_files_of(options.server.tls_cert_file, options.server.tls_key_file);
  bool relays = options.publish_port || options.source == block_source_kind::upstream;
  if (relays && !system.has_middleman())
    throw std::runtime_error(
        "relaying needs CAF's network layer: load caf::io::middleman in the actor system's config");
  // Relay links are mutual TLS when the system has CAF's OpenSSL module (enable_relays with certificates).
  bool relay_tls = system.has_openssl_manager();
  listener_ = std::make_shared<net::listener>(
      io_, net::tcp::endpoint{listen_address(io_, options.host), options.port}, context_);
  net::jetstream_connection_ptr jetstream;
  if (options.jetstream) jetstream = net::connect_jetstream(*options.jetstream);
  std::optional<net::node_follower_settings> follow;
  std::uint64_t latest_followed = 0;
  if (options.source == block_source_kind::bigchaindb) {
    follow.emplace();
    follow->node = http_target_or_throw("--bigchaindb-url", options.bigchaindb.node_url);
    follow->tendermint = http_target_or_throw("--tendermint-url", options.bigchaindb.tendermint_url);
    latest_followed = tendermint_latest_height(follow->tendermint, options.bigchaindb);
  }
  dispatcher_history history;
  block_source_settings source;
  source.api = options.server.api;
  if (!options.journal_path.empty()) {
    source.journal = std::make_shared<store::journal>(options.journal_path, options.retention.max_blocks,
                                                      options.retention.remembered_ids);
    restore(*source.journal, history, source);
  }
  // A resuming subscriber (or relay) may fall as far behind as a resume may reach back.
  context_->settings.max_blocks_behind = std::max<std::size_t>(1, options.retention.max_blocks);
  history.window_from_upstream = options.source == block_source_kind::upstream;
  const auto last_sequence = source.last_sequence;
  // A JetStream node goes on after its journal's last block; else it begins
  // with the newest window the stream holds.
  std::uint64_t jetstream_first = 0;
  if (jetstream) {
    auto newest = net::last_sequence(*jetstream);
    auto window = std::max<std::uint64_t>(1, options.retention.max_blocks);
    jetstream_first = last_sequence > 0 ? last_sequence + 1 : (newest >= window ? newest - window + 1 : 1);
    if (last_sequence == 0) history.first_sequence = jetstream_first;
  }
  // A relay goes on after the newest block it kept.
  auto newest_block = history.blocks.empty() ? std::string{} : history.blocks.back()->blockid();
  context_->dispatcher =
      system.spawn(evstream::dispatcher, options.retention, std::move(history), context_->metrics);
  // On a thread of its own: parsing and encoding a block (milliseconds) and a
  // journal write (an fsync) then never hold up the dispatcher and sessions.
  context_->block_source = system.spawn<caf::detached>(evstream::block_source, context_->dispatcher,
                                                       std::move(source), context_->metrics);
  if (options.source == block_source_kind::demo)
    demo_ = system.spawn(demo_source, context_->block_source, options.demo);
  if (options.source == block_source_kind::upstream) {
    context_->metrics->count_relay_link();
    context_->upstream_link =
        system.spawn(upstream_link, context_->block_source,
                     upstream_link_settings{options.upstream, newest_block, relay_tls}, context_->metrics);
  }
  if (follow) {
    // After the journal's last height; else where --bigchaindb-from says.
    follow->node_url = options.bigchaindb.node_url;
    follow->tendermint_url = options.bigchaindb.tendermint_url;
    follow->poll_interval = options.bigchaindb.poll_interval;
    follow->first_height =
        last_sequence > 0
            ? last_sequence + 1
            : options.bigchaindb.from_height.value_or(std::max<std::uint64_t>(1, latest_followed));
    follow->io = &io_;
    ops::log(ops::log_level::info, "following_bigchaindb",
             {{"node", follow->node_url},
              {"tendermint", follow->tendermint_url},
              {"from_height", follow->first_height}});
    context_->node_follower = system.spawn(net::node_follower, context_->block_source, std::move(*follow));
  }
  if (jetstream) {
    context_->metrics->count_jetstream();
    // A restarted node knows its last block: a gap right after it is told too.
    context_->jetstream =
        system.spawn<caf::detached>(net::jetstream_link, context_->block_source, jetstream, jetstream_first,
                                    last_sequence > 0 ? newest_block : std::string{}, context_->metrics);
    caf::anon_send(context_->block_source, publish_through{context_->jetstream});
    context_->stream_history = system.spawn<caf::detached>(net::jetstream_history, jetstream,
                                                           options.server.api, net::stream_history_limits{});
    ops::log(ops::log_level::info, "jetstream_following",
             {{"stream", options.jetstream->stream},
              {"servers", net::servers_shown(*options.jetstream)},
              {"from_sequence", jetstream_first}});
  }
  if (options.publish_port) {
    follower_link_settings followers;
    followers.max_pending_blocks = context_->settings.max_blocks_behind;
    feed_ = system.spawn(relay_feed, context_->dispatcher, followers);
    const auto& feed_host = options.publish_host.empty() ? options.host : options.publish_host;
    auto port = relay_tls ? caf::openssl::publish(feed_, *options.publish_port, feed_host.c_str(), true)
                          : system.middleman().publish(feed_, *options.publish_port, feed_host.c_str(), true);
    if (!port) {
      auto problem = "cannot publish the relay feed on " + feed_host + ":"
                     + std::to_string(*options.publish_port) + ": " + system.render(port.error());
      stop_actors();
      throw std::runtime_error(problem);
    }
    published_port_ = *port;
  }
  listener_->start();
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options.io_threads); ++i)
    io_threads_.emplace_back([this] { io_.run(); });
}

service::~service() { stop(); }

std::vector<std::string> service::reload(const reloadable_settings& next) {
  if (context_->tls != !next.tls_cert_file.empty())
    throw std::runtime_error(context_->tls ? "TLS cannot be turned off without a restart"
                                           : "TLS cannot be turned on without a restart");
  auto current = context_->current_credentials();
  auto replaced = std::make_shared<net::credentials>(*current);
  std::vector<std::string> changed;
  std::string files;
  if (context_->tls) {
    // Loaded before anything changes: a file that does not load keeps the old ones.
    replaced->tls = make_tls_context(next.tls_cert_file, next.tls_key_file);
    files = pem_files_of(next.tls_cert_file, next.tls_key_file);
    if (files != tls_files_) changed.emplace_back("tls");
  }
  if (next.ingest_token != current->ingest_token) changed.emplace_back("ingest-token");
  replaced->ingest_token = next.ingest_token;
  context_->replace_credentials(std::move(replaced));
  if (context_->tls) tls_files_ = std::move(files);
  if (next.log_level != log_level_) {
    changed.emplace_back("log-level");
    log_level_ = next.log_level;
    ops::set_log_level(next.log_level);
  }
  return changed;
}

void service::stop_actors() {
  for (auto* actor :
       {&demo_, &feed_, &context_->upstream_link, &context_->node_follower, &context_->jetstream,
        &context_->stream_history, &context_->block_source, &context_->dispatcher})
    if (*actor) caf::anon_send_exit(*actor, caf::exit_reason::user_shutdown);
}

std::uint16_t service::port() const { return listener_->port(); }

void service::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  auto deadline = std::chrono::steady_clock::now() + grace;
  listener_->stop();
  if (demo_) caf::anon_send_exit(demo_, caf::exit_reason::user_shutdown);
  if (context_->upstream_link) caf::anon_send_exit(context_->upstream_link, caf::exit_reason::user_shutdown);
  if (context_->node_follower) caf::anon_send_exit(context_->node_follower, caf::exit_reason::user_shutdown);
  if (context_->jetstream) caf::anon_send_exit(context_->jetstream, caf::exit_reason::user_shutdown);
  if (feed_) {
    // Following relays are told by going_away below and find no feed when they retry.
    if (context_->system->has_openssl_manager()) {
      // caf::openssl::unpublish does not compile in CAF 0.17.6; this is what it means.
      auto unpublish = caf::make_function_view(context_->system->openssl_manager().actor_handle());
      unpublish(caf::unpublish_atom::value, feed_.address(), *published_port_);
    } else {
      context_->system->middleman().unpublish(feed_, *published_port_);
    }
    caf::anon_send_exit(feed_, caf::exit_reason::user_shutdown);
  }
  caf::anon_send(context_->dispatcher, going_away{});
  context_->connections.wait_for_no_websockets(deadline);
  // Idle HTTP connections close now; one waiting for an ingest answer closes
  // once it is answered, which needs the block source still running.
  context_->connections.force_close_all();
  context_->connections.wait_for_none(std::chrono::steady_clock::now() + std::chrono::milliseconds(1500));
  stop_actors();
  // Sessions release their connections when they end; after that no socket
  // outlives the io_context.
  context_->connections.wait_for_none(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  io_.stop();
  for (auto& thread : io_threads_)
    thread.join();
}

} // namespace evstream
