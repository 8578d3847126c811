// Constant folding of the small integer computations exporters leave in a graph (PyTorch 1.13
// computes the pads of F.pad with ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast on
// constants): such a node, with every input constant, becomes a constant itself. Private to the core.
#pragma once

#include <vector>

#include "io/onnx_graph.hpp"

namespace cnn::onnx {

// Computes node n from its (constant) inputs into out; returns false for ops it does not fold.
// Throws OnnxError for malformed nodes or results over a few thousand elements.
bool fold_constant(const Node& n, const std::vector<const Tensor*>& inputs, Tensor& out);

}  // namespace cnn::onnx
