// cnn/layers/: the layer contract (this file) and every layer, one file each; the spec parser
// (cnn/model/spec.hpp) builds them by name.
//
// The layer contract, written once.
//
// A layer maps a batch x (n samples of input_shape) to a batch y (n samples of output_shape).
//  - build(input, rng) fixes the input shape, allocates parameters and initialises them
//    (Keras defaults: Glorot-uniform kernels, zero biases). Called once, before anything else.
//  - forward(x, y, ctx) resizes and fills y. In Mode::Train it may cache what backward needs
//    (im2col patches, argmax indices, dropout masks); in Mode::Infer it caches nothing useful.
//  - backward(x, y, dy, dx, ctx) must follow a Train forward on the same x. It ASSIGNS the
//    parameter gradients (they are not accumulated across calls) and, if dx is non-null,
//    resizes and assigns dx. The first layer of a model gets dx == nullptr.
//  - params() lists the layer's tensors. Each layer owns one contiguous value buffer and one
//    matching gradient buffer; ParamRefs point into them. Non-trainable state (e.g. running
//    statistics) is listed with trainable == false and no gradient.
#pragma once

#include <cstdint>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cnn/base/parallel.hpp"
#include "cnn/base/rng.hpp"
#include "cnn/base/tensor.hpp"

namespace cnn {

enum class Mode { Train, Infer };

// What forward/backward need besides tensors: mode, the RNG (dropout) and the thread pool.
struct Context {
    Mode mode = Mode::Infer;
    Rng* rng = nullptr;          // required in Mode::Train by stochastic layers
    ThreadPool* pool = nullptr;  // null: run on the calling thread
    // Mode::Train only: batch norm normalises with its moving statistics, as at inference, and
    // leaves them unchanged (gradients then flow through a fixed per-channel affine map). For
    // fine-tuning, where the batches are not like the data the statistics describe.
    bool frozen_statistics = false;
};

// A named parameter tensor of a layer (e.g. "conv1.kernel", shape {4, 4, 1, 32}).
struct ParamRef {
    std::string name;
    std::vector<int> shape;
    float* value = nullptr;
    float* grad = nullptr;  // null for non-trainable state
    std::size_t size = 0;
    bool trainable = true;
};

// Per sample, in 64 bits (size_t arithmetic would wrap on 32-bit wasm for a hostile spec):
// parameters, multiply-adds (or comparisons), and the largest scratch buffer (conv's im2col patches).
struct LayerCost {
    std::uint64_t params = 0, work = 0, scratch = 0;
};

class Layer {
public:
    virtual ~Layer() = default;

    // The layer's part of the model spec, e.g. "conv 32 k4 same".
    virtual std::string spec() const = 0;
    // Short type name used for parameter names and summaries, e.g. "conv", "dense".
    virtual std::string kind() const = 0;
    // Output shape for an input shape; throws SpecError if the input does not fit.
    virtual Shape output_shape(const Shape& input) const = 0;

    virtual void build(const Shape& input, Rng& rng) {
        input_ = input;
        (void)rng;
    }
    virtual void forward(const Tensor& x, Tensor& y, const Context& ctx) = 0;
    virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                          const Context& ctx) = 0;
    virtual std::vector<ParamRef> params() { return {}; }
    // What the layer costs per sample for an input shape, without allocating anything (so that
    // the spec parser refuses an absurd model before building it, and a weights file is checked
    // against its spec). Default: an elementwise layer, one operation per output value.
    virtual LayerCost cost(const Shape& input) const;

    // Whether the layer can apply a ReLU that follows it inside its own forward/backward (in the
    // GEMM epilogue, while the output is in cache). Model::from_spec fuses every such pair.
    virtual bool can_fuse_relu() const { return false; }
    // Applies the following ReLU from now on (only if can_fuse_relu()): forward outputs relu(z)
    // and backward takes the gradient with respect to that ReLU's output.
    virtual void fuse_relu() {}

    // Name given by the model ("conv1", "dense2", ...); prefixes the parameter names.
    void set_name(std::string name) { name_ = std::move(name); }
    const std::string& name() const { return name_; }
    const Shape& input_shape() const { return input_; }
    std::size_t param_count();

protected:
    std::string name_;
    Shape input_{};
};

using LayerPtr = std::unique_ptr<Layer>;

// Values in a shape, in 64 bits.
std::uint64_t elements(const Shape& s);

// Runs fn(task) over the pool if there is one, inline otherwise.
void run_tasks(const Context& ctx, int tasks, const std::function<void(int)>& fn);

// to = from's values as `n` samples of `shape` (to is resized; from must hold as many values): the
// passes of layers that move no values (flatten, a skip outside a model, the gradient of an add).
void copy_as(const Tensor& from, int n, const Shape& shape, Tensor& to);

}  // namespace cnn
