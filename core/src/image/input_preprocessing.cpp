#include "cnn/image/input_preprocessing.hpp"

#include <algorithm>
#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/base/json_field.hpp"
#include "cnn/image/deskew.hpp"

namespace cnn {

const char* input_preprocessing_name(InputPreprocessing p) {
    switch (p) {
        case InputPreprocessing::mnist: return "mnist";
        case InputPreprocessing::mnist_deskew: return "mnist+deskew";
    }
    return "?";
}

InputPreprocessing parse_input_preprocessing(const std::string& name) {
    for (InputPreprocessing p : {InputPreprocessing::mnist, InputPreprocessing::mnist_deskew})
        if (name == input_preprocessing_name(p)) return p;
    throw Error("unknown input preprocessing '" + printable(name, 40) +
                "' (known: mnist, mnist+deskew); these weights need a newer digit-cnn or were edited");
}

InputPreprocessing input_preprocessing_from_metadata(const std::string& metadata) {
    const auto name = json_string_field(metadata, "preprocessing");
    return name ? parse_input_preprocessing(*name) : InputPreprocessing::mnist;
}

void apply_input_preprocessing(InputPreprocessing p, float* pixels, int width, int height) {
    if (p != InputPreprocessing::mnist_deskew) return;
    const std::vector<float> d = deskew(pixels, width, height);
    std::copy(d.begin(), d.end(), pixels);
}

void apply_input_preprocessing(const std::string& metadata, std::vector<float>& pixels) {
    const int side = int(std::lround(std::sqrt(double(pixels.size()))));
    if (side <= 0 || std::size_t(side) * side != pixels.size())
        throw Error("apply_input_preprocessing: " + std::to_string(pixels.size()) +
                    " pixels are not a square image");
    apply_input_preprocessing(input_preprocessing_from_metadata(metadata), pixels.data(), side, side);
}

void apply_input_preprocessing(InputPreprocessing p, Dataset& data) {
    if (p == InputPreprocessing::mnist) return;
    if (data.shape.c != 1)
        throw Error(std::string("input preprocessing '") + input_preprocessing_name(p) +
                    "' needs grayscale images; the data are " + data.shape.str());
    if (data.holds_bytes()) {  // the result is no longer bytes
        // Converted aside: copy_images reads the bytes only while `images` is empty.
        std::vector<float> floats(data.pixels.size());
        data.copy_images(0, data.n, floats.data());
        data.images = std::move(floats);
        data.pixels = {};
    }
    for (int i = 0; i < data.n; ++i)
        apply_input_preprocessing(p, data.images.data() + std::size_t(i) * data.shape.size(), data.shape.w,
                                  data.shape.h);
}

}  // namespace cnn
