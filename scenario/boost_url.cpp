// Boost.URL compiled into this library: Debian's Boost 1.81 ships its
// headers but no libboost_url.
#include <boost/url/src.hpp>
