// Field numbers and enum values of the ONNX protobuf schema (onnx/onnx.proto, IR version 8, as
// shipped by Debian's libonnx-dev 1.12 in /usr/include/onnx/onnx.proto), for the messages and
// fields digit-cnn reads or writes. Private to the core.
#pragma once

#include <cstdint>

namespace cnn::onnx_schema {

namespace model {  // ModelProto
constexpr std::uint32_t ir_version = 1, producer_name = 2, producer_version = 3, domain = 4,
                        model_version = 5, doc_string = 6, graph = 7, opset_import = 8,
                        metadata_props = 14;
}
namespace opset {  // OperatorSetIdProto
constexpr std::uint32_t domain = 1, version = 2;
}
namespace entry {  // StringStringEntryProto
constexpr std::uint32_t key = 1, value = 2;
}
namespace graph {  // GraphProto
constexpr std::uint32_t node = 1, name = 2, initializer = 5, doc_string = 10, input = 11, output = 12,
                        value_info = 13;
}
namespace node {  // NodeProto
constexpr std::uint32_t input = 1, output = 2, name = 3, op_type = 4, attribute = 5, doc_string = 6,
                        domain = 7;
}
namespace attribute {  // AttributeProto
constexpr std::uint32_t name = 1, f = 2, i = 3, s = 4, t = 5, g = 6, floats = 7, ints = 8, strings = 9,
                        type = 20;
// AttributeProto.AttributeType
constexpr std::int64_t FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, GRAPH = 5, FLOATS = 6, INTS = 7;
}
namespace tensor {  // TensorProto
constexpr std::uint32_t dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7,
                        name = 8, raw_data = 9, double_data = 10, data_location = 14;
// TensorProto.DataType
constexpr std::int64_t FLOAT = 1, INT32 = 6, INT64 = 7, BOOL = 9, DOUBLE = 11;
// TensorProto.DataLocation
constexpr std::int64_t EXTERNAL = 1;
}
namespace value_info {  // ValueInfoProto
constexpr std::uint32_t name = 1, type = 2;
}
namespace type {  // TypeProto; its Tensor; TensorShapeProto and its Dimension
constexpr std::uint32_t tensor_type = 1;
constexpr std::uint32_t elem_type = 1, shape = 2;
constexpr std::uint32_t dim = 1;
constexpr std::uint32_t dim_value = 1, dim_param = 2;
}

}  // namespace cnn::onnx_schema
