# Writes the bytes of INPUT into OUTPUT, a C++ header defining the
# std::string_view NAME in namespace evstream::embedded:
#   cmake -DINPUT=page.html -DOUTPUT=page_html.hpp -DNAME=page_html -P embed_file.cmake
# As character literals rather than a raw string literal, so that no content
# can end the literal early.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," chars "${hex}")
# One line per 16 bytes, so that a compiler error points somewhere readable.
string(REPEAT "'[^']*'," 16 sixteen)
string(REGEX REPLACE "(${sixteen})" "\\1\n  " chars "${chars}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/embed_file.cmake; edit that file instead.\n"
  "#pragma once\n\n#include <string_view>\n\nnamespace evstream::embedded {\n\n"
  "inline constexpr char ${NAME}_bytes[] = {\n  ${chars}\n};\n"
  "inline constexpr std::string_view ${NAME}{${NAME}_bytes, sizeof ${NAME}_bytes};\n\n"
  "} // namespace evstream::embedded\n")
# Unchanged content keeps its timestamp: nothing that includes it recompiles.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
