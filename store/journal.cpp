#include "store/journal.hpp"

#include <boost/json.hpp>
#include <sqlite3.h>

#include <stdexcept>

namespace evstream::store {

namespace json = boost::json;

namespace {

// Forgetting runs every this many blocks: one cheap statement per batch.
constexpr std::uint64_t forget_every = 64;

} // namespace

std::string to_json(const block& b) {
  json::array transactions;
  transactions.reserve(b.transactions.size());
  for (const auto& tx : b.transactions) {
    json::array keys(tx.public_keys.begin(), tx.public_keys.end());
    transactions.push_back(json::object{{"txid", tx.txid},
                                        {"assetid", tx.assetid},
                                        {"operation", tx.operation},
                                        {"public_keys", std::move(keys)}});
  }
  return json::serialize(
      json::object{{"id", b.id}, {"timestamp", b.timestamp}, {"transactions", transactions}});
}

block block_from_json(const std::string& text) {
  // Written by to_json; a malformed row is a damaged journal and throws.
  auto doc = json::parse(text).as_object();
  block b;
  b.id = json::value_to<std::string>(doc.at("id"));
  b.timestamp = json::value_to<std::string>(doc.at("timestamp"));
  for (const auto& value : doc.at("transactions").as_array()) {
    const auto& tx = value.as_object();
    b.transactions.push_back({json::value_to<std::string>(tx.at("txid")),
                              json::value_to<std::string>(tx.at("assetid")),
                              json::value_to<std::string>(tx.at("operation")),
                              json::value_to<std::vector<std::string>>(tx.at("public_keys"))});
  }
  return b;
}

journal::journal(const std::string& path, std::size_t keep_blocks, std::size_t keep_ids)
    : path_(path), keep_blocks_(keep_blocks), keep_ids_(std::max(keep_ids, keep_blocks)) {
  // A constructor that throws runs no destructor: release the handles here.
  try {
    open();
  } catch (...) {
    close();
    throw;
  }
}

void journal::open() {
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr)
      != SQLITE_OK)
    fail("opening");
  // WAL with synchronous=FULL: every commit is fsync'd before it returns, and
  // a crash at any point leaves the last commit intact.
  execute("PRAGMA journal_mode=WAL");
  execute("PRAGMA synchronous=FULL");
  execute("CREATE TABLE IF NOT EXISTS blocks ("
          " sequence INTEGER PRIMARY KEY,"
          " blockid TEXT NOT NULL UNIQUE,"
          " body TEXT)"); // NULL once the block is older than the window
  if (sqlite3_prepare_v2(db_, "INSERT INTO blocks (sequence, blockid, body) VALUES (?, ?, ?)", -1, &insert_,
                         nullptr)
          != SQLITE_OK
      || sqlite3_prepare_v2(db_, "UPDATE blocks SET body = NULL WHERE sequence <= ? AND body IS NOT NULL", -1,
                            &forget_bodies_, nullptr)
             != SQLITE_OK
      || sqlite3_prepare_v2(db_, "DELETE FROM blocks WHERE sequence <= ?", -1, &forget_ids_, nullptr)
             != SQLITE_OK)
    fail("preparing statements for");
}

journal::~journal() { close(); }

void journal::close() noexcept {
  sqlite3_finalize(insert_);
  sqlite3_finalize(forget_bodies_);
  sqlite3_finalize(forget_ids_);
  // Closes a handle that failed to open too: SQLite allocates it either way.
  sqlite3_close(db_);
  insert_ = forget_bodies_ = forget_ids_ = nullptr;
  db_ = nullptr;
}

void journal::execute(const char* sql) const {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
    fail(std::string{"running "} + sql + " on");
}

void journal::fail(const std::string& doing) const {
  throw std::runtime_error("journal: " + doing + " " + path_ + ": "
                           + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
}

void journal::append(std::uint64_t sequence, const block& b) {
  auto body = to_json(b);
  sqlite3_reset(insert_);
  sqlite3_bind_int64(insert_, 1, static_cast<sqlite3_int64>(sequence));
  sqlite3_bind_text(insert_, 2, b.id.data(), static_cast<int>(b.id.size()), SQLITE_STATIC);
  sqlite3_bind_text(insert_, 3, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
  if (sqlite3_step(insert_) != SQLITE_DONE) fail("writing block " + b.id + " to");
  if (sequence % forget_every != 0) return;
  // Not needed for the block's durability: a failure here only keeps more.
  auto forget = [&](sqlite3_stmt* statement, std::size_t keep) {
    if (sequence <= keep) return;
    sqlite3_reset(statement);
    sqlite3_bind_int64(statement, 1, static_cast<sqlite3_int64>(sequence - keep));
    sqlite3_step(statement);
  };
  forget(forget_bodies_, keep_blocks_);
  forget(forget_ids_, keep_ids_);
}

journal_history journal::history() const {
  journal_history history;
  sqlite3_stmt* rows = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT sequence, blockid, body FROM blocks ORDER BY sequence", -1, &rows,
                         nullptr)
      != SQLITE_OK)
    fail("reading");
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> finalize{rows, sqlite3_finalize};
  int step;
  while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
    auto sequence = static_cast<std::uint64_t>(sqlite3_column_int64(rows, 0));
    std::string blockid{reinterpret_cast<const char*>(sqlite3_column_text(rows, 1))};
    history.last_sequence = sequence;
    if (sqlite3_column_type(rows, 2) != SQLITE_NULL) {
      std::string body{reinterpret_cast<const char*>(sqlite3_column_text(rows, 2))};
      try {
        history.blocks.emplace_back(sequence, block_from_json(body));
      } catch (const std::exception& e) {
        throw std::runtime_error("journal: block " + blockid + " in " + path_ + " is damaged: " + e.what());
      }
    }
    history.ids.emplace_back(std::move(blockid), sequence);
  }
  if (step != SQLITE_DONE) fail("reading");
  // Keep only the newest whole blocks the window can use.
  if (history.blocks.size() > keep_blocks_)
    history.blocks.erase(history.blocks.begin(),
                         history.blocks.end() - static_cast<std::ptrdiff_t>(keep_blocks_));
  return history;
}

} // namespace evstream::store
