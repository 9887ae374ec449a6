#include "cli/options.hpp"

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>

#include <caf/config_value.hpp>
#include <caf/expected.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

extern char** environ;

namespace evstream::cli {

namespace po = boost::program_options;

namespace {

// What `read` answers about a value it refuses, after the quoted value.
std::string is_not(std::string_view what) { return "is not " + std::string{what}; }

template <class Unsigned>
std::optional<std::string> read_unsigned(std::string_view text, Unsigned& target, Unsigned max,
                                         std::string_view what) {
  Unsigned value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value > max)
    return is_not(what);
  target = value;
  return std::nullopt;
}

std::string show_double(double value) {
  char text[32];
  auto [end, error] = std::to_chars(text, text + sizeof text, value);
  return error == std::errc{} ? std::string{text, end} : std::to_string(value);
}

std::string trimmed(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t\r");
  return std::string{text.substr(first, last - first + 1)};
}

// Edit distance, for "did you mean": no library of ours suggests names.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> nearest(const option_table& table, std::string_view name) {
  std::vector<std::string> names;
  for (const auto& entry : table.options())
    names.push_back(entry.name);
  return closest(name, names);
}

std::string environment_name(std::string_view prefix, std::string_view option) {
  std::string name{prefix};
  for (char c : option)
    name += (c == '-' || c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// One occurrence of an option in one source.
struct occurrence {
  const option* entry;
  std::string value;
  origin from;
  std::string label; // how an error names it: "--port", "EVSTREAM_PORT", "evstream.ini:3: port"
};

po::options_description parsing_description(const option_table& table) {
  po::options_description description;
  for (const auto& entry : table.options()) {
    auto* semantic = po::value<std::string>();
    if (entry.flag) semantic->implicit_value("true");
    description.add_options()(entry.name.c_str(), semantic, "");
  }
  description.add_options()("help", po::bool_switch(), "");
  return description;
}

std::string suggestion(const option_table& table, std::string_view name, std::string_view shown_prefix) {
  auto near = nearest(table, name);
  return near ? " (did you mean " + std::string{shown_prefix} + *near + "?)" : "";
}

result<std::vector<occurrence>, problem>
from_command_line(const option_table& table, const std::vector<std::string>& args, reading& out) {
  namespace style = po::command_line_style;
  po::parsed_options parsed{nullptr};
  try {
    // Long options only, no abbreviations: a shortened or misspelt option is an error, never a guess.
    parsed = po::command_line_parser(args)
                 .options(parsing_description(table))
                 .style(style::allow_long | style::long_allow_adjacent | style::long_allow_next)
                 .allow_unregistered()
                 .run();
  } catch (const po::invalid_command_line_syntax& error) {
    auto name = error.get_option_name();
    switch (error.kind()) {
    case po::invalid_syntax::missing_parameter:
      return problem{name + " needs a value, e.g. " + name + "=VALUE"};
    case po::invalid_syntax::extra_parameter:
      return problem{name + " takes no value"};
    default:
      return problem{error.what()};
    }
  } catch (const po::error& error) {
    return problem{error.what()};
  }
  std::vector<occurrence> found;
  for (const auto& item : parsed.options) {
    if (item.position_key != -1) {
      out.words.push_back(item.value.empty() ? std::string{} : item.value.front());
      continue;
    }
    const auto& token = item.original_tokens.empty() ? item.string_key : item.original_tokens.front();
    if (item.unregistered || token.rfind("--", 0) != 0)
      return problem{"unknown option " + token.substr(0, token.find('='))
                     + suggestion(table, item.string_key, "--")};
    if (item.string_key == "help") {
      out.help = true;
      continue;
    }
    const auto* entry = table.find(item.string_key);
    occurrence seen{entry,
                    item.value.empty() ? "true" : item.value.front(),
                    {origin::command_line, "--" + entry->name},
                    "--" + entry->name};
    found.push_back(std::move(seen));
  }
  for (const auto& word : out.words)
    if (word.size() > 1 && word.front() == '-')
      return problem{"unknown option " + word + " (options are --name=value)"};
  return found;
}

result<std::vector<occurrence>, problem> from_environment(const option_table& table, const sources& from) {
  std::vector<occurrence> found;
  if (from.environment_prefix.empty()) return found;
  for (const auto& variable : from.environment) {
    if (variable.rfind(from.environment_prefix, 0) != 0) continue;
    auto equals = variable.find('=');
    if (equals == std::string::npos) continue;
    auto name = variable.substr(0, equals);
    const option* match = nullptr;
    for (const auto& entry : table.options())
      if (environment_name(from.environment_prefix, entry.name) == name) match = &entry;
    if (!match) {
      std::string as_option = name.substr(from.environment_prefix.size());
      std::transform(as_option.begin(), as_option.end(), as_option.begin(),
                     [](unsigned char c) { return c == '_' ? '-' : static_cast<char>(std::tolower(c)); });
      auto near = nearest(table, as_option);
      return problem{name + " is set, but names no option"
                     + (near ? " (did you mean " + environment_name(from.environment_prefix, *near) + "?)"
                             : std::string{})};
    }
    found.push_back({match, variable.substr(equals + 1), {origin::environment, name}, name});
  }
  return found;
}

// The file's name=value lines, in order, with their line numbers: Boost's
// parser reports neither line numbers nor which line is malformed, so the
// lines are found here (the same rules: '#' starts a comment, [section]
// prefixes the names after it).
struct ini_line {
  std::size_t number;
  std::string key; // with its section's prefix
  bool malformed;  // neither a section, nor name=value
};

std::vector<ini_line> ini_lines(const std::string& text) {
  std::vector<ini_line> lines;
  std::istringstream in{text};
  std::string line, section;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    auto content = trimmed(line.substr(0, line.find('#')));
    if (content.empty()) continue;
    if (content.front() == '[' && content.back() == ']') {
      section = trimmed(content.substr(1, content.size() - 2)) + ".";
      continue;
    }
    auto equals = content.find('=');
    lines.push_back({number,
                     equals == std::string::npos ? content : section + trimmed(content.substr(0, equals)),
                     equals == std::string::npos || equals == 0});
  }
  return lines;
}

result<std::vector<occurrence>, problem> from_file(const option_table& table, const std::string& path) {
  std::ifstream file{path};
  if (!file) return problem{"cannot read the config file \"" + path + "\": " + std::strerror(errno)};
  std::string text{std::istreambuf_iterator<char>{file}, std::istreambuf_iterator<char>{}};
  // ';' comments are the INI habit (and CAF's syntax, which evstream read
  // before); Boost's parser knows only '#'.
  std::string prepared;
  {
    std::istringstream in{text};
    std::string line;
    while (std::getline(in, line)) {
      auto content = trimmed(line);
      prepared += (!content.empty() && content.front() == ';') ? "" : line;
      prepared += '\n';
    }
  }
  auto lines = ini_lines(prepared);
  auto at = [&](std::size_t number) { return path + ":" + std::to_string(number); };
  po::parsed_options parsed{nullptr};
  try {
    std::istringstream in{prepared};
    parsed = po::parse_config_file(in, parsing_description(table), true);
  } catch (const po::error& error) {
    for (const auto& line : lines)
      if (line.malformed) return problem{at(line.number) + ": \"" + line.key + "\" is not name=value"};
    return problem{path + ": " + error.what()};
  }
  std::vector<occurrence> found;
  for (std::size_t i = 0; i < parsed.options.size(); ++i) {
    const auto& item = parsed.options[i];
    auto where = i < lines.size() ? at(lines[i].number) : path;
    auto key = item.string_key;
    // [global] was CAF's section for evstream's options; options may sit there or at the top.
    if (key.rfind("global.", 0) == 0) key.erase(0, 7);
    const auto* entry = table.find(key);
    if (!entry || key == "help")
      return problem{where + ": unknown option \"" + key + "\"" + suggestion(table, key, "")};
    auto value = item.value.empty() ? std::string{} : item.value.front();
    // Quoted strings, as CAF's INI syntax wrote them, mean the same unquoted.
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    found.push_back({entry, std::move(value), {origin::file, where}, where + ": " + entry->name});
  }
  return found;
}

// One source's occurrences, merged into `chosen`: a repeatable option's
// values replace those of a weaker source; any other option given twice in
// one source is an error.
result<void, problem> merge(std::map<const option*, std::vector<occurrence>>& chosen,
                            std::vector<occurrence> source) {
  std::map<const option*, std::vector<occurrence>> here;
  for (auto& seen : source) {
    auto& list = here[seen.entry];
    if (!list.empty() && !seen.entry->repeatable)
      return problem{seen.label + " is given twice (also as " + list.front().from.where + ")"};
    list.push_back(std::move(seen));
  }
  for (auto& [entry, list] : here)
    chosen[entry] = std::move(list);
  return {};
}

// An option of `name`, read by `read` and shown by `show`.
option value_option(std::string name, std::string help, std::string value_name,
                    std::function<std::optional<std::string>(std::string_view)> read,
                    std::function<std::vector<std::string>()> show) {
  option entry;
  entry.name = std::move(name);
  entry.help = std::move(help);
  entry.value_name = std::move(value_name);
  entry.read = std::move(read);
  entry.show = std::move(show);
  return entry;
}

} // namespace

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    auto d = distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

