#include "cli/options.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace std::chrono_literals;

namespace {

// A command with a few options of each kind, read from `args`, `environment` and INI files.
struct command {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9984;
  caf::timespan timeout = 3min;
  std::size_t count = 10;
  bool insecure = false;
  std::string token;
  std::vector<std::string> origins;
  std::vector<std::string> files;
  evstream::cli::option_table table;

  command() {
    table.group("General")
        .add("config-file", files, "FILE", "INI files")
        .add("host", host, "ADDRESS", "address")
        .add("port", port, "port")
        .add("timeout", timeout, "timeout")
        .add("count", count, "COUNT", "count")
        .add("insecure", insecure, "no TLS")
        .add("token", token, "TOKEN", "token")
        .secret()
        .add("origin", origins, "ORIGIN", "origins");
  }

  evstream::result<evstream::cli::reading, evstream::problem>
  read(std::vector<std::string> args, std::vector<std::string> environment = {}) {
    return evstream::cli::read(table, {std::move(args), std::move(environment), "APP_", "config-file", ""});
  }

  std::string refusal(std::vector<std::string> args, std::vector<std::string> environment = {}) {
    auto result = read(std::move(args), std::move(environment));
    return result ? std::string{"(accepted)"} : result.error().message;
  }
};

// An INI file in the temporary directory, removed at the end of the test.
struct ini_file {
  std::filesystem::path path;
  ini_file(const std::string& name, const std::string& text)
      : path{std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".ini")} {
    std::ofstream{path} << text;
  }
  ~ini_file() { std::filesystem::remove(path); }
  std::string option() const { return "--config-file=" + path.string(); }
};

} // namespace

TEST_CASE("options are read as --name=value and as --name value") {
  command c;
  REQUIRE(c.read({"--port=7000", "--host", "0.0.0.0", "--timeout", "500ms", "--count=3", "--insecure"})
              .has_value());
  CHECK(c.port == 7000);
  CHECK(c.host == "0.0.0.0");
  CHECK(c.timeout == 500ms);
  CHECK(c.count == 3);
  CHECK(c.insecure);
  command explicit_false;
  REQUIRE(explicit_false.read({"--insecure=false"}).has_value());
  CHECK_FALSE(explicit_false.insecure);
}

TEST_CASE("a wrong value is named with its option, the value and what was expected") {
  command c;
  CHECK(c.refusal({"--port=abc"}) == "--port: \"abc\" is not a port number (0-65535)");
  CHECK(c.refusal({"--port", "65536"}) == "--port: \"65536\" is not a port number (0-65535)");
  CHECK(c.refusal({"--port=-1"}) == "--port: \"-1\" is not a port number (0-65535)");
  CHECK(c.refusal({"--timeout=180"}) == "--timeout: \"180\" needs a unit, e.g. 180s or 3min");
  CHECK(c.refusal({"--timeout=soon"})
        == "--timeout: \"soon\" is not a duration such as 180s, 3min or 500ms (units h, min, s, ms, us, ns)");
  CHECK(c.refusal({"--count=99999999999999999999"})
        == "--count: \"99999999999999999999\" is not a whole number (0 to 18446744073709551615)");
  CHECK(c.refusal({"--insecure=maybe"}) == "--insecure: \"maybe\" is not true or false");
  CHECK(c.refusal({"--port"}) == "--port needs a value, e.g. --port=VALUE");
  CHECK(c.refusal({"--port=1", "--port=2"}) == "--port is given twice (also as --port)");
}

TEST_CASE("an unknown option or a stray word is refused, with the nearest real option") {
  command c;
  CHECK(c.refusal({"--prot=9984"}) == "unknown option --prot (did you mean --port?)");
  CHECK(c.refusal({"--tiemout", "3s"}) == "unknown option --tiemout (did you mean --timeout?)");
  CHECK(c.refusal({"--zzzzzzzz=1"}) == "unknown option --zzzzzzzz");
  CHECK(c.refusal({"-p", "1"}) == "unknown option -p (options are --name=value)");
  // Options are never guessed from a prefix.
  CHECK(c.refusal({"--po=1"}).find("unknown option --po") == 0);
  auto words = c.read({"tial", "--port=1", "http://127.0.0.1:9984"});
  REQUIRE(words.has_value());
  CHECK(words->words == std::vector<std::string>{"tial", "http://127.0.0.1:9984"});
}

