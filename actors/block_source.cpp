#include "actors/block_source.hpp"

#include "actors/observability.hpp"
#include "ops/log.hpp"

namespace evstream {

namespace {

// How long an engine may take to acknowledge a block (JetStream's publish).
constexpr auto publish_timeout = std::chrono::seconds(10);

// A block the source refused; `result` says why.
ingest_result refused(block_source_state& state, ingest_result result) {
  using outcome = ingest_result::outcome;
  // Unavailable is the journal's failure, not the block's: not a refusal to
  // the embedding API's counters, but an ingest error all the same.
  if (result.result != outcome::unavailable) ++state.counters.blocks_refused;
  state.metrics->ingest_errors(*ingest_refusal_of(result.result)).increment();
  return result;
}

// Numbers the block `sequence` (the next one unless a followed chain says),
// makes it durable and hands it on. By value: the block moves on into the
// encoded block, where a copy would cost an allocation per id and key.
ingest_result publish(caf::stateful_actor<block_source_state>* self, schema::block block,
                      std::chrono::steady_clock::time_point received_at, std::uint64_t sequence) {
  auto& state = self->state;
  if (state.remembered.contains(block.id))
    return refused(state, {ingest_result::outcome::duplicate, block.id, block.transactions.size(), {}});
  if (state.journal) {
    try {
      state.journal->append(sequence, block);
    } catch (const std::exception& e) {
      // Not acknowledged and not streamed: the sender may try again.
      return refused(
          state, {ingest_result::outcome::unavailable, block.id, block.transactions.size(), {e.what(), "$"}});
    }
  }
  state.remembered.remember(block.id, sequence);
  ++state.counters.blocks_published;
  state.metrics->blocks_ingested.increment();
  ops::log(ops::log_level::info, "block_accepted",
           {{"blockid", block.id}, {"height", sequence}, {"transactions", block.transactions.size()}});
  state.next_sequence = sequence + 1;
  ingest_result accepted{ingest_result::outcome::accepted, block.id, block.transactions.size(), {}};
  self->send(state.dispatcher,
             encode_block(std::move(block), sequence, received_at, state.api, state.eager_streams));
  return accepted;
}

} // namespace

caf::behavior block_source(caf::stateful_actor<block_source_state>* self, caf::actor dispatcher,
                           block_source_settings settings, ops::metrics_ptr metrics) {
  auto& state = self->state;
  state.metrics = std::move(metrics);
  state.dispatcher = std::move(dispatcher);
  state.remembered = recent_block_ids{settings.remembered_block_ids};
  state.journal = std::move(settings.journal);
  state.api = settings.api;
  state.next_sequence = settings.last_sequence + 1;
  for (const auto& [id, height] : settings.remembered)
    state.remembered.remember(id, height);
  self->send(state.dispatcher, wanted_atom::value);
  return {
      [=](ingest_atom, const std::string& json) -> caf::result<ingest_result> {
        auto received_at = std::chrono::steady_clock::now();
        auto parsed = schema::parse_block(json);
        if (!parsed)
          return refused(self->state, {ingest_result::outcome::invalid, {}, 0, std::move(parsed.error())});
        if (!self->state.publisher)
          return publish(self, std::move(*parsed), received_at, self->state.next_sequence);
        // Through the engine: accepted once it has the block; streamed when it delivers it.
        if (self->state.remembered.contains(parsed->id))
          return refused(self->state,
                         {ingest_result::outcome::duplicate, parsed->id, parsed->transactions.size(), {}});
        auto promise = self->make_response_promise<ingest_result>();
        auto size = parsed->transactions.size();
        self->request(self->state.publisher, publish_timeout, publish_block{json, parsed->id, size})
            .then(
                [=](ingest_result& result) mutable {
                  if (result.result != ingest_result::outcome::accepted)
                    result = refused(self->state, result);
                  promise.deliver(std::move(result));
                },
                [=](caf::error& error) mutable {
                  promise.deliver(refused(
                      self->state, {ingest_result::outcome::unavailable,
                                    parsed->id,
                                    size,
                                    {"the publisher did not answer: " + self->system().render(error), "$"}}));
                });
        return promise;
      },
      [=](publish_through& through) { self->state.publisher = std::move(through.publisher); },
      [=](const wanted_streams& wanted) { self->state.eager_streams = wanted.streams; },
      [=](block& candidate) {
        // A host node sends without waiting for an answer; the log and the
        // counters are where a refusal shows. (The refusal of an ingest or a
        // stdin line is logged where it came in, with where it came from.)
        auto received_at = std::chrono::steady_clock::now();
        if (auto checked = schema::check_block(candidate); !checked) {
          log_refused_block(refused(self->state, {ingest_result::outcome::invalid, candidate.id,
                                                  candidate.transactions.size(), checked.error()}),
                            {{"source", "embedded"}});
          return;
        }
        auto outcome = publish(self, std::move(candidate), received_at, self->state.next_sequence);
        if (outcome.result != ingest_result::outcome::accepted)
          log_refused_block(outcome, {{"source", "embedded"}});
      },
      // Taken by reference to move the block on (CAF copies a message that is shared).
      [=](followed_block& followed) {
        auto received_at = std::chrono::steady_clock::now();
        auto& block = followed.block;
        if (auto checked = schema::check_block(block); !checked)
          return refused(self->state, {ingest_result::outcome::invalid, block.id, block.transactions.size(),
                                       checked.error()});
        // A height at or below one already streamed is a repeat, whatever its id.
        if (followed.height < self->state.next_sequence)
          return refused(self->state,
                         {ingest_result::outcome::duplicate, block.id, block.transactions.size(), {}});
        return publish(self, std::move(block), received_at, followed.height);
      },
      [=](upstream_gap& gap) {
        // A relay's upstream lost blocks: the dispatcher learns it after every
        // block before the gap and before any after it.
        self->send(self->state.dispatcher, std::move(gap));
      },
      [=](window_sent_atom) {
        // Behind the blocks of the window, as they went to the dispatcher.
        self->send(self->state.dispatcher, window_sent_atom::value);
      },
      [=](caf::get_atom, counters_atom) { return self->state.counters; },
  };
}

} // namespace evstream