option_table& option_table::group(std::string title) {
  group_ = std::move(title);
  return *this;
}

option_table& option_table::push(option entry) {
  entry.group = group_;
  options_.push_back(std::move(entry));
  return *this;
}

option_table& option_table::secret() {
  options_.back().secret = true;
  return *this;
}

option_table& option_table::action() {
  options_.back().action = true;
  return *this;
}

const option* option_table::find(std::string_view name) const {
  for (const auto& entry : options_)
    if (entry.name == name) return &entry;
  return nullptr;
}

option_table& option_table::add(std::string name, std::string& target, std::string value_name,
                                std::string help) {
  return push(value_option(
      std::move(name), std::move(help), std::move(value_name),
      [&target](std::string_view text) -> std::optional<std::string> {
        target = std::string{text};
        return std::nullopt;
      },
      [&target] { return std::vector<std::string>{target}; }));
}

option_table& option_table::add(std::string name, std::vector<std::string>& target, std::string value_name,
                                std::string help) {
  auto entry = value_option(
      std::move(name), std::move(help), std::move(value_name),
      [&target](std::string_view text) -> std::optional<std::string> {
        target.emplace_back(text);
        return std::nullopt;
      },
      [&target] { return target; });
  entry.repeatable = true;
  entry.reset = [&target] { target.clear(); };
  return push(std::move(entry));
}