TEST_CASE("the environment sets options under the command's prefix, between the command line and the files") {
  ini_file file{"env", "port = 7000\nhost = 10.0.0.1\ncount = 5\n"};
  command c;
  REQUIRE(
      c.read({file.option(), "--count=7"}, {"APP_PORT=7001", "APP_COUNT=6", "PATH=/usr/bin"}).has_value());
  CHECK(c.host == "10.0.0.1"); // file
  CHECK(c.port == 7001);       // environment over file
  CHECK(c.count == 7);         // command line over environment
  CHECK(command{}.refusal({}, {"APP_PROT=1"})
        == "APP_PROT is set, but names no option (did you mean APP_PORT?)");
}

TEST_CASE("INI files: errors name the file and line, and a later file wins without dropping the earlier") {
  ini_file first{"first",
                 "; a comment in the INI habit\n# and one in Boost's\nport = 7000\nhost = \"10.0.0.1\"\n"};
  ini_file second{"second", "[global]\nport = 7001\n"};
  command c;
  auto read = c.read({first.option(), second.option()});
  REQUIRE(read.has_value());
  CHECK(c.port == 7001);       // the later file
  CHECK(c.host == "10.0.0.1"); // kept from the first, unquoted
  CHECK(read->origins.at("port").where == second.path.string() + ":2");
  CHECK(read->origins.at("host").where == first.path.string() + ":4");

  ini_file unknown{"unknown", "port = 7000\n\nprot = 7001\n"};
  CHECK(command{}.refusal({unknown.option()})
        == unknown.path.string() + ":3: unknown option \"prot\" (did you mean port?)");
  ini_file malformed{"malformed", "port = 7000\njust words\n"};
  CHECK(command{}.refusal({malformed.option()})
        == malformed.path.string() + ":2: \"just words\" is not name=value");
  ini_file wrong{"wrong", "\ntimeout = 180\n"};
  CHECK(command{}.refusal({wrong.option()})
        == wrong.path.string() + ":2: timeout: \"180\" needs a unit, e.g. 180s or 3min");
  ini_file twice{"twice", "port = 1\nport = 2\n"};
  CHECK(command{}.refusal({twice.option()})
        == twice.path.string() + ":2: port is given twice (also as " + twice.path.string() + ":1)");
  CHECK(command{}.refusal({"--config-file=/nonexistent/evstream.ini"})
        == "cannot read the config file \"/nonexistent/evstream.ini\": No such file or directory");
}

TEST_CASE("help stops reading; the dump shows origins and redacts secrets") {
  command help;
  auto read = help.read({"--help", "--port=1"});
  REQUIRE(read.has_value());
  CHECK(read->help);
  CHECK(help.port == 9984);

  command c;
  auto dumped = c.read({"--token=s3cret", "--origin=a", "--origin=b"}, {"APP_PORT=7001"});
  REQUIRE(dumped.has_value());
  auto text = evstream::cli::dump(c.table, *dumped);
  INFO(text);
  CHECK(text.find("s3cret") == std::string::npos);
  CHECK(text.find("token = <redacted>") != std::string::npos);
  CHECK(text.find("origin = a") != std::string::npos);
  CHECK(text.find("origin = b") != std::string::npos);
  CHECK(text.find("# APP_PORT\n") != std::string::npos);
  CHECK(text.find("# default\n") != std::string::npos);
}

TEST_CASE("durations read back as they are written") {
  CHECK(evstream::cli::to_text(3min) == "3min");
  CHECK(evstream::cli::to_text(90s) == "90s");
  CHECK(evstream::cli::to_text(1500ms) == "1500ms");
  CHECK(evstream::cli::to_text(50us) == "50us");
  CHECK(evstream::cli::to_text(1h) == "1h");
  CHECK(evstream::cli::to_text(0s) == "0s");
}
