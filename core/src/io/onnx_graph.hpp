// An ONNX file decoded into plain structs (only the fields digit-cnn uses), and the encoder of the
// same structs. Private to the core: onnx_export.cpp builds these, onnx_import.cpp reads them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cnn::onnx {

// A tensor constant (initializer or attribute): float or integer values, row-major in dims.
struct Tensor {
    std::string name;
    std::vector<std::int64_t> dims;
    std::int64_t data_type = 0;
    std::vector<float> floats;        // FLOAT tensors
    std::vector<std::int64_t> ints;   // INT64 / INT32 / BOOL tensors
    std::size_t count() const;        // elements by dims
};

struct Attribute {
    std::string name;
    std::int64_t type = 0;
    float f = 0;
    std::int64_t i = 0;
    std::string s;
    std::vector<std::int64_t> ints;
    std::vector<float> floats;
    bool has_t = false;
    Tensor t;
};

struct Node {
    std::string name, op_type, domain;
    std::vector<std::string> inputs, outputs;
    std::vector<Attribute> attributes;
    const Attribute* find(const std::string& attr) const;
};

// A graph input or output: element type and dims (-1 where symbolic or unknown).
struct ValueInfo {
    std::string name;
    std::int64_t elem_type = 0;
    bool has_shape = false;
    std::vector<std::int64_t> dims;
    std::string batch_param;  // dim_param of the first dim, if any
};

struct Graph {
    std::string name;
    std::vector<Node> nodes;
    std::vector<Tensor> initializers;
    std::vector<ValueInfo> inputs, outputs;
};

struct ModelFile {
    std::int64_t ir_version = 0;
    std::int64_t opset = 0;  // of the default domain ("" or "ai.onnx"); 0 when not declared
    std::string producer_name, producer_version;
    Graph graph;
    std::map<std::string, std::string> metadata;
};

// Throws OnnxError for anything malformed, with the byte offset.
ModelFile parse_model(const std::uint8_t* data, std::size_t size);
std::vector<std::uint8_t> serialize_model(const ModelFile& m);

}  // namespace cnn::onnx
