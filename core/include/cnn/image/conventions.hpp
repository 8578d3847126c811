// Writing conventions MNIST barely has (it was written by American census staff and students):
// the slashed zero, the continental 1 with a long up-stroke, the crossed 7, the open-top 4, the 9
// with a straight stem and the 2 with a loop. The first three are made by editing the strokes of a
// real digit (adding the slash, the flag, the bar); the other three are drawn from stroke templates
// with a hand's variation. Used to measure how each is read and, the edits, as training examples.
#pragma once

#include <string>
#include <vector>

#include "cnn/base/rng.hpp"
#include "cnn/image/pen.hpp"

namespace cnn {

enum class Convention { SlashedZero, ContinentalOne, CrossedSeven, OpenFour, StraightNine, LoopedTwo };

constexpr int kConventionCount = 6;

// Every convention, in enum order.
const std::vector<Convention>& all_conventions();

// "slashed-0", "continental-1", "crossed-7", "open-4", "straight-9", "looped-2".
std::string convention_name(Convention c);

// The digit the convention writes.
int convention_digit(Convention c);

// True for the conventions made by editing a real digit's strokes (0, 1, 7).
bool convention_is_edit(Convention c);

// The strokes of a digit of convention_digit(c) (any frame, y down) with the convention's mark
// added at a random size and angle: a slash through the 0, a long flag on top of the 1 (sometimes a
// foot), a bar across the 7's stem. Throws Error for a template convention or no strokes.
std::vector<Stroke> add_convention_mark(const std::vector<Stroke>& digit, Convention c, Rng& rng);

// A template drawing of a template convention (open 4, straight 9, looped 2) in a unit box (y down),
// varied as a hand varies: slant, proportions, rotation, wobble of every control point. Throws Error
// for an edit convention.
std::vector<Stroke> convention_template(Convention c, Rng& rng);

// A digit (0-9) in the boxy seven-segment style of a calculator display, drawn by hand: corners
// moved a little, slant, proportions and rotation varied as in convention_template. In a unit box
// (y down), one or two strokes as a pen would draw them. Throws Error for a digit outside 0-9.
std::vector<Stroke> segment_digit(int digit, Rng& rng);

}  // namespace cnn
