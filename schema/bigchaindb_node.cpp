#include "schema/bigchaindb_node.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <sstream>

namespace evstream::schema {
namespace {

namespace json = boost::json;

// The value at a path of object keys, or nullptr.
const json::value* find(const json::value& root, std::initializer_list<std::string_view> keys) {
  const json::value* at = &root;
  for (auto key : keys) {
    const json::object* object = at->if_object();
    if (!object) return nullptr;
    at = object->if_contains(key);
    if (!at) return nullptr;
  }
  return at;
}

result<json::value, problem> parse_json(std::string_view text, std::string_view what) {
  json::error_code ec;
  auto value = json::parse(text, ec);
  if (ec) return problem{std::string(what) + " is not JSON: " + ec.message()};
  return value;
}

// Tendermint writes heights as decimal strings (JSON numbers in some builds).
std::optional<std::uint64_t> height_of(const json::value& v) {
  if (auto n = v.if_uint64()) return *n;
  if (auto n = v.if_int64(); n && *n >= 0) return static_cast<std::uint64_t>(*n);
  const json::string* s = v.if_string();
  if (!s || s->empty()) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
  if (ec != std::errc{} || end != s->data() + s->size()) return std::nullopt;
  return n;
}

// "2019-04-25T10:20:30.123456789Z" as "1556187630"; anything else as it is.
// Written with the C library: the seconds are all the blocks stream shows.
std::string unix_seconds_of(std::string_view rfc3339) {
  std::tm tm{};
  std::istringstream in{std::string(rfc3339.substr(0, 19))};
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  const bool utc = !rfc3339.empty() && rfc3339.back() == 'Z';
  if (in.fail() || !utc) return std::string(rfc3339);
  return std::to_string(static_cast<long long>(timegm(&tm)));
}

} // namespace

result<std::uint64_t, problem> tendermint_latest_height(std::string_view status_json) {
  auto doc = parse_json(status_json, "Tendermint's /status answer");
  if (!doc) return doc.error();
  const json::value* latest = find(*doc, {"result", "sync_info", "latest_block_height"});
  auto height = latest ? height_of(*latest) : std::nullopt;
  if (!height) return problem{"Tendermint's /status answer has no result.sync_info.latest_block_height"};
  return *height;
}

result<tendermint_block, problem> tendermint_block_at(std::string_view block_json, std::uint64_t height) {
  auto doc = parse_json(block_json, "Tendermint's /block answer");
  if (!doc) return doc.error();
  // Tendermint 0.33 and later, then 0.31 (BigchainDB 2.2.2's).
  const json::value* hash = find(*doc, {"result", "block_id", "hash"});
  if (!hash) hash = find(*doc, {"result", "block_meta", "block_id", "hash"});
  if (!hash || !hash->is_string())
    return problem{"Tendermint's /block answer for height " + std::to_string(height)
                   + " has no result.block_id.hash (nor result.block_meta.block_id.hash)"};
  tendermint_block found;
  found.hash = hash->get_string().c_str();
  for (auto& c : found.hash)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!is_hex_digest(found.hash))
    return problem{"Tendermint's block hash at height " + std::to_string(height) + " is not 64 hex digits: \""
                   + found.hash + '"'};
  if (const json::value* at = find(*doc, {"result", "block", "header", "height"});
      at && height_of(*at) != height)
    return problem{"Tendermint answered another height than " + std::to_string(height)};
  const json::value* time = find(*doc, {"result", "block", "header", "time"});
  if (time && time->is_string()) found.timestamp = unix_seconds_of(time->get_string());
  return found;
}

parse_result bigchaindb_block_at(std::string_view node_json, std::uint64_t height,
                                 const tendermint_block& tendermint) {
  auto doc = parse_json(node_json, "the node's block");
  if (!doc) return parse_error{doc.error().message, "$"};
  const json::object* answer = doc->if_object();
  if (!answer) return parse_error{"the node's block must be a JSON object", "$"};
  const json::value* at = answer->if_contains("height");
  if (!at || height_of(*at) != height)
    return parse_error{"the node answered for another height than " + std::to_string(height), "$.height"};
  const json::value* transactions = answer->if_contains("transactions");
  if (!transactions) return parse_error{"missing required field \"transactions\"", "$.transactions"};
  // The same rules as ingest: the node's transactions in the block document
  // parse_block reads, with Tendermint's hash as its id.
  json::value block{{"id", tendermint.hash},
                    {"block", {{"timestamp", tendermint.timestamp}, {"transactions", *transactions}}}};
  auto parsed = parse_block(json::serialize(block));
  if (parsed) return parsed;
  auto refusal = parsed.error();
  if (refusal.path.rfind("$.block.", 0) == 0)
    refusal.path.erase(1, 6); // "$.block.transactions…" → "$.transactions…"
  return refusal;
}

} // namespace evstream::schema
