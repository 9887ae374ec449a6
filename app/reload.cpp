#include "app/reload.hpp"

#include "ops/log.hpp"

#include <boost/json/array.hpp>

#include <algorithm>

namespace evstream {

namespace {

void refuse(const std::string& why) {
  ops::log(ops::log_level::error, "reload_failed",
           {{"error", why}, {"detail", "the running values are kept"}});
}

// Options whose new value waits for a restart.
boost::json::array needing_restart(settings before, settings after) {
  static const std::vector<std::string> reloadable{"tls-cert",          "tls-key",   "ingest-token",
                                                   "ingest-token-file", "log-level", "config-file"};
  auto old_values = cli::effective(options_of(before));
  auto new_values = cli::effective(options_of(after));
  boost::json::array names;
  for (std::size_t i = 0; i < old_values.size() && i < new_values.size(); ++i)
    if (old_values[i] != new_values[i]
        && std::find(reloadable.begin(), reloadable.end(), old_values[i].first) == reloadable.end())
      names.emplace_back(old_values[i].first);
  return names;
}

} // namespace

void reload(service& running, const std::vector<std::string>& args, const settings& at_start) {
  settings next;
  auto table = options_of(next);
  auto read = cli::read(table, sources_of(args));
  if (!read) return refuse(read.error().message);
  auto options = to_service_options(next);
  if (!options) return refuse(options.error());
  std::vector<std::string> changed;
  try {
    changed = running.reload({options->server.tls_cert_file, options->server.tls_key_file,
                              options->server.ingest_token, options->log_level});
  } catch (const std::exception& error) {
    return refuse(error.what());
  }
  boost::json::array names;
  for (const auto& name : changed)
    names.emplace_back(name);
  ops::log_lifecycle("reloaded",
                     {{"changed", std::move(names)}, {"needs_restart", needing_restart(at_start, next)}});
}

} // namespace evstream
