// Plays one scenario on a stage: carries out each step in order, prints a
// transcript line per step with the scenario clock, judges expectations, and
// on the first failure prints the step, what was expected and what happened.
#pragma once

#include "scenario/scenario.hpp"
#include "scenario/stage.hpp"

#include <cstdint>
#include <ostream>

namespace evstream::scenario {

// True when every step passed. `seed` seeds the demo chain that generates
// the scenario's blocks.
bool play(const scenario& scenario, stage& stage, std::uint64_t seed, std::ostream& transcript);

} // namespace evstream::scenario
