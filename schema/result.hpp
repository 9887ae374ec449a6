// "Parse or refuse": every reader of outside input (block JSON, a stream URL,
// a scenario file, a tail URL, an ingest request) returns its value or why
// it refused, as one type: Boost.System's result<T, E>, with E a type of ours
// that says why. result<void, E> is a check that passes or refuses.
//
//   auto parsed = parse_block(text);
//   if (!parsed) return refuse(parsed.error());
//   use(*parsed);
//
// value() throws what throw_exception_from_error makes of the error, which
// each error type that needs it defines next to itself; code that handles the
// refusal reads has_value(), operator* and error() instead.
#pragma once

#include <boost/system/result.hpp>

#include <string>

namespace evstream {

template <class T, class E>
using result = boost::system::result<T, E>;

// A refusal that is a sentence for a person and nothing more, where the value
// is itself a string (result<std::string, std::string> could not tell them
// apart); elsewhere std::string is that sentence.
struct problem {
  std::string message;
};

} // namespace evstream
