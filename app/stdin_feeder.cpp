#include "app/stdin_feeder.hpp"

#include "actors/messages.hpp"

#include <poll.h>
#include <unistd.h>

#include <ostream>
#include <string>

namespace evstream {

namespace {

void offer(caf::scoped_actor& self, const caf::actor& block_source, std::size_t line_number, std::string line,
           std::ostream& report) {
  self->request(block_source, caf::infinite, ingest_atom::value, std::move(line))
      .receive(
          [&](const ingest_result& result) {
            if (result.result == ingest_result::outcome::invalid)
              report << "stdin line " << line_number << ": " << result.error.message << " (at "
                     << result.error.path << "); skipped\n";
            else if (result.result == ingest_result::outcome::duplicate)
              report << "stdin line " << line_number << ": block " << result.blockid
                     << " was already ingested; skipped\n";
            else if (result.result == ingest_result::outcome::unavailable)
              report << "stdin line " << line_number << ": " << result.error.message << "; skipped\n";
          },
          [&](const caf::error& error) {
            report << "stdin line " << line_number << ": " << self->system().render(error) << "\n";
          });
}

} // namespace

void feed_lines(caf::actor_system& system, caf::actor block_source, int fd, std::size_t max_line_bytes,
                const std::atomic<bool>& stop, std::ostream& report) {
  caf::scoped_actor self{system};
  std::string line;
  bool line_too_long = false;
  std::size_t line_number = 0;
  char chunk[64 * 1024];
  auto finish_line = [&] {
    ++line_number;
    if (line_too_long)
      report << "stdin line " << line_number << ": longer than " << max_line_bytes << " bytes; skipped\n";
    else if (line.find_first_not_of(" \t\r") != std::string::npos)
      offer(self, block_source, line_number, std::move(line), report);
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
