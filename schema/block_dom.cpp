// The DOM reading of block JSON: Boost.JSON builds the document, then each
// rule is checked against it in a fixed order. parse_block (schema/block.cpp)
// reads the same documents without a DOM; this one is the plain statement of
// the rules that it is checked against (the differential fuzz target and
// tests) and the benchmark's in-process reference (W5).
#include "schema/block_dom.hpp"
#include "schema/block_rules.hpp"

#include <boost/json.hpp>

#include <unordered_set>
#include <utility>

namespace evstream::schema {
namespace {

namespace json = boost::json;
using namespace rules;

// Small blocks build their whole DOM in this stack buffer; larger ones spill
// into the heap in a few growing chunks rather than one allocation per node.
constexpr std::size_t dom_stack_bytes = 16 * 1024;

std::string_view view(const json::string& s) { return {s.data(), s.size()}; }

// The value as a digest string, or nullptr when it is anything else.
const json::string* as_hex_digest(const json::value& v) {
  const json::string* s = v.if_string();
  return s && is_hex_digest(view(*s)) ? s : nullptr;
}

result<void, parse_error> read_transactions(const json::array& txs, std::vector<transaction_ref>& out) {
  // Paths are built only for the error, not for every transaction.
  std::size_t i = 0;
  const auto at = [&i](std::string_view field) { return transaction_path(i, field); };
  // Views into the DOM, which outlives this function.
  std::unordered_set<std::string_view> seen;
  seen.reserve(txs.size());
  out.reserve(txs.size());
  for (; i < txs.size(); ++i) {
    const json::object* tx = txs[i].if_object();
    if (!tx) return parse_error{"each transaction must be an object", at("")};
    const json::value* id = tx->if_contains("id");
    if (!id) return missing("id", at(".id"));
    const json::string* txid = as_hex_digest(*id);
    if (!txid) return must_be("id", hex_digest_text, at(".id"));
    if (!seen.insert(view(*txid)).second) return repeated_txid(at(".id"));

    std::string_view assetid = view(*txid); // a CREATE's asset is the transaction itself
    const json::value* asset_value = tx->if_contains("asset");
    if (asset_value && !asset_value->is_null()) {
      const json::object* asset = asset_value->if_object();
      if (!asset) return must_be("asset", "an object or null", at(".asset"));
      if (const json::value* asset_id = asset->if_contains("id")) {
        const json::string* digest = as_hex_digest(*asset_id);
        if (!digest) return must_be("asset.id", hex_digest_text, at(".asset.id"));
        assetid = view(*digest);
      }
    }
    transaction_ref ref{std::string(view(*txid)), std::string(assetid), {}, {}};

    // The ?operation= filters and the blocks stream read it.
    const json::value* operation = tx->if_contains("operation");
    if (!operation) return missing("operation", at(".operation"));
    const json::string* operation_name = operation->if_string();
    if (!operation_name || operation_name->empty())
      return must_be("operation", "a non-empty string", at(".operation"));
    ref.operation = view(*operation_name);
    if (const json::value* outputs_value = tx->if_contains("outputs")) {
      const json::array* outputs = outputs_value->if_array();
      if (!outputs) return must_be("outputs", "an array", at(".outputs"));
      for (std::size_t k = 0; k < outputs->size(); ++k) {
        const auto output_at = [&](std::string_view field) {
          return at(".outputs[" + std::to_string(k) + ']' + std::string(field));
        };
        const json::object* output = (*outputs)[k].if_object();
        if (!output) return parse_error{"each output must be an object", output_at("")};
        const json::value* keys_value = output->if_contains("public_keys");
        if (!keys_value) continue;
        const json::array* keys = keys_value->if_array();
        if (!keys) return must_be("public_keys", "an array of strings", output_at(".public_keys"));
        for (std::size_t j = 0; j < keys->size(); ++j) {
          const json::string* key = (*keys)[j].if_string();
          if (!key)
            return parse_error{"each public key must be a string",
                               output_at(".public_keys[" + std::to_string(j) + ']')};
          ref.public_keys.emplace_back(view(*key));
        }
      }
    }
    out.push_back(std::move(ref));
  }
  return {};
}

// Fields are checked in document order, so the error names the first bad one.
parse_result read_block(const json::value& doc) {
  const json::object* root = doc.if_object();
  if (!root) return parse_error{"the block document must be a JSON object", "$"};

  block result;
  const json::value* id = root->if_contains("id");
  if (!id) return missing("id", "$.id");
  const json::string* blockid = as_hex_digest(*id);
  if (!blockid) return must_be("id", hex_digest_text, "$.id");
  result.id = view(*blockid);

  const json::value* body_value = root->if_contains("block");
  if (!body_value) return missing("block", "$.block");
  const json::object* body = body_value->if_object();
  if (!body) return must_be("block", "an object", "$.block");

  const json::value* timestamp = body->if_contains("timestamp");
  if (!timestamp) return missing("timestamp", "$.block.timestamp");
  if (!timestamp->is_string()) return must_be("timestamp", "a string", "$.block.timestamp");
  result.timestamp = view(timestamp->get_string());

  const json::value* txs_value = body->if_contains("transactions");
  if (!txs_value) return missing("transactions", "$.block.transactions");
  const json::array* txs = txs_value->if_array();
  if (!txs) return must_be("transactions", "an array", "$.block.transactions");
  if (txs->size() > max_transactions_per_block)
    return too_many_transactions(txs->size(), "$.block.transactions");
  if (auto read = read_transactions(*txs, result.transactions); !read) return std::move(read.error());

  const json::value* node_pubkey = body->if_contains("node_pubkey");
  if (node_pubkey && !node_pubkey->is_string())
    return must_be("node_pubkey", "a string", "$.block.node_pubkey");

  if (const json::value* voters_value = body->if_contains("voters")) {
    const json::array* voters = voters_value->if_array();
    if (!voters) return must_be("voters", "an array of strings", "$.block.voters");
    for (std::size_t k = 0; k < voters->size(); ++k)
      if (!(*voters)[k].is_string())
        return parse_error{"each voter must be a string", "$.block.voters[" + std::to_string(k) + ']'};
  }

  const json::value* signature = root->if_contains("signature");
  if (signature && !signature->is_string() && !signature->is_null())
    return must_be("signature", "a string or null", "$.signature");

  return result;
}

} // namespace

parse_result parse_block_dom(std::string_view json_text) {
  unsigned char dom_buffer[dom_stack_bytes];
  json::monotonic_resource arena(dom_buffer, sizeof dom_buffer);
  json::parse_options options;
  options.max_depth = max_json_depth;
  json::stream_parser parser({}, options);
  parser.reset(&arena);
  json::error_code ec;
  // write_some stops at the first bad character, which gives the offset.
  std::size_t offset = parser.write_some(json_text.data(), json_text.size(), ec);
  if (!ec && offset < json_text.size()) return malformed("unexpected text after the document", offset);
  if (!ec) parser.finish(ec);
  if (ec) return malformed(ec.message(), offset);
  return read_block(parser.release());
}

} // namespace evstream::schema
