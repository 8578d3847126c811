#include "cnn/io/model_file.hpp"

#include <cstring>

#include "cnn/base/error.hpp"
#include "cnn/io/onnx.hpp"
#include "cnn/io/weights_io.hpp"

namespace cnn {

Model decode_model_file(const std::uint8_t* data, std::size_t size, std::string* metadata) {
    if (size >= 7 && std::memcmp(data, "DCNNWTS", 7) == 0) return decode_weights(data, size, metadata);
    // ONNX files start with ModelProto.ir_version (field 1, a varint: tag byte 0x08); protobuf
    // writers emit fields in number order.
    if (size >= 1 && data[0] == 0x08) return decode_onnx(data, size, metadata);
    throw WeightsError(
        "not a digit-cnn weights file (bad magic bytes; expected \"DCNNWTS\") nor an ONNX model (which starts "
        "with its ir_version field)");
}

}  // namespace cnn
