#include "actors/recent_block_ids.hpp"

#include <catch2/catch.hpp>

using evstream::recent_block_ids;

TEST_CASE("recent block ids keep their heights, refuse a repeat and forget the oldest past the capacity") {
  recent_block_ids ids{2};
  CHECK(ids.remember("a", 1));
  CHECK(ids.remember("b", 2));
  CHECK_FALSE(ids.remember("a", 9)); // a repeat changes nothing
  CHECK(ids.height_of("a") == 1u);
  CHECK(ids.remember("c", 3));
  CHECK_FALSE(ids.contains("a"));
  CHECK_FALSE(ids.height_of("a"));
  CHECK(ids.height_of("b") == 2u);
  CHECK(ids.height_of("c") == 3u);
}
