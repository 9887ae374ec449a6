#include "app/stdin_feeder.hpp"

#include "actors/messages.hpp"
#include "actors/observability.hpp"
#include "ops/log.hpp"
#include "ops/metrics.hpp"

#include <poll.h>
#include <unistd.h>

#include <string>

namespace evstream {

namespace {

// A line the block source never saw.
void log_skipped(std::size_t line_number, const char* reason, const std::string& error) {
  ops::log(ops::log_level::warn, "ingest_error",
           {{"source", "stdin"}, {"line", line_number}, {"reason", reason}, {"error", error}});
}

void offer(caf::scoped_actor& self, const caf::actor& block_source, std::size_t line_number,
           std::string line) {
  self->request(block_source, caf::infinite, ingest_atom::value, std::move(line))
      .receive(
          [&](const ingest_result& result) {
            if (result.result != ingest_result::outcome::accepted)
              log_refused_block(result, {{"source", "stdin"}, {"line", line_number}});
          },
          [&](const caf::error& error) {
            log_skipped(line_number, ops::label_of(ops::ingest_refusal::not_answered),
                        self->system().render(error));
          });
}

} // namespace

void feed_lines(caf::actor_system& system, caf::actor block_source, int fd, std::size_t max_line_bytes,
                const std::atomic<bool>& stop) {
  caf::scoped_actor self{system};
  std::string line;
  bool line_too_long = false;
  std::size_t line_number = 0;
  char chunk[64 * 1024];
  auto finish_line = [&] {
    ++line_number;
    if (line_too_long)
      log_skipped(line_number, ops::label_of(ops::ingest_refusal::too_large),
                  "longer than " + std::to_string(max_line_bytes) + " bytes");
    else if (line.find_first_not_of(" \t\r") != std::string::npos)
      offer(self, block_source, line_number, std::move(line));
    line.clear();
    line_too_long = false;
  };
  while (!stop) {
    pollfd input{fd, POLLIN, 0};
    if (::poll(&input, 1, 100) <= 0) continue;
    auto got = ::read(fd, chunk, sizeof chunk);
    if (got <= 0) break;
    for (std::string_view rest{chunk, static_cast<std::size_t>(got)}; !rest.empty();) {
      auto newline = rest.find('\n');
      auto piece = rest.substr(0, newline);
      if (line.size() + piece.size() > max_line_bytes)
        line_too_long = true;
      else if (!line_too_long)
        line.append(piece);
      if (newline == std::string_view::npos) break;
      finish_line();
      rest.remove_prefix(newline + 1);
    }
  }
  if (!line.empty() || line_too_long) finish_line();
}

} // namespace evstream
