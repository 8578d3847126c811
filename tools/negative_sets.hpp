// The negative sets: drawings that are not one digit (letters, symbols, scribbles and spirals,
// simple shapes, two digits side by side, a digit cut in half), made reproducibly from apt sources
// and MNIST, through the same preprocessing as a drawing on the page. Each has a validation and a
// test half like the robustness sets, and a training part for models with a "not a digit" output.
// Letters and symbols of the validation and test halves come from other fonts than the training
// part's, so a reject rate measures fonts the model has never seen.
#pragma once

#include <string>
#include <vector>

#include "robustness_sets.hpp"

namespace tools {

// Letters left out because they are digits too when handwritten: O and o (a zero), I and l (a one).
extern const std::string kDroppedLetters;

// Every negative set, in report order: letters-hershey, letters-fonts, symbols, scribbles, shapes,
// pairs, halves. Labels are all cnn::kNotDigitClass; groups name the letter, symbol or shape.
const std::vector<RobustnessSet>& negative_sets();

}  // namespace tools
