#include "net/jetstream_link.hpp"

#include "net/jetstream_connection.hpp"
#include "ops/log.hpp"
#include "schema/block.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <stdexcept>
#include <thread>

namespace evstream::net {

namespace {

using resubscribe_atom = caf::atom_constant<caf::atom("resubscrb")>;

void check(natsStatus status, const std::string& doing) {
  if (status != NATS_OK) throw std::runtime_error("--jetstream: " + doing + ": " + nats_error_text(status));
}

void on_disconnected(natsConnection*, void* closure) {
  static_cast<jetstream_connection*>(closure)->tell_link(jetstream_connection_changed{false});
}

void on_reconnected(natsConnection*, void* closure) {
  static_cast<jetstream_connection*>(closure)->tell_link(jetstream_connection_changed{true});
}

// On the library's thread: the block and its stream sequence, to the link.
void on_message(natsConnection*, natsSubscription*, natsMsg* message, void* closure) {
  auto* connection = static_cast<jetstream_connection*>(closure);
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, message) == NATS_OK) {
    consumed_block block{
        meta->Sequence.Stream,
        std::string(natsMsg_GetData(message), static_cast<std::size_t>(natsMsg_GetDataLength(message))),
        meta->NumPending};
    jsMsgMetaData_Destroy(meta);
    connection->tell_link(std::move(block));
  }
  natsMsg_Destroy(message);
}

