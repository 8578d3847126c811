// Residual (skip) connections in a chain of layers: "skip" marks where a shortcut starts and
// "add" adds the shortcut back, y = x + s, where s is the input of the matching skip:
//
//   ... | relu | skip | conv 48 k3 same | batchnorm | relu | conv 48 k3 same | batchnorm | add | relu | ...
//
// Pairs nest like brackets (each add closes the latest open skip); the spec parser checks that
// they pair up, that a branch has at least one layer and that the add's input has the skip's
// shape. The model wires them: a skip runs no code (its output is its input) and the gradient
// that reaches its add is added to the skip's on the way back.
#pragma once

#include "cnn/layers/layer.hpp"

namespace cnn {

class Skip : public Layer {
public:
    std::string spec() const override { return "skip"; }
    std::string kind() const override { return "skip"; }
    Shape output_shape(const Shape& input) const override { return input; }
    LayerCost cost(const Shape&) const override { return {}; }
    // The identity, for callers outside a model (a model never calls these: see above).
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;
};

class Add : public Layer {
public:
    std::string spec() const override { return "add"; }
    std::string kind() const override { return "add"; }
    Shape output_shape(const Shape& input) const override { return input; }
    // The shortcut to add in the next forward (the model sets it to its skip's activation; it
    // must have the input's shape and batch).
    void connect(const Tensor* shortcut) { shortcut_ = shortcut; }
    // y = x + shortcut; throws Error if not connected or of another shape.
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    // dx = dy (the shortcut's gradient is dy too: the model adds it at the skip).
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;

private:
    const Tensor* shortcut_ = nullptr;
};

}  // namespace cnn
