#include "store/journal.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

using evstream::block;
using evstream::store::journal;

namespace {

// A fresh directory for one test's database, removed afterwards.
struct temporary_directory {
  std::filesystem::path path;
  temporary_directory() {
    char name[] = "/tmp/evstream-journal-XXXXXX";
    path = mkdtemp(name);
  }
  ~temporary_directory() { std::filesystem::remove_all(path); }
  std::string file(const char* name) const { return (path / name).string(); }
};

std::string digest(char kind, std::uint64_t n) {
  auto digits = std::to_string(n);
  return std::string(1, kind) + std::string(63 - digits.size(), '0') + digits;
}

block block_at(std::uint64_t n) {
  return {digest('b', n),
          std::to_string(1700000000 + n),
          {{digest('t', n), digest('t', n), "CREATE", {"KeyA", "KeyB"}},
           {digest('u', n), digest('t', n), "TRANSFER", {}}}};
}

bool same(const block& a, const block& b) {
  if (a.id != b.id || a.timestamp != b.timestamp || a.transactions.size() != b.transactions.size())
    return false;
  for (std::size_t i = 0; i < a.transactions.size(); ++i) {
    const auto &x = a.transactions[i], &y = b.transactions[i];
    if (x.txid != y.txid || x.assetid != y.assetid || x.operation != y.operation
        || x.public_keys != y.public_keys)
      return false;
  }
  return true;
}

} // namespace

TEST_CASE("a block round-trips through the journal's JSON") {
  auto b = block_at(7);
  CHECK(same(evstream::store::block_from_json(evstream::store::to_json(b)), b));
}

TEST_CASE("what was appended is there after the journal is closed and opened again") {
  temporary_directory dir;
  {
    journal j{dir.file("j.db"), 10, 100};
    for (std::uint64_t n = 1; n <= 3; ++n)
      j.append(n, block_at(n));
  }
  journal reopened{dir.file("j.db"), 10, 100};
  auto history = reopened.history();
  CHECK(history.last_sequence == 3);
  REQUIRE(history.blocks.size() == 3);
  for (std::uint64_t n = 1; n <= 3; ++n) {
    CHECK(history.blocks[n - 1].first == n);
    CHECK(same(history.blocks[n - 1].second, block_at(n)));
    CHECK(history.ids[n - 1] == std::make_pair(digest('b', n), n));
  }
  reopened.append(4, block_at(4));
  CHECK(reopened.history().last_sequence == 4);
}

TEST_CASE("the journal keeps the newest blocks whole and forgets the oldest ids") {
  temporary_directory dir;
  journal j{dir.file("j.db"), 2, 10};
  for (std::uint64_t n = 1; n <= 200; ++n)
    j.append(n, block_at(n));
  auto history = j.history();
  CHECK(history.last_sequence == 200);
  REQUIRE(history.blocks.size() == 2);
  CHECK(history.blocks[0].first == 199);
  CHECK(history.blocks[1].first == 200);
  // Forgetting runs in batches: at most a batch more than asked is kept.
  CHECK(history.ids.size() >= 10);
  CHECK(history.ids.size() <= 10 + 64);
  CHECK(history.ids.back().second == 200);
}

TEST_CASE("a block id appended twice is refused, and the journal still works") {
  temporary_directory dir;
  journal j{dir.file("j.db"), 10, 100};
  j.append(1, block_at(1));
  CHECK_THROWS_WITH(j.append(2, block_at(1)), Catch::Contains("writing block " + digest('b', 1)));
  j.append(2, block_at(2));
  CHECK(j.history().ids.size() == 2);
}

TEST_CASE("a journal that cannot be opened names its path and the reason") {
  CHECK_THROWS_WITH((journal{"/nonexistent-dir/j.db", 10, 100}),
                    Catch::Contains("/nonexistent-dir/j.db") && Catch::Contains("unable to open"));
}

TEST_CASE("a file that is not a journal is refused") {
  temporary_directory dir;
  std::ofstream{dir.file("text.db")} << "this is not a database, just some text long enough to have a header";
  CHECK_THROWS_WITH((journal{dir.file("text.db"), 10, 100}), Catch::Contains("text.db"));
}