option_table& option_table::add(std::string name, bool& target, std::string help) {
  auto entry = value_option(
      std::move(name), std::move(help), {},
      [&target](std::string_view text) -> std::optional<std::string> {
        if (text == "true" || text == "yes" || text == "on" || text == "1")
          target = true;
        else if (text == "false" || text == "no" || text == "off" || text == "0")
          target = false;
        else
          return is_not("true or false");
        return std::nullopt;
      },
      [&target] { return std::vector<std::string>{target ? "true" : "false"}; });
  entry.flag = true;
  return push(std::move(entry));
}

option_table& option_table::add(std::string name, std::uint16_t& target, std::string help) {
  return push(value_option(
      std::move(name), std::move(help), "PORT",
      [&target](std::string_view text) {
        return read_unsigned<std::uint16_t>(text, target, 65535, "a port number (0-65535)");
      },
      [&target] { return std::vector<std::string>{std::to_string(target)}; }));
}

option_table& option_table::add(std::string name, std::optional<std::uint16_t>& target, std::string help) {
  return push(value_option(
      std::move(name), std::move(help), "PORT",
      [&target](std::string_view text) -> std::optional<std::string> {
        if (text.empty() || text == "off") {
          target.reset();
          return std::nullopt;
        }
        std::uint16_t port = 0;
        if (auto refused = read_unsigned<std::uint16_t>(text, port, 65535, "a port number (0-65535)"))
          return refused;
        target = port;
        return std::nullopt;
      },
      [&target] { return std::vector<std::string>{target ? std::to_string(*target) : "off"}; }));
}

option_table& option_table::add(std::string name, std::size_t& target, std::string value_name,
                                std::string help) {
  return push(value_option(
      std::move(name), std::move(help), std::move(value_name),
      [&target](std::string_view text) {
        constexpr auto most = std::numeric_limits<std::size_t>::max();
        return read_unsigned<std::size_t>(text, target, most,
                                          "a whole number (0 to " + std::to_string(most) + ")");
      },
      [&target] { return std::vector<std::string>{std::to_string(target)}; }));
}

option_table& option_table::add(std::string name, double& target, std::string value_name, std::string help) {
  return push(value_option(
      std::move(name), std::move(help), std::move(value_name),
      [&target](std::string_view text) -> std::optional<std::string> {
        double value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc{} || end != text.data() + text.size())
          return is_not("a number");
        target = value;
        return std::nullopt;
      },
      [&target] { return std::vector<std::string>{show_double(target)}; }));
}

option_table& option_table::add(std::string name, caf::timespan& target, std::string help) {
  return push(value_option(
      std::move(name), std::move(help), "DURATION",
      [&target](std::string_view text) -> std::optional<std::string> {
        if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos)
          return "needs a unit, e.g. " + std::string{text} + "s or 3min";
        // CAF's duration syntax, as its configuration read it: 180s, 3min, 500ms, 1h.
        auto value = caf::config_value::parse(std::string{text});
        const auto* duration = value ? caf::get_if<caf::timespan>(&*value) : nullptr;
        if (!duration || duration->count() < 0)
          return is_not("a duration such as 180s, 3min or 500ms (units h, min, s, ms, us, ns)");
        target = *duration;
        return std::nullopt;
      },
      [&target] { return std::vector<std::string>{to_text(target)}; }));
}

