// Test helper for the ONNX cross-checks (tests/onnx/): runs a weights file on the first COUNT
// images of an IDX file, the way `digit-cnn predict --idx` feeds them (the model's input
// preprocessing applied), and writes what went in and what came out as raw little-endian float32:
//   PREFIX.input.f32 (COUNT x H x W x C), PREFIX.logits.f32 and PREFIX.probs.f32 (COUNT x classes).
#include <cstdio>
#include <exception>
#include <string>

#include "cnn/base/error.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/weights_io.hpp"

namespace {
void write_floats(const std::string& path, const float* v, std::size_t n) {
    cnn::write_file_atomic(path, reinterpret_cast<const std::uint8_t*>(v), n * sizeof(float));
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: onnx_logits WEIGHTS IDX_IMAGES COUNT OUT_PREFIX\n");
        return 2;
    }
    try {
        std::string metadata;
        cnn::Model model = cnn::load_weights(argv[1], &metadata);
        const auto bytes = cnn::maybe_gunzip(cnn::read_file(argv[2]), argv[2]);
        cnn::IdxImages images = cnn::parse_idx_images(bytes.data(), bytes.size(), argv[2]);
        const int count = std::stoi(argv[3]);
        if (count < 1 || count > images.count) throw cnn::Error("COUNT out of range");
        const cnn::InputPreprocessing pre = cnn::input_preprocessing_from_metadata(metadata);
        cnn::Tensor x(count, model.input_shape());
        const std::size_t side = std::size_t(images.rows) * images.cols;
        if (side != x.sample_size()) throw cnn::Error("image size does not match the model input");
        for (int i = 0; i < count; ++i) {
            for (std::size_t p = 0; p < side; ++p) x.sample(i)[p] = images.pixels[std::size_t(i) * side + p] / 255.0f;
            cnn::apply_input_preprocessing(pre, x.sample(i), images.cols, images.rows);
        }
        const std::string prefix = argv[4];
        write_floats(prefix + ".input.f32", x.data(), x.size());
        const cnn::Tensor& logits = model.forward(x, cnn::Context{});
        write_floats(prefix + ".logits.f32", logits.data(), logits.size());
        std::vector<float> probs(std::size_t(count) * model.classes());
        model.predict(x.data(), count, probs.data());
        write_floats(prefix + ".probs.f32", probs.data(), probs.size());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "onnx_logits: %s\n", e.what());
        return 1;
    }
    return 0;
}
