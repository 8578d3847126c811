// cnn/model/: a model (this file) and its text spec, the loss, evaluation metrics and the
// "not a digit" decision.
//
// A model: an input shape and a sequence of layers built from a spec, with the activations of the
// last forward pass kept for backward (and for showing feature maps).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/layers/layer.hpp"
#include "cnn/model/spec.hpp"

namespace cnn {

// One row of the Keras-style summary table.
struct LayerSummary {
    std::string name;  // "conv1"
    std::string spec;  // "conv 32 k4 same"
    Shape output;
    std::size_t params = 0;
};

class Model {
public:
    // Builds the model and initialises its parameters from `seed` (Keras defaults).
    static Model from_spec(const std::string& spec, std::uint64_t seed = 1);

    Model() = default;
    Model(Model&&) = default;
    Model& operator=(Model&&) = default;

    std::string spec() const;  // canonical
    const Shape& input_shape() const { return input_; }
    Shape output_shape() const;
    int classes() const { return int(output_shape().size()); }

    std::size_t layer_count() const { return layers_.size(); }
    Layer& layer(std::size_t i) { return *layers_[i]; }
    std::vector<LayerSummary> summary();

    // Every parameter tensor, in layer order (trainable and state).
    std::vector<ParamRef> params();
    std::size_t param_count();
    // All parameter values concatenated, and back: for restore-best and tests.
    std::vector<float> get_values();
    void set_values(const std::vector<float>& values);

    // Forward pass; returns the logits (n x classes). x must have the input shape.
    const Tensor& forward(const Tensor& x, const Context& ctx);
    // Backward pass from d(loss)/d(logits); fills every layer's parameter gradients.
    // Must follow a Train-mode forward.
    void backward(const Tensor& dlogits, const Context& ctx);
    // Output of layer i (after the last forward): activations for visualisation.
    const Tensor& activation(std::size_t i) const { return acts_.at(out_.at(i)); }

    // Class probabilities of n images (n * input size floats) into probs (n * classes), in
    // inference mode, chunked so that memory stays bounded.
    void predict(const float* images, int n, float* probs, ThreadPool* pool = nullptr);
    // The same for images given as a vector, returned as a vector; throws Error unless it holds
    // n >= 1 whole images (check_images).
    std::vector<float> predict(const std::vector<float>& images, int n, ThreadPool* pool = nullptr);
    // Throws Error unless `floats` values are n >= 1 images of the input shape.
    void check_images(std::size_t floats, int n) const;
    // Layer i, or Error "no layer i" for an index out of range (i from outside, e.g. the page).
    Layer& layer_at(int i);
    // Output of layer i for the first image of the last forward pass; throws Error for an index
    // out of range or before any forward pass.
    const Tensor& first_activation(int i) const;

private:
    Shape input_{28, 28, 1};
    std::vector<LayerPtr> layers_;
    std::vector<Tensor> acts_;   // acts_[0] = input copy, acts_[i+1] = output of layer i
    std::vector<Tensor> grads_;  // grads_[k] = d(loss)/d(acts_[k])
    // out_[i]: index in acts_ of layer i's output. A ReLU fused into the layer before it runs no
    // code of its own: its output is that layer's output (out_[i] == out_[i-1]).
    std::vector<std::size_t> out_;
    // fused_[i]: layer i runs no code of its own: a ReLU applied by layer i-1, or a skip (whose
    // output is its input: out_[i] == input_of(i)).
    std::vector<bool> fused_;
    // partner_[i]: for a skip, the index of its add; for an add, of its skip; kNone otherwise.
    static constexpr std::size_t kNone = std::size_t(-1);
    std::vector<std::size_t> partner_;
    std::size_t input_of(std::size_t i) const { return i == 0 ? 0 : out_[i - 1]; }
    // The building step that fuses each ReLU into the layer before it where that layer can apply
    // it (fused_, out_): the same arithmetic in fewer passes, for training and inference alike.
    // It also pairs each skip with its add (partner_).
    void fuse_relus();
};

}  // namespace cnn
