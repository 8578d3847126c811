// Starting a training run from a trained model's weights ("warm start"): the whole network when
// the two specs are the same, or all of it but the new outputs when the last dense layer has grown
// (a ten-digit model becoming one with an eleventh "not a digit" output keeps what it has learnt
// of the ten digits and starts only the new output afresh).
#pragma once

#include <string>

#include "cnn/model/model.hpp"

namespace cnn {

// Copies `source`'s weights (batch norm statistics included) into `target`. The two must have the
// same input and the same layers, except that the last dense layer may have a different number of
// units: its shared outputs are copied and any further ones keep target's initialisation. Throws
// Error naming the first difference otherwise, before changing anything. Returns what was done,
// e.g. "all 159,730 weights" or "158,872 of 159,859 weights; outputs 11-11 of dense5 start fresh".
std::string warm_start(Model& target, Model& source);

}  // namespace cnn
