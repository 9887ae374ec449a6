// The command-line front end of evstream's commands (the server, `tail`,
// `scenario`): a table of typed options, each bound to a variable that holds
// its default, filled from the command line, the environment and INI files.
//
// Boost.Program_options splits the command line and the INI files; this table
// turns the text into values, with errors that name the option, the value and
// what was expected, and it keeps where each value came from for
// --dump-config. Precedence: command line, then environment, then the files
// (a later file over an earlier one), then the default.
#pragma once

#include "schema/result.hpp"

#include <caf/timespan.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evstream::cli {

// Where an option's value came from.
struct origin {
  enum kind_t { defaults, file, environment, command_line } kind = defaults;
  // "--port", "EVSTREAM_PORT" or "evstream.ini:3"; empty for a default.
  std::string where;
};

// One option. `read` sets the bound variable from text, or answers what the
// text should have been ("a port number (0-65535)"); `show` gives the value
// as text, one entry per value of a repeatable option.
struct option {
  std::string name;
  std::string group;
  std::string help;
  std::string value_name;
  bool flag = false;       // --name alone means true
  bool repeatable = false; // each occurrence adds a value
  bool secret = false;     // shown as <redacted>
  std::function<std::optional<std::string>(std::string_view)> read;
  std::function<void()> reset; // back to empty, before a repeatable option's values are read
  std::function<std::vector<std::string>()> show;
  bool action = false; // asks for something (--version), is no setting: not dumped
};

class option_table {
public:
  // Options added after this are listed under `title` in --help.
  option_table& group(std::string title);

  option_table& add(std::string name, std::string& target, std::string value_name, std::string help);
  option_table& add(std::string name, std::vector<std::string>& target, std::string value_name,
                    std::string help);
  option_table& add(std::string name, bool& target, std::string help);
  option_table& add(std::string name, std::uint16_t& target, std::string help);
  option_table& add(std::string name, std::optional<std::uint16_t>& target, std::string help);
  option_table& add(std::string name, std::size_t& target, std::string value_name, std::string help);
  option_table& add(std::string name, double& target, std::string value_name, std::string help);
  option_table& add(std::string name, caf::timespan& target, std::string help);

  // The last option added is a secret: --dump-config and logs show <redacted>.
  option_table& secret();
  // The last option added is an action (--version), not a setting.
  option_table& action();

  const std::vector<option>& options() const { return options_; }
  const option* find(std::string_view name) const;

private:
  option_table& push(option entry);

  std::vector<option> options_;
  std::string group_;
};

// What a command reads besides its arguments.
struct sources {
  std::vector<std::string> args; // after the command's name
  // The process environment as NAME=VALUE; read only with a prefix, and then
  // PREFIX_PORT sets --port and an unknown PREFIX_ name is an error.
  std::vector<std::string> environment;
  std::string environment_prefix;
  // The option naming INI files (repeatable), and the file read when it is
  // not given and the file exists; both empty: no files.
  std::string files_option;
  std::string default_file;
};

struct reading {
  std::vector<std::string> words;        // arguments that are not options
  std::map<std::string, origin> origins; // the options not at their default
  bool help = false;                     // --help: nothing else was read
};

// Fills the table's variables; or says, in one line, what is wrong. A
// command exits 2 on it.
result<reading, problem> read(const option_table& table, const sources& from);

// --help's option list, by group.
std::string describe(const option_table& table);

// One line per option and value, `name = value  # where it came from`, as an
// INI file would say it; secrets shown as <redacted>.
std::string dump(const option_table& table, const reading& read);

// The values as text, secrets redacted: for the startup log.
std::vector<std::pair<std::string, std::string>> effective(const option_table& table);

// The candidate nearest to `word`, if near enough to be a typo of it.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

// The process's environment, for sources::environment.
std::vector<std::string> process_environment();

// "180s", "3min", "500ms": a duration as read back.
std::string to_text(caf::timespan duration);

} // namespace evstream::cli
