#include "cnn/model/loaded_model.hpp"

#include "cnn/base/error.hpp"
#include "cnn/io/model_file.hpp"

namespace cnn {

LoadedModel::LoadedModel(Model model) : model_(std::move(model)) {}

LoadedModel::LoadedModel(Model model, std::string metadata) : model_(std::move(model)) {
    set_metadata(std::move(metadata));
}

void LoadedModel::set_metadata(std::string metadata) {
    const InputPreprocessing input = input_preprocessing_from_metadata(metadata);
    const RejectRule rule = reject_rule_from_metadata(metadata);
    metadata_ = metadata.empty() ? "{}" : std::move(metadata);
    input_ = input;
    rule_ = rule;
}

void LoadedModel::prepare(Dataset& data) const { apply_input_preprocessing(input_, data); }

void LoadedModel::prepare(float* images, int n) const {
    const Shape& in = model_.input_shape();
    for (int i = 0; i < n; ++i) apply_input_preprocessing(input_, images + std::size_t(i) * in.size(), in.w, in.h);
}

Preprocessed LoadedModel::prepare(Preprocessed digit) const {
    if (!digit.empty) apply_input_preprocessing(input_, digit.pixels.data(), digit.size, digit.size);
    return digit;
}

const Dataset& LoadedModel::prepared(const Dataset& data, Dataset& scratch) const {
    if (input_ == InputPreprocessing::mnist) return data;
    scratch = data;
    prepare(scratch);
    return scratch;
}

Evaluation LoadedModel::evaluate(const Dataset& data, ThreadPool* pool) {
    Dataset scratch;
    return cnn::evaluate(model_, prepared(data, scratch), pool);
}

Answer LoadedModel::decide(const float* probabilities, int outputs) const {
    if (outputs != model_.classes())
        throw Error("decide: expected " + std::to_string(model_.classes()) + " probabilities, got " +
                    std::to_string(outputs));
    return decide_probabilities(probabilities, outputs, rule_);
}

Answer LoadedModel::decide(const float* probabilities, int outputs, const LoadedModel& gate,
                           const float* gate_probabilities, int gate_outputs) const {
    require_gate_model(gate);
    if (gate_outputs != gate.model_.classes())
        throw Error("decide: expected " + std::to_string(gate.model_.classes()) + " gate probabilities, got " +
                    std::to_string(gate_outputs));
    return apply_gate_probabilities(decide(probabilities, outputs), gate_probabilities, gate_outputs, gate.rule_);
}

LoadedModel decode_loaded_model(const std::uint8_t* data, std::size_t size) {
    std::string metadata;
    Model model = decode_model_file(data, size, &metadata);
    return LoadedModel(std::move(model), std::move(metadata));
}

void require_digit_model(const Model& model) {
    const Shape digit{28, 28, 1};
    if (model.input_shape() != digit || (model.classes() != 10 && model.classes() != 11))
        throw WeightsError("incompatible model: it takes " + model.input_shape().str() + " input and has " +
                           std::to_string(model.classes()) + " outputs, but digits need " + digit.str() +
                           " input and 10 outputs (or 11 with \"not a digit\")");
}

void require_gate_model(const LoadedModel& gate) {
    require_digit_model(gate.model());
    if (gate.model().classes() != 11)
        throw WeightsError("this model cannot be a \"not a digit\" gate: it has 10 outputs, a gate needs an eleventh, "
                           "\"not a digit\", trained with negatives (digit-cnn train --negatives)");
    if (!(gate.rule().not_digit > 0))
        throw WeightsError("this model cannot be a \"not a digit\" gate yet: its reject rule has no not-digit gate "
                           "(calibrate it: digit-cnn reject --weights W --calibrate --output W2)");
}

}  // namespace cnn
