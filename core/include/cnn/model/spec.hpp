// The model spec: a short text that describes a model and round-trips exactly.
//
//   input 28x28x1 | conv 32 k4 same | relu | maxpool 2 | conv 64 k2 same | relu | maxpool 2 |
//   flatten | dense 128 | relu | dropout 0.5 | dense 10
//
// Layers (one per '|'-separated item; optional parts in brackets, defaults as in Keras):
//   input HxWxC                      input shape (first item only; default 28x28x1)
//   conv F kK [sS] [same|valid]      Conv2D, F filters, KxK kernel, stride S (1), valid
//   maxpool P [sS] [same|valid]      MaxPool2D, PxP window, stride S (= P), valid
//   relu | flatten
//   dense N                          fully connected, N units
//   dropout R                        inverted dropout, rate 0 <= R < 1
//   batchnorm [M]                    batch normalisation over channels, moving-average momentum M (0.99)
//   gap                              global average pooling, HxWxC to C
//   skip ... add                     a residual connection: add adds the input of its skip to
//                                    its own input (pairs nest; the branch keeps the shape)
// spec_to_string(parse_spec(s)) is the canonical form of s.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/layers/layer.hpp"

namespace cnn {

// The report's Keras model: 411,626 parameters.
extern const char* const kSeedSpec;
// The improved default: three conv blocks with batch norm, trained with augmentation and a cosine
// schedule (weights/improved.json says how): 243,466 parameters, about 8 M multiply-adds per image.
extern const char* const kImprovedSpec;

// Limits that keep hostile specs (typed, or inside a downloaded weights file) from allocating
// absurd amounts of memory or running for hours. Counted in 64 bits, also on 32-bit wasm.
struct SpecLimits {
    std::size_t max_chars = 4096;
    int max_layers = 64;
    int max_dim = 4096;          // filters, units, input sides and channels
    int max_kernel = 32;         // kernel, pool size and stride
    std::uint64_t max_params = 64u << 20;
    std::uint64_t max_activation = 1u << 24;  // floats per sample: input, any output, conv patches
    std::uint64_t max_work = std::uint64_t(1) << 32;  // multiply-adds per sample (seed: 2.4 M)
};

struct ParsedSpec {
    Shape input{28, 28, 1};
    std::vector<LayerPtr> layers;
};

// Parses and shape-checks a spec; throws SpecError naming the offending item.
ParsedSpec parse_spec(const std::string& text, const SpecLimits& limits = {});
// Canonical text of an input shape and layers.
std::string spec_to_string(const Shape& input, const std::vector<LayerPtr>& layers);

}  // namespace cnn
