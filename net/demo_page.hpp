// GET /demo: the live page of net/demo_page.html, which subscribes to this
// node's valid_tx stream and shows what arrives, for someone trying evstream.
#pragma once

#include "net/beast.hpp"
#include "net/http_responses.hpp"
#include "net/server_context.hpp"

#include <string>

namespace evstream::net {

// The page, with the node's keep-alive timeout filled in (the page pings well
// within it), as text/html with a Content-Security-Policy; a HEAD gets the
// headers alone.
string_response demo_page_response(const http::request<http::string_body>& req,
                                   const server_settings& settings);

// The policy: nothing but the page's own inline script and style (by their
// SHA-256 hashes) and connections to this origin, plus the advertised URL's
// origin when there is one (discovery may send the page there).
std::string demo_page_policy(const std::string& advertised_url);

// What is wrong with net/demo_page.html for the policy and the keep-alive
// (a test holds it empty); empty when nothing.
std::string demo_page_defect();

} // namespace evstream::net
