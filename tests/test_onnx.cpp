// ONNX export and import (cnn/io/onnx.hpp): export -> import reproduces spec, weights (bit for bit)
// and metadata for every layer kind; refusals name the node and op; hostile bytes give errors.
// Agreement with other implementations (ONNX Runtime, PyTorch, the onnx checker) is checked by
// tests/onnx/*.sh.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>

#include "cnn/base/error.hpp"
#include "cnn/base/rng.hpp"
#include "cnn/io/model_file.hpp"
#include "cnn/io/onnx.hpp"
#include "cnn/io/weights_io.hpp"

using namespace cnn;

namespace {

std::string source_dir() {
    const char* root = std::getenv("CNN_SOURCE_DIR");
    return root ? root : CNN_SOURCE_DIR;
}

// Every parameter set to a distinct random value (so that a swapped or transposed tensor shows),
// batch-norm variances positive.
void randomise(Model& m, std::uint64_t seed) {
    Rng rng(seed);
    for (auto& p : m.params()) {
        const bool variance = p.name.find("moving_variance") != std::string::npos;
        for (std::size_t i = 0; i < p.size; ++i) p.value[i] = variance ? rng.uniform(0.1f, 2.0f) : rng.uniform(-1, 1);
    }
}

void require_same_model(Model& a, Model& b) {
    REQUIRE(a.spec() == b.spec());
    const auto va = a.get_values(), vb = b.get_values();
    REQUIRE(va.size() == vb.size());
    CHECK(std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)) == 0);
}

std::string import_error(const std::vector<std::uint8_t>& bytes) {
    try {
        decode_onnx(bytes.data(), bytes.size());
    } catch (const OnnxError& e) {
        return e.what();
    }
    return "no error";
}

void replace_bytes(std::vector<std::uint8_t>& b, const std::string& from, const std::string& to) {
    REQUIRE(from.size() == to.size());
    for (std::size_t i = 0; i + from.size() <= b.size(); ++i)
        if (std::memcmp(b.data() + i, from.data(), from.size()) == 0) {
            std::memcpy(b.data() + i, to.data(), to.size());
            return;
        }
    FAIL("bytes not found: " << from);
}

}  // namespace

TEST_CASE("ONNX export -> import reproduces the shipped models bit for bit, with metadata") {
    for (const char* name : {"seed", "improved", "robust"}) {
        SECTION(name) {
            std::string metadata;
            Model m = load_weights(source_dir() + "/weights/" + name + ".dcnn", &metadata);
            const auto bytes = encode_onnx(m, metadata);
            std::string back_metadata;
            Model back = decode_onnx(bytes.data(), bytes.size(), &back_metadata);
            require_same_model(m, back);
            CHECK(back_metadata == metadata);
            // and the weights files are identical too
            CHECK(encode_weights(m, metadata) == encode_weights(back, back_metadata));
        }
    }
}

TEST_CASE("ONNX round trip of every layer kind, padding and stride") {
    const char* specs[] = {
        ("input 28x28x1 | conv 8 k4 same | relu | maxpool 2 | conv 6 k2 same | relu | maxpool 2 | flatten | "
         "dense 16 | relu | dropout 0.25 | dense 10"),
        "input 12x10x3 | conv 5 k3 | relu | maxpool 3 s2 same | conv 4 k2 s2 same | batchnorm 0.9 | flatten | dense 7",
        "input 9x9x2 | conv 4 k5 s2 same | maxpool 2 s1 | batchnorm | relu | gap | dense 5 | batchnorm | relu | dense 3",
        "input 8x8x1 | flatten | dense 12 | relu | dropout 0.5 | dense 4",
        "input 7x7x1 | conv 3 k3 | flatten | dense 2",
        "input 6x6x4 | maxpool 2 same | conv 3 k1 | relu",
        // Skip connections: from the NHWC input, nested, one after another, in the dense part.
        "input 8x8x3 | skip | conv 3 k3 same | relu | add | conv 4 k3 same | skip | skip | conv 4 k1 | batchnorm | add | "
        "relu | conv 4 k3 same | add | skip | relu | conv 4 k1 | add | maxpool 2 | flatten | dense 6 | skip | dense 6 | "
        "relu | add | dense 3",
    };
    std::uint64_t seed = 1;
    for (const char* spec : specs) {
        INFO(spec);
        Model m = Model::from_spec(spec, seed);
        randomise(m, ++seed);
        const auto bytes = encode_onnx(m);
        Model back = decode_onnx(bytes.data(), bytes.size());
        require_same_model(m, back);
    }
}

TEST_CASE("ONNX import refuses unsupported ops, naming node and op, and corrupt files") {
    Model m = Model::from_spec("input 8x8x1 | conv 2 k3 same | relu | flatten | dense 3", 1);
    const auto good = encode_onnx(m);

    auto b = good;
    replace_bytes(b, "Relu", "Relv");
    CHECK(import_error(b) == "ONNX node 'relu1' (Relv): operator Relv is not supported (supported: Conv, Pad, Relu, "
                             "MaxPool, BatchNormalization, GlobalAveragePool, Flatten, Reshape, Gemm, MatMul, Add, "
                             "Dropout, Identity, Transpose, Softmax)");

    b = good;
    replace_bytes(b, "Flatten", "Flatxen");
    CHECK_THAT(import_error(b), Catch::Contains("'flatten1' (Flatxen): operator Flatxen is not supported"));

    const std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    CHECK_THAT(import_error(png), Catch::StartsWith("ONNX file is corrupt"));
    CHECK_THAT(import_error({}), Catch::StartsWith("not an ONNX model: no graph found"));

    // Every truncation is refused with an error, or (cut after the graph) still the same model.
    for (std::size_t n = 0; n < good.size(); n += 7) {
        INFO("first " << n << " bytes");
        try {
            Model back = decode_onnx(good.data(), n);
            require_same_model(m, back);
        } catch (const Error&) {
        }
    }
}

TEST_CASE("decode_model_file tells weights from ONNX by the first bytes") {
    Model m = Model::from_spec("input 8x8x1 | conv 2 k3 same | relu | flatten | dense 3", 1);
    const auto weights = encode_weights(m, "{}");
    const auto onnx = encode_onnx(m, "{}");
    Model a = decode_model_file(weights.data(), weights.size());
    Model b = decode_model_file(onnx.data(), onnx.size());
    require_same_model(a, b);
    const std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    CHECK_THROWS_WITH(decode_model_file(png.data(), png.size()),
                      Catch::StartsWith("not a digit-cnn weights file (bad magic bytes; expected \"DCNNWTS\") nor an "
                                        "ONNX model"));
}