// The first setting of an existing stream that differs from what was asked, or "".
std::string differing_setting(const jsStreamConfig& have, const jetstream_settings& want) {
  const std::string subject = want.subject_prefix + ".*";
  if (have.SubjectsLen != 1 || subject != have.Subjects[0])
    return "subjects (" + std::string(have.SubjectsLen > 0 ? have.Subjects[0] : "none") + ", not " + subject
           + ")";
  if (have.Replicas != want.replicas)
    return "replicas (" + std::to_string(have.Replicas) + ", not " + std::to_string(want.replicas)
           + ": --jetstream-replicas)";
  if (have.MaxMsgs != want.max_blocks)
    return "max messages (" + std::to_string(have.MaxMsgs) + ", not " + std::to_string(want.max_blocks)
           + ": --jetstream-max-blocks)";
  if (have.MaxBytes != want.max_bytes)
    return "max bytes (" + std::to_string(have.MaxBytes) + ", not " + std::to_string(want.max_bytes)
           + ": --jetstream-max-bytes)";
  const auto max_age = std::chrono::nanoseconds(want.max_age).count();
  if (have.MaxAge != max_age)
    return "max age (" + std::to_string(have.MaxAge / 1'000'000'000) + " s, not "
           + std::to_string(want.max_age.count()) + " s: --jetstream-max-age)";
  return {};
}

// What no retry changes: a stream that exists with other settings, a
// certificate the server refuses or that does not verify, wrong credentials.
struct lasting_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How long a starting node waits for NATS to answer and to know the stream
// (a cluster that has just started elects its JetStream leader first).
constexpr auto stream_check_patience = std::chrono::seconds(30);

void ensure_stream(jetstream_connection& connection) {
  const auto& want = connection.settings_;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_GetStreamInfo(&info, connection.js_, want.stream.c_str(), nullptr, &code);
  if (status == NATS_OK) {
    auto differs = differing_setting(*info->Config, want);
    jsStreamInfo_Destroy(info);
    if (!differs.empty())
      throw lasting_failure("--jetstream: the stream " + want.stream
                            + " exists with other settings: " + differs);
    return;
  }
  if (code != JSStreamNotFoundErr)
    throw std::runtime_error("--jetstream: cannot read the stream " + want.stream + ": "
                             + nats_error_text(status, code));
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const std::string subject = want.subject_prefix + ".*";
  const char* subjects[] = {subject.c_str()};
  config.Name = want.stream.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = want.replicas;
  config.MaxMsgs = want.max_blocks;
  config.MaxBytes = want.max_bytes;
  config.MaxAge = std::chrono::nanoseconds(want.max_age).count();
  status = js_AddStream(&info, connection.js_, &config, nullptr, &code);
  if (status != NATS_OK)
    throw std::runtime_error("--jetstream: cannot create the stream " + want.stream + ": "
                             + nats_error_text(status, code));
  jsStreamInfo_Destroy(info);
  ops::log(ops::log_level::info, "jetstream_stream_created",
           {{"stream", want.stream}, {"subjects", subject}, {"replicas", want.replicas}});
}

ingest_result publish(jetstream_connection& connection, const publish_block& block) {
  // A block the servers can never take is refused as such, not as a
  // passing failure a client would retry. Their max_payload counts the
  // message's headers too: "NATS/1.0", Nats-Msg-Id and the line ends.
  const auto max_payload = natsConnection_GetMaxPayload(connection.connection_);
  const auto headers = std::string_view{"NATS/1.0\r\nNats-Msg-Id: \r\n\r\n"}.size() + block.blockid.size();
  if (max_payload > 0 && static_cast<std::int64_t>(block.json.size() + headers) > max_payload)
    return {ingest_result::outcome::invalid,
            block.blockid,
            block.transactions,
            {"the block is " + std::to_string(block.json.size())
                 + " bytes, more than the NATS servers take (their max_payload is "
                 + std::to_string(max_payload) + " bytes, headers included)",
             "$"}};
  jsPubOptions options;
  jsPubOptions_Init(&options);
  // JetStream's duplicate window refuses a block already in the stream, from any node.
  options.MsgId = block.blockid.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const auto subject = connection.settings_.subject_prefix + "." + block.blockid;
  natsStatus status = js_Publish(&ack, connection.js_, subject.c_str(), block.json.data(),
                                 static_cast<int>(block.json.size()), &options, &code);
  if (status != NATS_OK)
    return {ingest_result::outcome::unavailable,
            block.blockid,
            block.transactions,
            {"JetStream did not acknowledge the block: " + nats_error_text(status, code), "$"}};
  const bool duplicate = ack->Duplicate;
  jsPubAck_Destroy(ack);
  return {duplicate ? ingest_result::outcome::duplicate : ingest_result::outcome::accepted,
          block.blockid,
          block.transactions,
          {}};
}

// An ordered consumer from `first` on: in stream order, and restarted by the
// library from the last sequence it delivered after a gap, a reconnect, or
// missed heartbeats (the consumer may have lived on a server that is gone).
// Made once; a failed attempt is made again a second later.
void subscribe_from(caf::stateful_actor<jetstream_link_state>* self, std::uint64_t first) {
  auto& nats = *self->state.connection;
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Ordered = true;
  options.Stream = nats.settings_.stream.c_str();
  // Heartbeats tell a consumer that stopped (its server gone) from a quiet stream.
  options.Config.Heartbeat = std::chrono::nanoseconds(std::chrono::seconds(1)).count();
  if (first > 1) {
    options.Config.DeliverPolicy = js_DeliverByStartSequence;
    options.Config.OptStartSeq = first;
  } else {
    options.Config.DeliverPolicy = js_DeliverAll;
  }
  const auto subjects = nats.settings_.subject_prefix + ".*";
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_Subscribe(&nats.subscription_, nats.js_, subjects.c_str(), on_message, &nats,
                                   nullptr, &options, &code);
  if (status != NATS_OK) {
    // Not ready (no consumer) until an attempt succeeds.
    nats.subscription_ = nullptr;
    ops::log_repeatable(ops::log_level::error, "jetstream_consumer_failed", nats.settings_.stream,
                        {{"error", nats_error_text(status, code)}, {"from_sequence", first}});
    self->delayed_send(self, std::chrono::seconds(1), resubscribe_atom::value);
  }
}

} // namespace

std::string without_userinfo(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return url;
  boost::urls::url shown = *parsed;
  shown.remove_userinfo();
  return std::string(shown.buffer());
}

