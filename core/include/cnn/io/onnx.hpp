// ONNX (https://onnx.ai) export and import of models.
//
// Export writes an opset-13 graph with a dynamic batch: input "image" {batch, H, W, C} (NHWC, as
// every model here takes it), a Transpose to NCHW for the convolutions, one node per layer named
// after it ("conv1", "relu1", ...), a Transpose back to NHWC before each flatten (so the dense
// kernels keep their row order), outputs "logits" and "probabilities" (Softmax). Parameters are
// initializers named as in the weights file ("conv1.kernel" in ONNX's OIHW order, "dense1.kernel"
// in our {in, out} order); the spec and the weights metadata travel as metadata_props. A skip
// makes no node (its tensor is kept, in NCHW); its add is an Add of that tensor and the branch's.
//
// Import accepts the chains those layers make, from our exporter or PyTorch's torch.onnx.export
// (tested with 1.13; other exporters untested): Conv (explicit pads, VALID or SAME_UPPER, or
// after a zero Pad, whose pads PyTorch computes in a small subgraph folded here), Relu, MaxPool,
// Flatten / Reshape to 2-D, Gemm or MatMul + Add, BatchNormalization, Dropout,
// GlobalAveragePool, Identity, Transpose between NCHW and NHWC, an Add of an earlier layer's
// output (a skip connection; shortcuts must nest like brackets) and a final Softmax. NCHW graphs
// become NHWC models; the first dense layer after a flatten of NCHW activations gets its kernel
// rows permuted to our flatten order. Anything else is refused with OnnxError naming the node and
// its op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/model/model.hpp"

namespace cnn {

constexpr std::int64_t kOnnxOpset = 13;

// The model as an ONNX file; metadata (the weights file's JSON) is kept in metadata_props.
std::vector<std::uint8_t> encode_onnx(Model& model, const std::string& metadata = "{}");

// Builds a model from an ONNX file. metadata (may be null) receives the JSON the exporter kept,
// or, for other producers, {"source": "onnx", "producer": ...}.
Model decode_onnx(const std::uint8_t* data, std::size_t size, std::string* metadata = nullptr);

}  // namespace cnn
