// parse_block reads block JSON without building a document: Boost.JSON's
// basic_parser calls block_reader for each key and value, and the reader keeps
// only what the streams need (ids, the timestamp, operations, public keys),
// skipping asset data, metadata and the rest as the parser passes them.
//
// It gives exactly parse_block_dom's answer (schema/block_dom.cpp) for every
// input, which the differential fuzz target checks. Two rules of the DOM make
// that more than "check as you go":
// - a syntax error anywhere wins over any rule broken before it, so the whole
//   document is read before a refusal is chosen;
// - the first rule broken is the first in the DOM's checking order, not in
//   the document's, and of repeated keys the last one counts.
// So each object keeps what each of its fields held, a repeated key starts its
// field over, and the object's refusal is chosen when it closes.
#include "schema/block.hpp"
#include "schema/block_rules.hpp"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <array>
#include <optional>
#include <stdexcept>
#include <unordered_set>
#include <utility>

namespace evstream::schema {
namespace {

namespace json = boost::json;
using namespace rules;

// What a field of an object held when its object closed.
enum class held : unsigned char { absent, good, bad };

// The objects and arrays whose contents matter; any other value is skipped.
enum class scope : unsigned char {
  root,         // $
  body,         // $.block
  transactions, // $.block.transactions
  transaction,  // $.block.transactions[i]
  asset,        // $.block.transactions[i].asset
  outputs,      // $.block.transactions[i].outputs
  output,       // $.block.transactions[i].outputs[k]
  public_keys,  // $.block.transactions[i].outputs[k].public_keys
  voters,       // $.block.voters
};

// The key whose value comes next, among those the rules read.
enum class key : unsigned char {
  other,
  id,
  block,
  signature,
  timestamp,
  transactions,
  node_pubkey,
  voters,
  asset,
  operation,
  outputs,
  public_keys,
};

enum class kind : unsigned char { object, array, string, null, other };

// What a field that must hold an array held.
enum class container : unsigned char { absent, array, bad };

// What a transaction's "asset" held: null and an object are both allowed.
enum class asset_held : unsigned char { absent, null, object, bad };

// The first broken rule among a transaction's outputs.
struct output_problem {
  enum { not_object, keys_not_array, key_not_string } what;
  std::size_t output;
  std::size_t key = 0;
};

// $.block.transactions[i] as its fields arrive.
struct transaction_fields {
  held id = held::absent;
  std::string txid;
  asset_held asset = asset_held::absent;
  held asset_id = held::absent;
  std::string assetid;
  held operation = held::absent;
  std::string operation_name;
  container outputs = container::absent;
  std::optional<output_problem> outputs_problem;
  std::vector<std::string> public_keys;
  // Where the current output's keys begin in public_keys (a repeated
  // "public_keys" in one output replaces that output's keys).
  std::size_t output_keys_begin = 0;
  std::size_t output_index = 0;
  std::optional<output_problem> output_problem_now; // of the output being read
  std::size_t key_index = 0;
};

// Transaction ids seen so far in this block, by index into the block's
// transactions (views would dangle as the vector grows).
struct txid_hash {
  const std::vector<transaction_ref>* txs;
  std::size_t operator()(std::size_t i) const { return std::hash<std::string_view>{}((*txs)[i].txid); }
};
struct txid_equal {
  const std::vector<transaction_ref>* txs;
  bool operator()(std::size_t a, std::size_t b) const { return (*txs)[a].txid == (*txs)[b].txid; }
};

class block_reader {
public:
  // As Boost.JSON's own DOM handler, so both readings refuse the same sizes.
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  block_reader() : seen_(0, txid_hash{&block_.transactions}, txid_equal{&block_.transactions}) {}