std::string servers_shown(const jetstream_settings& settings) {
  std::string shown;
  for (const auto& server : settings.servers)
    shown += (shown.empty() ? "" : ",") + without_userinfo(server);
  return shown;
}

std::string nats_error_text(natsStatus status, jsErrCode code) {
  std::string text = natsStatus_GetText(status);
  if (const char* last = nats_GetLastError(nullptr); last && *last) text += std::string(" (") + last + ")";
  if (code != 0) text += " [JetStream error " + std::to_string(code) + "]";
  return text;
}

jetstream_connection_ptr connect_jetstream(const jetstream_settings& settings) {
  auto connection = std::make_shared<jetstream_connection>(settings);
  check(natsOptions_Create(&connection->options_), "options");
  std::vector<const char*> servers;
  for (const auto& server : settings.servers)
    servers.push_back(server.c_str());
  check(natsOptions_SetServers(connection->options_, servers.data(), static_cast<int>(servers.size())),
        "servers");
  // Reconnect for as long as it takes; subscribers stay connected meanwhile.
  check(natsOptions_SetMaxReconnect(connection->options_, -1), "reconnects");
  check(natsOptions_SetReconnectWait(connection->options_, 250), "reconnect wait");
  check(natsOptions_SetDisconnectedCB(connection->options_, on_disconnected, connection.get()), "callbacks");
  check(natsOptions_SetReconnectedCB(connection->options_, on_reconnected, connection.get()), "callbacks");
  check(natsOptions_SetClosedCB(connection->options_, jetstream_connection::on_closed, connection.get()),
        "callbacks");
  if (!settings.creds_file.empty())
    check(natsOptions_SetUserCredentialsFromFiles(connection->options_, settings.creds_file.c_str(), nullptr),
          "--jetstream-creds " + settings.creds_file);
  if (!settings.ca_file.empty())
    check(natsOptions_LoadCATrustedCertificates(connection->options_, settings.ca_file.c_str()),
          "--jetstream-ca " + settings.ca_file);
  if (!settings.cert_file.empty())
    check(natsOptions_LoadCertificatesChain(connection->options_, settings.cert_file.c_str(),
                                            settings.key_file.c_str()),
          "--jetstream-cert " + settings.cert_file + " and --jetstream-key " + settings.key_file);
  const auto names = servers_shown(settings);
  // Servers started together with the node may not listen yet, nor have a
  // JetStream leader: both are waited for, within a bound.
  const auto deadline = std::chrono::steady_clock::now() + stream_check_patience;
  for (;;) {
    try {
      if (!connection->connection_) {
        auto status = natsConnection_Connect(&connection->connection_, connection->options_);
        // A server that wants a client certificate it did not get just
        // closes the connection: to the client, a protocol error.
        if (status == NATS_SSL_ERROR || status == NATS_CONNECTION_AUTH_FAILED || status == NATS_NOT_PERMITTED
            || status == NATS_PROTOCOL_ERROR)
          throw lasting_failure("--jetstream: " + names + " refused this node: " + nats_error_text(status)
                                + (status == NATS_PROTOCOL_ERROR && settings.cert_file.empty()
                                       ? "; does it want a client certificate (--jetstream-cert)?"
                                       : ""));
        check(status, "cannot connect to " + names);
      }
      if (!connection->js_)
        check(natsConnection_JetStream(&connection->js_, connection->connection_, nullptr), "JetStream");
      ensure_stream(*connection);
      return connection;
    } catch (const lasting_failure&) {
      throw;
    } catch (const std::runtime_error& error) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      ops::log_repeatable(ops::log_level::warn, "jetstream_waiting", settings.stream,
                          {{"error", error.what()}});
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

caf::expected<stream_bounds> bounds_of(const jetstream_connection& connection) {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  auto status = js_GetStreamInfo(&info, connection.js_, connection.settings_.stream.c_str(), nullptr, &code);
  if (status != NATS_OK)
    return caf::make_error(caf::sec::runtime_error,
                           "JetStream: reading the stream's state: " + nats_error_text(status, code));
  stream_bounds bounds{info->State.FirstSeq, info->State.LastSeq};
  jsStreamInfo_Destroy(info);
  return bounds;
}

std::uint64_t last_sequence(const jetstream_connection& connection) {
  auto bounds = bounds_of(connection);
  return bounds ? bounds->last : 0;
}

caf::behavior jetstream_link(caf::stateful_actor<jetstream_link_state>* self, caf::actor block_source,
                             jetstream_connection_ptr connection, std::uint64_t first_sequence,
                             std::string last_blockid, ops::metrics_ptr metrics) {
  auto& state = self->state;
  state.last_blockid = std::move(last_blockid);
  state.metrics = std::move(metrics);
  state.metrics->jetstream_connected.set(1);
  state.block_source = std::move(block_source);
  state.connection = std::move(connection);
  state.last_sequence = first_sequence > 0 ? first_sequence - 1 : 0;
  auto& nats = *state.connection;
  nats.set_link(caf::actor_cast<caf::actor>(self));
  subscribe_from(self, first_sequence);
  // On the link's own thread as it ends, no message of the link is using the
  // connection and no callback reaches a dead actor. The connection itself
  // closes when its last user (the link or the stream history) lets it go:
  // the history may be reading from it still.
  self->attach_functor([connection = state.connection] { connection->stop_consuming(); });
  return {
      [=](const publish_block& block) { return publish(*self->state.connection, block); },
      [=](consumed_block& consumed) {
        auto& link = self->state;
        if (consumed.sequence <= link.last_sequence) return; // redelivered after a reconnect
        auto parsed = schema::parse_block(consumed.json);
        if (!parsed) {
          // Published by an evstream node, so parsed once already; say so and go on.
          ops::log(ops::log_level::error, "jetstream_block_refused",
                   {{"sequence", consumed.sequence},
                    {"error", parsed.error().message},
                    {"path", parsed.error().path}});
          link.last_sequence = consumed.sequence;
          return;
        }
        if (!link.last_blockid.empty() && consumed.sequence > link.last_sequence + 1) {
          // The stream dropped blocks this node never had: told, as a relay's upstream gap is.
          ops::log(ops::log_level::warn, "jetstream_gap",
                   {{"after", link.last_sequence}, {"going_on_from", consumed.sequence}});
          self->send(link.block_source, upstream_gap{link.last_blockid, parsed->id});
        }
        link.last_sequence = consumed.sequence;
        link.last_blockid = parsed->id;
        link.metrics->jetstream_last_sequence.set(static_cast<double>(consumed.sequence));
        link.metrics->jetstream_lag.set(static_cast<double>(consumed.pending));
        self->send(link.block_source, followed_block{std::move(*parsed), consumed.sequence});
      },
      [=](const ingest_result&) {
        // The source's answer to a followed block: its refusals are its own to count.
      },
      [=](const jetstream_connection_changed& changed) {
        self->state.connected = changed.connected;
        self->state.metrics->jetstream_connected.set(changed.connected ? 1 : 0);
        // The ordered consumer starts itself again after a reconnect, or when
        // its heartbeats stop (its server gone), from the last sequence it
        // delivered; unsubscribing it meanwhile trips a use-after-free in
        // libnats 3.4.1 (jsSub_deleteConsumer), so the link leaves it be.
        if (changed.connected) self->state.metrics->jetstream_reconnects.increment();
        ops::log(changed.connected ? ops::log_level::info : ops::log_level::warn, "jetstream_connection",
                 {{"state", changed.connected ? "connected" : "disconnected"},
                  {"last_sequence", self->state.last_sequence}});
      },
      [=](resubscribe_atom) { subscribe_from(self, self->state.last_sequence + 1); },
      [=](caf::get_atom, jetstream_atom) {
        // Ready: connected, and with a consumer.
        const bool consuming = self->state.connection->subscription_ != nullptr;
        return jetstream_status{self->state.connected && consuming, self->state.last_sequence};
      },
  };
}

} // namespace evstream::net
