// The negative sets: drawings that are not one digit (letters, symbols, scribbles and spirals,
// simple shapes, two digits side by side, a digit cut in half), made reproducibly from apt sources
// and MNIST, through the same preprocessing as a drawing on the page. Each has a validation and a
// test half like the robustness sets, and a training part for models with a "not a digit" output.
// Letters and symbols of the validation and test halves come from other fonts than the training
// part's, so a reject rate measures fonts the model has never seen.
#pragma once

#include <string>
#include <vector>

#include "cnn/base/parallel.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/model/reject.hpp"
#include "robustness_sets.hpp"

namespace tools {

// Letters left out because they are digits too when handwritten: O and o (a zero), I and l (a one).
extern const std::string kDroppedLetters;

// Every negative set, in report order: letters-hershey, letters-fonts, symbols, scribbles, shapes,
// pairs, halves. Labels are all cnn::kNotDigitClass; groups name the letter, symbol or shape.
const std::vector<RobustnessSet>& negative_sets();

// Digits drawn the way the letter and symbol negatives are (Hershey fonts, handwriting fonts), from
// the same split of fonts. A model learns them with the negatives, so that the way a drawing was
// made (a font's outline, a Hershey stroke) does not tell a digit from a letter. Not measured:
// training data only ("hershey-digits", "font-digits").
const std::vector<RobustnessSet>& contrast_digit_sets();

// `set` as `model` reads it, for answered_right: drawings that are not digits (digits false) are
// labelled with the model's "not a digit" class (its eleventh output), or 0 for a ten-output model,
// which has no label to score them with.
cnn::Evaluation evaluate_answers(cnn::Model& model, cnn::Dataset set, bool digits, cnn::ThreadPool* pool);

// The fraction of a set that a model answers right under `rule`, vetoed by a gate model when
// `gate` (its evaluation of the same set) is given (cnn::apply_gate): a digit accepted as its
// label, a drawing that is not one rejected. labels: the set's (digits only).
double answered_right(const cnn::Evaluation& ev, const cnn::RejectRule& rule, const std::vector<std::uint8_t>& labels,
                      bool digits, const cnn::Evaluation* gate = nullptr, const cnn::RejectRule* gate_rule = nullptr);

}  // namespace tools
