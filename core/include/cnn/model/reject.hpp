// "Not a digit": the decision whether a model's answer is a digit it knows, and the calibration
// behind it. A ten-output model rejects when its best digit is not probable enough; a model with
// an eleventh output (trained on negatives: letters, symbols, scribbles, shapes, pairs of digits)
// also rejects when that output's probability reaches a calibrated gate. Probabilities are the softmax of logits / temperature, the
// temperature fitted on validation data so that a confidence of p is right about p of the time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cnn {

// Index of the "not a digit" output in an eleven-output model.
constexpr int kNotDigitClass = 10;

// How a model's outputs become a decision.
struct RejectRule {
    float temperature = 1.0f;  // logits are divided by it before the softmax
    float threshold = 0.0f;    // smallest probability of the best digit that is accepted
    // Eleven-output models. 0: the eleventh output rejects when it is more probable than the best
    // digit, and `threshold` applies to the best digit's probability among all eleven outputs
    // (the rule of files calibrated before 2026-12-02). In (0, 1]: the eleventh output rejects
    // when its probability reaches this gate, and `threshold` applies to the best digit's share
    // of the ten digits, so that the gate alone sets how much "not a digit" it takes.
    float not_digit = 0.0f;
};

// The decision for one input.
struct Answer {
    bool is_digit = false;   // accepted as the digit `best`
    int best = 0;            // the most probable digit (0-9)
    int second = 1;          // the next most probable digit
    float best_p = 0;        // their probabilities under the rule's temperature
    float second_p = 0;
    float not_digit_p = 0;   // probability of the eleventh output (0 for ten-output models)
    std::vector<float> probabilities;  // every output's probability under the temperature
    std::vector<float> digit_probabilities;  // the ten digits' probabilities if it is a digit (sum 1)
};

// Decides for one row of logits of a 10- or 11-output model. Throws Error for another count, a
// non-finite logit or a rule with temperature <= 0 or a threshold outside [0, 1].
Answer decide(const float* logits, int outputs, const RejectRule& rule);

// decide() from probabilities (softmax at T = 1, as Model::predict gives them) instead of logits:
// log-probabilities are the logits up to a constant, which the softmax ignores. A probability of 0
// counts as 1e-30.
Answer decide_probabilities(const float* probabilities, int outputs, const RejectRule& rule);

// A second opinion on "not a digit": `reader` (decide()'s answer of the model that reads the digit,
// usually a ten-output model) is also rejected when an eleven-output gate model, trained with
// negatives, finds "not a digit" probable enough under its own rule (its temperature; rejected at
// or above its not-digit gate). The reader keeps the digit, the guesses and their probabilities; the
// answer's not_digit_p becomes the gate model's. So the model that reads digits best answers, and the
// one that knows non-digits only vetoes. Throws Error unless gate_outputs is 11, the gate's rule has
// a not-digit gate in (0, 1] and its outputs are finite.
Answer apply_gate(Answer reader, const float* gate_logits, int gate_outputs, const RejectRule& gate_rule);
// apply_gate() from the gate model's probabilities (softmax at T = 1, as Model::predict gives them).
Answer apply_gate_probabilities(Answer reader, const float* gate_probabilities, int gate_outputs,
                                const RejectRule& gate_rule);

// The temperature that minimises the mean negative log-likelihood of `labels` under
// softmax(logits / T) (n rows of `outputs` logits), searched over T in [0.05, 20]. Throws Error for
// empty or mismatched inputs or a label outside the outputs.
float fit_temperature(const std::vector<float>& logits, int outputs, const std::vector<std::uint8_t>& labels);

// Expected calibration error of the top-1 answer: samples binned by confidence (bins of equal
// width over [0, 1]), the weighted mean of |accuracy - mean confidence| per bin, under
// softmax(logits / temperature).
double expected_calibration_error(const std::vector<float>& logits, int outputs,
                                  const std::vector<std::uint8_t>& labels, float temperature = 1.0f,
                                  int bins = 15);

// The rule as the text a weights file's metadata keeps in its "reject" field:
// "temperature 1.2345 threshold 0.6 not-digit 0.8" (a string, so that core reads it without a JSON
// library; "not-digit" only when it is not 0).
std::string reject_rule_text(const RejectRule& rule);

// Parses reject_rule_text's format; throws Error naming the text if it is malformed or invalid.
RejectRule parse_reject_rule(const std::string& text);

// The rule in a weights file's metadata (its "reject" field), or the default (T = 1, threshold 0:
// only the eleventh output rejects) if there is none. Throws Error for an invalid "reject" field.
RejectRule reject_rule_from_metadata(const std::string& metadata);

}  // namespace cnn
