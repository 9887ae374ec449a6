// libFuzzer target, differential: any bytes read by parse_block (no DOM) and
// by parse_block_dom (the DOM reading it replaced on the ingest path). Both
// must give the same answer: the same refusal, word for word and path for
// path, or the same block, field by field.
//
//   fuzz/run.sh 60      (or build-fuzz/fuzz/fuzz_block_readings fuzz/corpus/block_readings)
#include "schema/block.hpp"
#include "schema/block_dom.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

namespace schema = evstream::schema;

void require(bool condition, const char* what, std::string_view input) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_block_readings: the readings differ: %s\ninput: %.*s\n", what,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

bool same(const schema::transaction_ref& a, const schema::transaction_ref& b) {
  return a.txid == b.txid && a.assetid == b.assetid && a.operation == b.operation
         && a.public_keys == b.public_keys;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto streamed = schema::parse_block(text);
  auto dom = schema::parse_block_dom(text);
  require(streamed.has_value() == dom.has_value(), "one accepts what the other refuses", text);
  if (!dom) {
    if (streamed.error().message != dom.error().message || streamed.error().path != dom.error().path)
      std::fprintf(stderr, "parse_block: %s at %s\nparse_block_dom: %s at %s\n",
                   streamed.error().message.c_str(), streamed.error().path.c_str(),
                   dom.error().message.c_str(), dom.error().path.c_str());
    require(streamed.error().message == dom.error().message, "the refusals' messages", text);
    require(streamed.error().path == dom.error().path, "the refusals' paths", text);
    return 0;
  }
  require(streamed->id == dom->id, "the block ids", text);
  require(streamed->timestamp == dom->timestamp, "the timestamps", text);
  require(streamed->transactions.size() == dom->transactions.size(), "the transaction counts", text);
  for (std::size_t i = 0; i < dom->transactions.size(); ++i)
    require(same(streamed->transactions[i], dom->transactions[i]), "a transaction", text);
  return 0;
}
