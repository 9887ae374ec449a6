// Asking an actor from Asio code, which must never block: a one-shot actor
// sends the request, and the reply (or the error: none within the timeout)
// is posted to the connection's executor, where the answer is written.
#pragma once

#include "net/beast.hpp"

#include <caf/all.hpp>

#include <type_traits>
#include <utility>

namespace evstream::net {

namespace detail {

// The one-shot actor behind ask_on().
template <class Reply, class Executor, class Answered, class... Message>
void asker(caf::event_based_actor* self, caf::actor whom, caf::timespan timeout, Executor executor,
           Answered answered, Message... message) {
  auto answer = [executor, answered](caf::expected<Reply> reply) {
    asio::post(executor, [answered, reply = std::move(reply)]() mutable { answered(std::move(reply)); });
  };
  self->request(whom, timeout, std::move(message)...)
      .then([=](const Reply& reply) { answer(caf::expected<Reply>{reply}); },
            [=](caf::error& error) { answer(caf::expected<Reply>{std::move(error)}); });
}

} // namespace detail

// Asks `whom` and calls `answered(caf::expected<Reply>)` on `executor`.
//
// The inputs are spawn arguments, not lambda captures: CAF 0.17.6 dereferences
// a null std::shared_ptr<std::tuple<>> when it spawns an actor without
// arguments (sanitizers/ubsan.supp). Harmless in itself, but under UBSan the
// suppression check symbolizes the stack on the CAF worker thread, which
// stalled every actor, pongs included, for most of a second.
template <class Reply, class Executor, class Answered, class... Message>
void ask_on(caf::actor_system& system, caf::actor whom, caf::timespan timeout, Executor executor,
            Answered answered, Message&&... message) {
  // Moved all the way: an ingest body can be megabytes.
  system.spawn(detail::asker<Reply, Executor, Answered, std::decay_t<Message>...>, std::move(whom), timeout,
               std::move(executor), std::move(answered), std::forward<Message>(message)...);
}

} // namespace evstream::net
