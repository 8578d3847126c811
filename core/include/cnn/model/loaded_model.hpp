// A model as the page and the CLI serve it: the network, the metadata stored with its weights, and
// what that metadata says about its inputs (the input preprocessing it was trained with) and its
// answers (the "not a digit" rule). Reading the metadata here, once, keeps the three in step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/image/preprocess.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/model/model.hpp"
#include "cnn/model/reject.hpp"

namespace cnn {

class LoadedModel {
public:
    // A fresh model with empty metadata ("{}": MNIST input, no reject threshold).
    explicit LoadedModel(Model model);
    // model and its metadata; throws Error if the metadata is malformed (see set_metadata).
    LoadedModel(Model model, std::string metadata);

    Model& model() { return model_; }
    const Model& model() const { return model_; }
    const std::string& metadata() const { return metadata_; }
    InputPreprocessing input() const { return input_; }
    const RejectRule& rule() const { return rule_; }

    // Replaces the metadata; its "preprocessing" and "reject" fields then apply. Throws Error (and
    // changes nothing) for metadata that is not a JSON object or has an unknown or invalid value:
    // guessing would feed the model inputs it never saw, or answer by a rule nobody set.
    void set_metadata(std::string metadata);

    // Images in MNIST form (IDX files, preprocess_digit's output) -> as this model takes them.
    void prepare(Dataset& data) const;
    void prepare(float* images, int n) const;
    Preprocessed prepare(Preprocessed digit) const;
    // `data` as this model takes it: `data` itself when the model needs nothing more, otherwise a
    // prepared copy kept in `scratch` (no copy of a large set for nothing).
    const Dataset& prepared(const Dataset& data, Dataset& scratch) const;

    // Evaluation on data in MNIST form (prepared on a copy when the model needs it).
    Evaluation evaluate(const Dataset& data, ThreadPool* pool = nullptr);

    // The decision for one image's probabilities (Model::predict's output) under the rule.
    Answer decide(const float* probabilities, int outputs) const;
    // The same, then vetoed by a gate model (require_gate_model) from its own probabilities for the
    // same drawing (gate_outputs of them), each model having read the drawing prepared its own way
    // (apply_gate). Throws Error for a row of the wrong length, as decide() does.
    Answer decide(const float* probabilities, int outputs, const LoadedModel& gate, const float* gate_probabilities,
                  int gate_outputs) const;

private:
    Model model_;
    std::string metadata_ = "{}";
    InputPreprocessing input_ = InputPreprocessing::mnist;
    RejectRule rule_;
};

// A weights or ONNX file's bytes (decode_model_file) with its metadata.
LoadedModel decode_loaded_model(const std::uint8_t* data, std::size_t size);

// Throws WeightsError unless `model` reads 28x28 grey digits into 10 outputs, or 11 with "not a
// digit": what the page, the robustness sets and the reject calibration need.
void require_digit_model(const Model& model);

// Throws WeightsError unless `gate` can veto another model's digits: a digit model with 11 outputs
// whose reject rule has a not-digit gate (see apply_gate).
void require_gate_model(const LoadedModel& gate);

}  // namespace cnn
