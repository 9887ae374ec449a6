// The durable journal of accepted blocks (--journal=PATH): an SQLite database
// that holds each block before it is acknowledged, so a 202 survives a crash,
// and that gives a restarted node back its retention window, its heights and
// the ids it refuses as duplicates or names in a 410.
//
// Used by one actor only (the block source); not thread-safe.
#pragma once

#include "evstream/block.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace evstream::store {

// What a journal holds: the newest blocks whole, and older ones by id.
struct journal_history {
  std::uint64_t last_sequence = 0;
  // Oldest first.
  std::vector<std::pair<std::uint64_t, block>> blocks;
  std::vector<std::pair<std::string, std::uint64_t>> ids;
};

class journal {
public:
  // Opens or creates the database at `path`; keeps the newest `keep_blocks`
  // blocks whole and the newest `keep_ids` ids. Throws std::runtime_error
  // naming the path and SQLite's reason.
  journal(const std::string& path, std::size_t keep_blocks, std::size_t keep_ids);
  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  // Durable on disk when it returns (an fsync'd SQLite commit). Throws
  // std::runtime_error when the block could not be written.
  void append(std::uint64_t sequence, const block& b);

  journal_history history() const;

private:
  void open();
  void close() noexcept;
  void execute(const char* sql) const;
  [[noreturn]] void fail(const std::string& doing) const;

  std::string path_;
  std::size_t keep_blocks_;
  std::size_t keep_ids_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* forget_bodies_ = nullptr;
  sqlite3_stmt* forget_ids_ = nullptr;
};

// The journal's encoding of a block: its fields as a JSON object.
std::string to_json(const block& b);
block block_from_json(const std::string& text);

} // namespace evstream::store