result<reading, problem> read(const option_table& table, const sources& from) {
  reading out;
  auto command_line = from_command_line(table, from.args, out);
  if (!command_line) return command_line.error();
  if (out.help) return out;
  auto environment = from_environment(table, from);
  if (!environment) return environment.error();

  // The files: those the command line names, else those the environment
  // names, else the default file if it exists. Every one is read.
  std::vector<std::string> files;
  if (!from.files_option.empty()) {
    for (const auto* source : {&*command_line, &*environment}) {
      for (const auto& seen : *source)
        if (seen.entry->name == from.files_option) files.push_back(seen.value);
      if (!files.empty()) break;
    }
    if (files.empty() && !from.default_file.empty() && std::ifstream{from.default_file})
      files.push_back(from.default_file);
  }

  std::map<const option*, std::vector<occurrence>> chosen;
  for (const auto& path : files) {
    auto in_file = from_file(table, path);
    if (!in_file) return in_file.error();
    // A later file wins, option by option.
    for (auto& seen : *in_file)
      if (seen.entry->name == from.files_option)
        return problem{seen.label + ": a config file cannot name another one"};
    if (auto merged = merge(chosen, std::move(*in_file)); !merged) return merged.error();
  }
  if (auto merged = merge(chosen, std::move(*environment)); !merged) return merged.error();
  if (auto merged = merge(chosen, std::move(*command_line)); !merged) return merged.error();

  for (const auto& entry : table.options()) {
    auto found = chosen.find(&entry);
    if (found == chosen.end()) continue;
    if (entry.reset) entry.reset();
    for (const auto& seen : found->second) {
      auto value = entry.flag && seen.value.empty() ? std::string{"true"} : seen.value;
      if (auto refused = entry.read(value))
        return problem{seen.label + ": " + (entry.secret ? std::string{"the value"} : "\"" + value + "\"")
                       + " " + *refused};
    }
    out.origins[entry.name] = found->second.back().from;
  }
  return out;
}

std::string describe(const option_table& table) {
  std::ostringstream text;
  std::vector<std::string> groups;
  for (const auto& entry : table.options())
    if (std::find(groups.begin(), groups.end(), entry.group) == groups.end()) groups.push_back(entry.group);
  for (const auto& group : groups) {
    po::options_description listed{group, 100, 50};
    for (const auto& entry : table.options()) {
      if (entry.group != group) continue;
      auto help = entry.help;
      auto shown = entry.show();
      if (!entry.flag && !entry.secret && !shown.empty() && !shown.front().empty() && !entry.repeatable)
        help += " (default " + shown.front() + ")";
      if (entry.flag)
        listed.add_options()(entry.name.c_str(), po::bool_switch(), help.c_str());
      else
        listed.add_options()(entry.name.c_str(), po::value<std::string>()->value_name(entry.value_name),
                             help.c_str());
    }
    text << listed << "\n";
  }
  return text.str();
}

std::string dump(const option_table& table, const reading& read) {
  std::ostringstream text;
  std::string group;
  for (const auto& entry : table.options()) {
    if (entry.action) continue;
    if (entry.group != group) {
      group = entry.group;
      text << "\n# " << group << "\n";
    }
    auto found = read.origins.find(entry.name);
    std::string where = found == read.origins.end() ? "default" : found->second.where;
    auto values = entry.show();
    if (values.empty()) values.emplace_back();
    for (const auto& value : values) {
      std::string line = entry.name + " = " + (entry.secret && !value.empty() ? "<redacted>" : value);
      if (line.size() < 48) line.resize(48, ' ');
      text << line << " # " << where << "\n";
    }
  }
  return text.str();
}

std::vector<std::pair<std::string, std::string>> effective(const option_table& table) {
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& entry : table.options()) {
    if (entry.action) continue;
    std::string joined;
    for (const auto& value : entry.show())
      joined += (joined.empty() ? "" : ", ") + value;
    if (entry.secret && !joined.empty()) joined = "<redacted>";
    values.emplace_back(entry.name, std::move(joined));
  }
  return values;
}

std::vector<std::string> process_environment() {
  std::vector<std::string> variables;
  for (char** variable = environ; variable && *variable; ++variable)
    variables.emplace_back(*variable);
  return variables;
}

std::string to_text(caf::timespan duration) {
  using namespace std::chrono;
  auto ns = duration.count();
  if (ns == 0) return "0s";
  const std::pair<std::int64_t, const char*> units[] = {{3600'000'000'000, "h"},
                                                        {60'000'000'000, "min"},
                                                        {1'000'000'000, "s"},
                                                        {1'000'000, "ms"},
                                                        {1'000, "us"}};
  for (const auto& [size, unit] : units)
    if (ns % size == 0) return std::to_string(ns / size) + unit;
  return std::to_string(ns) + "ns";
}

} // namespace evstream::cli
