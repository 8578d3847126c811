// A model file of either format the page accepts, told apart by its first bytes: a digit-cnn
// weights file (magic "DCNNWTS") or an ONNX model (first byte 0x08, the tag of ir_version).
#pragma once

#include <cstdint>
#include <string>

#include "cnn/model/model.hpp"

namespace cnn {

// decode_weights or decode_onnx; metadata may be null. Anything else: WeightsError.
Model decode_model_file(const std::uint8_t* data, std::size_t size, std::string* metadata = nullptr);

}  // namespace cnn
