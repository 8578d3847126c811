#include "cli_common.hpp"

#include <filesystem>
#include <iostream>
#include <system_error>

#include "cnn/base/error.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/onnx.hpp"
#include "cnn/io/weights_io.hpp"

namespace fs = std::filesystem;

namespace tools {

const char* const kTrainImages = "data/mnist/train-images-idx3-ubyte";
const char* const kTrainLabels = "data/mnist/train-labels-idx1-ubyte";
const char* const kTestImages = "data/mnist/t10k-images-idx3-ubyte";
const char* const kTestLabels = "data/mnist/t10k-labels-idx1-ubyte";

CLI::Option* add_threads_option(CLI::App* app, int& threads) {
    return app->add_option("--threads", threads, "Worker threads (results do not depend on it)")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
}

cnn::Dataset load_dataset(const std::string& images, const std::string& labels, int classes,
                          cnn::PixelStorage storage) {
    for (const auto& path : {images, labels}) {
        std::error_code ec;
        if (!fs::exists(path, ec))
            throw cnn::DataError("data file '" + path +
                                 "' does not exist (fetch MNIST with scripts/get-mnist.sh, run from the "
                                 "repository root, or pass the image and label paths)");
    }
    return cnn::load_idx_dataset(images, labels, classes, storage);
}

cnn::Model load_model(const std::string& path, std::string* metadata) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw cnn::Error("weights file '" + path + "' does not exist (train one with 'digit-cnn train')");
    if (fs::path(path).extension() == ".onnx") {
        const auto bytes = cnn::read_file(path);
        return cnn::decode_onnx(bytes.data(), bytes.size(), metadata);
    }
    return cnn::load_weights(path, metadata);
}

cnn::LoadedModel open_model(const std::string& path) {
    std::string metadata;
    cnn::Model model = load_model(path, &metadata);
    try {
        return cnn::LoadedModel(std::move(model), std::move(metadata));
    } catch (const cnn::Error& e) {
        throw cnn::Error("weights file '" + path + "': " + e.what());
    }
}

std::string sibling_path(const std::string& path, const std::string& suffix) {
    fs::path p(path);
    p.replace_extension();
    return p.string() + suffix;
}

void ensure_parent_directory(const std::string& path) {
    const fs::path parent = fs::path(path).parent_path();
    if (parent.empty()) return;
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw cnn::Error("cannot create directory '" + parent.string() + "': " + ec.message());
}

bool file_exists(const std::string& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

void warn(const std::string& message) { std::cerr << "digit-cnn: warning: " << message << std::endl; }

}  // namespace tools