  // After a document without a syntax error: the block or the first broken rule.
  parse_result outcome() {
    if (!root_is_object_) return parse_error{"the block document must be a JSON object", "$"};
    if (refusal_) return std::move(*refusal_);
    return std::move(block_);
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code&) {
    begin(kind::object, {});
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    end(0);
    return true;
  }
  bool on_array_begin(json::error_code&) {
    begin(kind::array, {});
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code&) {
    end(n);
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (skipping_ == 0) text_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (skipping_ == 0) key_ = key_named(whole(s));
    text_.clear();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (skipping_ == 0) text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    begin(kind::string, whole(s));
    text_.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return scalar(kind::other); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return scalar(kind::other); }
  bool on_double(double, json::string_view, json::error_code&) { return scalar(kind::other); }
  bool on_bool(bool, json::error_code&) { return scalar(kind::other); }
  bool on_null(json::error_code&) { return scalar(kind::null); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

private:
  // The string so far: the last piece alone, unless escapes split it.
  std::string_view whole(json::string_view last) {
    if (text_.empty()) return {last.data(), last.size()};
    text_.append(last.data(), last.size());
    return text_;
  }

  bool scalar(kind k) {
    begin(k, {});
    return true;
  }

  key key_named(std::string_view name) const {
    switch (scopes_.back()) {
    case scope::root:
      if (name == "id") return key::id;
      if (name == "block") return key::block;
      if (name == "signature") return key::signature;
      break;
    case scope::body:
      if (name == "timestamp") return key::timestamp;
      if (name == "transactions") return key::transactions;
      if (name == "node_pubkey") return key::node_pubkey;
      if (name == "voters") return key::voters;
      break;
    case scope::transaction:
      if (name == "id") return key::id;
      if (name == "asset") return key::asset;
      if (name == "operation") return key::operation;
      if (name == "outputs") return key::outputs;
      break;
    case scope::asset:
      if (name == "id") return key::id;
      break;
    case scope::output:
      if (name == "public_keys") return key::public_keys;
      break;
    default:
      break;
    }
    return key::other;
  }

  // A value starts (a scalar starts and ends here). Containers that matter
  // push their scope; others are skipped to their end.
  void begin(kind k, std::string_view text) {
    if (skipping_ > 0) {
      if (k == kind::object || k == kind::array) ++skipping_;
      return;
    }
    if (scopes_.empty()) {
      root_is_object_ = k == kind::object;
      return enter(k, root_is_object_, scope::root);
    }
    switch (scopes_.back()) {
    case scope::root:
      return root_value(k, text);
    case scope::body:
      return body_value(k, text);
    case scope::transactions:
      return transaction_value(k);
    case scope::transaction:
      return transaction_field(k, text);
    case scope::asset:
      if (key_ == key::id) {
        auto& tx = tx_;
        tx.asset_id = k == kind::string && is_hex_digest(text) ? held::good : held::bad;
        if (tx.asset_id == held::good) tx.assetid = text;
      }
      return enter(k, false, scope::asset);
    case scope::outputs:
      return output_value(k);
    case scope::output:
      if (key_ == key::public_keys) {
        auto& tx = tx_;
        tx.public_keys.resize(tx.output_keys_begin);
        tx.key_index = 0;
        tx.output_problem_now.reset();
        if (k != kind::array)
          tx.output_problem_now = output_problem{output_problem::keys_not_array, tx.output_index};
        return enter(k, k == kind::array, scope::public_keys);
      }
      return enter(k, false, scope::output);
    case scope::public_keys: {
      auto& tx = tx_;
      if (!tx.output_problem_now) {
        if (k == kind::string)
          tx.public_keys.emplace_back(text);
        else
          tx.output_problem_now =
              output_problem{output_problem::key_not_string, tx.output_index, tx.key_index};
      }
      ++tx.key_index;
      return enter(k, false, scope::public_keys);
    }
    case scope::voters:
      if (k != kind::string && !first_bad_voter_) first_bad_voter_ = voter_index_;
      ++voter_index_;
      return enter(k, false, scope::voters);
    }
  }

  // Pushes `inner` for a container that matters; skips any other container.
  void enter(kind k, bool matters, scope inner) {
    if (k != kind::object && k != kind::array) return;
    if (matters)
      scopes_.push_back(inner);
    else
      skipping_ = 1;
  }

  void root_value(kind k, std::string_view text) {
    switch (key_) {
    case key::id:
      id_ = k == kind::string && is_hex_digest(text) ? held::good : held::bad;
      if (id_ == held::good) block_.id = text;
      break;
    case key::block:
      // A repeated "block" starts the body over.
      body_ = k == kind::object ? held::good : held::bad;
      body_refusal_.reset();
      timestamp_ = node_pubkey_ = held::absent;
      transactions_ = voters_ = container::absent;
      first_bad_voter_.reset();
      block_.timestamp.clear();
      clear_transactions();
      return enter(k, k == kind::object, scope::body);
    case key::signature:
      signature_ = k == kind::string || k == kind::null ? held::good : held::bad;
      break;
    default:
      break;
    }
    enter(k, false, scope::root);
  }

  void body_value(kind k, std::string_view text) {
    switch (key_) {
    case key::timestamp:
      timestamp_ = k == kind::string ? held::good : held::bad;
      if (k == kind::string) block_.timestamp = text;
      break;
    case key::transactions:
      transactions_ = k == kind::array ? container::array : container::bad;
      clear_transactions();
      return enter(k, k == kind::array, scope::transactions);
    case key::node_pubkey:
      node_pubkey_ = k == kind::string ? held::good : held::bad;
      break;
    case key::voters:
      voters_ = k == kind::array ? container::array : container::bad;
      first_bad_voter_.reset();
      voter_index_ = 0;
      return enter(k, k == kind::array, scope::voters);
    default:
      break;
    }
    enter(k, false, scope::body);
  }

  // An element of $.block.transactions. Once a transaction breaks a rule, or
  // the block holds more than it may, the rest only need counting.
  void transaction_value(kind k) {
    const std::size_t index = tx_count_++;
    if (tx_refusal_ || index >= max_transactions_per_block) return enter(k, false, scope::transactions);
    if (k != kind::object) {
      tx_refusal_ = parse_error{"each transaction must be an object", transaction_path(index, "")};
      return enter(k, false, scope::transactions);
    }
    tx_ = transaction_fields{};
    scopes_.push_back(scope::transaction);
  }

  void transaction_field(kind k, std::string_view text) {
    auto& tx = tx_;
    switch (key_) {
    case key::id:
      tx.id = k == kind::string && is_hex_digest(text) ? held::good : held::bad;
      if (tx.id == held::good) tx.txid = text;
      break;
    case key::asset:
      tx.asset_id = held::absent;
      if (k == kind::object) {
        tx.asset = asset_held::object;
        scopes_.push_back(scope::asset);
        return;
      }
      tx.asset = k == kind::null ? asset_held::null : asset_held::bad;
      break;
    case key::operation:
      tx.operation = k == kind::string && !text.empty() ? held::good : held::bad;
      if (tx.operation == held::good) tx.operation_name = text;
      break;
    case key::outputs:
      tx.outputs = k == kind::array ? container::array : container::bad;
      tx.outputs_problem.reset();
      tx.public_keys.clear();
      tx.output_index = 0;
      return enter(k, k == kind::array, scope::outputs);
    default:
      break;
    }
    enter(k, false, scope::transaction);
  }

  void output_value(kind k) {
    auto& tx = tx_;
    tx.output_problem_now.reset();
    tx.output_keys_begin = tx.public_keys.size();
    if (tx.outputs_problem) {
      ++tx.output_index;
      return enter(k, false, scope::outputs);
    }
    if (k != kind::object) {
      tx.outputs_problem = output_problem{output_problem::not_object, tx.output_index++};
      return enter(k, false, scope::outputs);
    }
    scopes_.push_back(scope::output);
  }

  // A container closes: an object or array that matters chooses its refusal.
  void end(std::size_t elements) {
    if (skipping_ > 0) {
      --skipping_;
      return;
    }
    const scope closing = scopes_.back();
    scopes_.pop_back();
    switch (closing) {
    case scope::root:
      refusal_ = root_refusal();
      break;
    case scope::body:
      body_refusal_ = body_refusal();
      break;
    case scope::transactions:
      tx_total_ = elements;
      break;
    case scope::transaction:
      close_transaction();
      break;
    case scope::output:
      close_output();
      break;
    default:
      break;
    }
  }

  std::optional<parse_error> root_refusal() {
    if (id_ == held::absent) return missing("id", "$.id");
    if (id_ == held::bad) return must_be("id", hex_digest_text, "$.id");
    if (body_ == held::absent) return missing("block", "$.block");
    if (body_ == held::bad) return must_be("block", "an object", "$.block");
    if (body_refusal_) return std::move(body_refusal_);
    if (signature_ == held::bad) return must_be("signature", "a string or null", "$.signature");
    return std::nullopt;
  }

  std::optional<parse_error> body_refusal() {
    if (timestamp_ == held::absent) return missing("timestamp", "$.block.timestamp");
    if (timestamp_ == held::bad) return must_be("timestamp", "a string", "$.block.timestamp");
    if (transactions_ == container::absent) return missing("transactions", "$.block.transactions");
    if (transactions_ == container::bad) return must_be("transactions", "an array", "$.block.transactions");
    if (tx_total_ > max_transactions_per_block)
      return too_many_transactions(tx_total_, "$.block.transactions");
    if (tx_refusal_) return std::move(tx_refusal_);
    if (node_pubkey_ == held::bad) return must_be("node_pubkey", "a string", "$.block.node_pubkey");
    if (voters_ == container::bad) return must_be("voters", "an array of strings", "$.block.voters");
    if (first_bad_voter_)
      return parse_error{"each voter must be a string",
                         "$.block.voters[" + std::to_string(*first_bad_voter_) + ']'};
    return std::nullopt;
  }

  void close_output() {
    auto& tx = tx_;
    if (tx.output_problem_now && !tx.outputs_problem) tx.outputs_problem = tx.output_problem_now;
    tx.output_problem_now.reset();
    ++tx.output_index;
  }

  // Checks one transaction in the DOM's order and keeps it, or keeps why not.
  void close_transaction() {
    auto& tx = tx_;
    const std::size_t index = tx_count_ - 1;
    const auto at = [index](std::string_view field) { return transaction_path(index, field); };
    if (tx.id == held::absent) return refuse_transaction(missing("id", at(".id")));
    if (tx.id == held::bad) return refuse_transaction(must_be("id", hex_digest_text, at(".id")));
    auto& txs = block_.transactions;
    txs.push_back(transaction_ref{std::move(tx.txid), {}, {}, {}});
    if (!seen_.insert(txs.size() - 1).second) {
      txs.pop_back();
      return refuse_transaction(repeated_txid(at(".id")));
    }
    if (tx.asset == asset_held::bad)
      return refuse_transaction(must_be("asset", "an object or null", at(".asset")));
    if (tx.asset == asset_held::object && tx.asset_id == held::bad)
      return refuse_transaction(must_be("asset.id", hex_digest_text, at(".asset.id")));
    if (tx.operation == held::absent) return refuse_transaction(missing("operation", at(".operation")));
    if (tx.operation == held::bad)
      return refuse_transaction(must_be("operation", "a non-empty string", at(".operation")));
    if (tx.outputs == container::bad)
      return refuse_transaction(must_be("outputs", "an array", at(".outputs")));
    if (tx.outputs_problem) return refuse_transaction(output_refusal(index, *tx.outputs_problem));
    auto& ref = txs.back();
    // A CREATE's asset is the transaction itself.
    ref.assetid =
        tx.asset == asset_held::object && tx.asset_id == held::good ? std::move(tx.assetid) : ref.txid;
    ref.operation = std::move(tx.operation_name);
    ref.public_keys = std::move(tx.public_keys);
  }

  void refuse_transaction(parse_error why) { tx_refusal_ = std::move(why); }

  static parse_error output_refusal(std::size_t index, const output_problem& problem) {
    const auto at = [&](std::string_view field) {
      return transaction_path(index, ".outputs[" + std::to_string(problem.output) + ']' + std::string(field));
    };
    switch (problem.what) {
    case output_problem::not_object:
      return {"each output must be an object", at("")};
    case output_problem::keys_not_array:
      return must_be("public_keys", "an array of strings", at(".public_keys"));
    case output_problem::key_not_string:
      break;
    }
    return {"each public key must be a string", at(".public_keys[" + std::to_string(problem.key) + ']')};
  }

  void clear_transactions() {
    block_.transactions.clear();
    seen_.clear();
    tx_count_ = tx_total_ = 0;
    tx_refusal_.reset();
  }

  block block_;
  std::unordered_set<std::size_t, txid_hash, txid_equal> seen_;
  std::optional<parse_error> refusal_;

  // Where the reader is: the scopes that matter, then how deep into a
  // skipped value; the key whose value comes next; a string split by escapes.
  std::vector<scope> scopes_;
  std::size_t skipping_ = 0;
  key key_ = key::other;
  std::string text_;

  // $
  bool root_is_object_ = false;
  held id_ = held::absent;
  held body_ = held::absent;
  held signature_ = held::absent;
  std::optional<parse_error> body_refusal_;
  // $.block
  held timestamp_ = held::absent;
  held node_pubkey_ = held::absent;
  container transactions_ = container::absent;
  container voters_ = container::absent;
  std::optional<std::size_t> first_bad_voter_;
  std::size_t voter_index_ = 0;
  // $.block.transactions
  std::size_t tx_count_ = 0;
  std::size_t tx_total_ = 0;
  std::optional<parse_error> tx_refusal_;
  transaction_fields tx_;
};

} // namespace

void throw_exception_from_error(const parse_error& error, const boost::source_location&) {
  throw std::invalid_argument(error.message + " at " + error.path);
}

bool is_hex_digest(std::string_view text) {
  // A table lookup per character: the parser checks two digests per transaction.
  static constexpr auto hex = [] {
    std::array<bool, 256> table{};
    for (const char c : std::string_view("0123456789abcdef"))
      table[static_cast<unsigned char>(c)] = true;
    return table;
  }();
  if (text.size() != 64) return false;
  for (const char c : text)
    if (!hex[static_cast<unsigned char>(c)]) return false;
  return true;
}

parse_result parse_block(std::string_view json_text) {
  json::parse_options options;
  options.max_depth = max_json_depth;
  json::basic_parser<block_reader> parser(options);
  json::error_code ec;
  // The calls stream_parser makes, so syntax errors and their offsets are the DOM's.
  const std::size_t offset = parser.write_some(true, json_text.data(), json_text.size(), ec);
  if (!ec && offset < json_text.size()) return malformed("unexpected text after the document", offset);
  if (!ec) parser.write_some(false, nullptr, 0, ec);
  if (ec) return malformed(ec.message(), offset);
  return parser.handler().outcome();
}

result<void, parse_error> check_block(const block& candidate) {
  if (!is_hex_digest(candidate.id)) return must_be("id", hex_digest_text, "$.id");
  const auto& txs = candidate.transactions;
  if (txs.size() > max_transactions_per_block) return too_many_transactions(txs.size(), "$.transactions");
  std::unordered_set<std::string_view> seen;
  seen.reserve(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    auto at = [i](std::string_view field) {
      return "$.transactions[" + std::to_string(i) + "]." + std::string(field);
    };
    if (!is_hex_digest(txs[i].txid)) return must_be("txid", hex_digest_text, at("txid"));
    if (!seen.insert(txs[i].txid).second) return repeated_txid(at("txid"));
    if (!is_hex_digest(txs[i].assetid)) return must_be("assetid", hex_digest_text, at("assetid"));
  }
  return {};
}

} // namespace evstream::schema
