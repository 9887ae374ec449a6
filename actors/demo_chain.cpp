#include "actors/demo_chain.hpp"

#include "schema/block.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace evstream {
namespace {

namespace json = boost::json;

// Past this many unspent assets a new CREATE replaces a random one, so a
// long-running demo holds bounded memory.
constexpr std::size_t max_unspent_creates = 100'000;

constexpr std::uint64_t first_timestamp = 1'500'000'000;

constexpr std::string_view base58_alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<std::string_view, 5> manufacturers = {"bkfab", "velorex", "cadenza", "northgear",
                                                           "pedalworks"};
constexpr std::array<std::string_view, 4> colours = {"red", "graphite", "teal", "sand"};

// Modulo rather than std::uniform_int_distribution, whose output differs
// between standard libraries: the same seed gives the same blocks everywhere.
std::size_t pick(std::mt19937_64& random, std::size_t n) { return static_cast<std::size_t>(random() % n); }

std::string random_base58(std::mt19937_64& random, std::size_t length) {
  std::string text(length, '\0');
  for (char& c : text)
    c = base58_alphabet[pick(random, base58_alphabet.size())];
  return text;
}

// A stand-in for an Ed25519 public key as BigchainDB writes it.
std::string public_key(std::mt19937_64& random) { return random_base58(random, 44); }

// Base64 of `bytes` random bytes, the shape of crypto-conditions payloads.
std::string random_base64(std::mt19937_64& random, std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  for (unsigned char& byte : raw)
    byte = static_cast<unsigned char>(random());
  std::string text(4 * ((bytes + 2) / 3) + 1, '\0'); // EVP_EncodeBlock adds a NUL
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), raw.data(), static_cast<int>(bytes));
  text.resize(static_cast<std::size_t>(written));
  return text;
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text(2 * size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    text[2 * i] = digits[bytes[i] >> 4];
    text[2 * i + 1] = digits[bytes[i] & 0xf];
  }
  return text;
}

json::object output_to(std::mt19937_64& random, const std::string& owner) {
  const std::string condition_uri =
      "ni:///sha-256;" + random_base64(random, 33) + "?fpt=ed25519-sha-256&cost=131072";
  return {{"public_keys", json::array{json::string_view(owner)}},
          {"amount", "1"},
          {"condition",
           {{"details", {{"type", "ed25519-sha-256"}, {"public_key", json::string_view(owner)}}},
            {"uri", json::string_view(condition_uri)}}}};
}

json::object input_from(std::mt19937_64& random, json::value fulfills) {
  return {{"owners_before", json::array{json::string_view(public_key(random))}},
          {"fulfillment", json::string_view(random_base64(random, 99))},
          {"fulfills", std::move(fulfills)}};
}

json::object bicycle(std::mt19937_64& random) {
  unsigned char serial[8];
  for (unsigned char& byte : serial)
    byte = static_cast<unsigned char>(random());
  return {{"type", "bicycle"},
          {"manufacturer", manufacturers[pick(random, manufacturers.size())]},
          {"model", "Mk " + std::to_string(1 + pick(random, 9))},
          {"serial_number", to_hex(serial, sizeof serial)},
          {"frame_size_cm", 48 + pick(random, 16)},
          {"colour", colours[pick(random, colours.size())]}};
}

json::object metadata(std::mt19937_64& random, std::uint64_t block_number) {
  return {{"registry", "demo-city bicycle register"},
          {"block_sequence", block_number},
          {"note", "ownership record " + random_base58(random, 12)},
          {"price_eur", 150 + pick(random, 2000)}};
}

// Puts "id" first, as BigchainDB shows transactions, after hashing the rest.
json::object with_id(json::object body) {
  json::object tx;
  tx.reserve(body.size() + 1);
  tx.emplace("id", sha3_256_hex(json::serialize(body)));
  for (json::key_value_pair& field : body)
    tx.emplace(field.key(), std::move(field.value()));
  return tx;
}

} // namespace

demo_chain::demo_chain(std::uint64_t seed) : random_(seed) {}

std::string demo_chain::next_block_json(std::size_t transactions) {
  transactions = std::min(transactions, schema::max_transactions_per_block);
  json::array txs;
  txs.reserve(transactions);
  // Assets created in this block become spendable once the block is out,
  // as a TRANSFER may only spend outputs of already validated transactions.
  std::vector<std::string> created;
  for (std::size_t i = 0; i < transactions; ++i) {
    const std::string owner = public_key(random_);
    const bool transfer = !unspent_creates_.empty() && pick(random_, 3) == 0;
    json::object body;
    if (transfer) {
      const std::size_t spent = pick(random_, unspent_creates_.size());
      const std::string assetid = std::move(unspent_creates_[spent]);
      unspent_creates_[spent] = std::move(unspent_creates_.back());
      unspent_creates_.pop_back();
      body = {{"operation", "TRANSFER"},
              {"asset", {{"id", json::string_view(assetid)}}},
              {"inputs",
               json::array{input_from(random_, json::object{{"transaction_id", json::string_view(assetid)},
                                                            {"output_index", 0}})}},
              {"outputs", json::array{output_to(random_, owner)}},
              {"metadata", metadata(random_, blocks_made_)},
              {"version", "1.0"}};
    } else {
      body = {{"operation", "CREATE"},
              {"asset", {{"data", bicycle(random_)}}},
              {"inputs", json::array{input_from(random_, nullptr)}},
              {"outputs", json::array{output_to(random_, owner)}},
              {"metadata", metadata(random_, blocks_made_)},
              {"version", "1.0"}};
    }
    json::object tx = with_id(std::move(body));
    if (!transfer) {
      const json::string& txid = tx.at("id").as_string();
      created.emplace_back(txid.data(), txid.size());
    }
    txs.emplace_back(std::move(tx));
  }
  for (std::string& id : created) {
    if (unspent_creates_.size() < max_unspent_creates)
      unspent_creates_.push_back(std::move(id));
    else
      unspent_creates_[pick(random_, unspent_creates_.size())] = std::move(id);
  }

  json::array voters;
  for (int i = 0; i < 3; ++i)
    voters.emplace_back(json::string_view(public_key(random_)));
  json::object body{{"timestamp", std::to_string(first_timestamp + blocks_made_)},
                    {"transactions", std::move(txs)},
                    {"node_pubkey", json::string_view(public_key(random_))},
                    {"voters", std::move(voters)}};
  const std::string blockid = sha3_256_hex(json::serialize(body));
  const std::string signature = random_base58(random_, 88);
  ++blocks_made_;
  return json::serialize(json::object{{"id", json::string_view(blockid)},
                                      {"block", std::move(body)},
                                      {"signature", json::string_view(signature)}});
}

std::string sha3_256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha3_256(), nullptr);
  return to_hex(digest, size);
}

} // namespace evstream
