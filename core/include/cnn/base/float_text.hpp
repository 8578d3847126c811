// Floats as text that reads back exactly: for specs and settings that must round-trip.
#pragma once

#include <string>

namespace cnn {

// The shortest %g form (6 to 9 significant digits) that strtof reads back as exactly v:
// 0.1f -> "0.1", 0.9999999f -> "0.9999999" (plain %g would print "1").
std::string float_text(float v);

}  // namespace cnn
