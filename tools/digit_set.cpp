#include "digit_set.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cnn/base/error.hpp"
#include "cnn/io/idx.hpp"

namespace tools {

void DigitSet::add(const cnn::Preprocessed& p, int label, int group_index) {
    if (p.empty || p.size != 28 || p.pixels.size() != 784)
        throw cnn::Error("internal: a generated digit (label " + std::to_string(label) + ") came out empty");
    images.insert(images.end(), p.pixels.begin(), p.pixels.end());
    labels.push_back(std::uint8_t(label));
    if (group_index >= 0) group.push_back(group_index);
}

int DigitSet::group_index(const std::string& name) {
    const auto it = std::find(groups.begin(), groups.end(), name);
    if (it != groups.end()) return int(it - groups.begin());
    groups.push_back(name);
    return int(groups.size()) - 1;
}

cnn::Dataset DigitSet::dataset() const {
    cnn::Dataset d;
    d.n = size();
    d.shape = {28, 28, 1};
    d.images = images;
    d.labels = labels;
    return d;
}

double DigitSet::mean_ink() const {
    double sum = 0;
    for (float v : images) sum += v;
    return images.empty() ? 0.0 : sum / double(images.size());
}

std::vector<std::string> write_digit_set(const DigitSet& set, const std::string& dir, const std::string& name) {
    std::filesystem::create_directories(dir);
    cnn::IdxImages idx;
    idx.count = set.size();
    idx.rows = idx.cols = 28;
    idx.pixels.reserve(set.images.size());
    for (float v : set.images) idx.pixels.push_back(std::uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255)));
    const std::string images = (std::filesystem::path(dir) / (name + "-images-idx3-ubyte")).string();
    const std::string labels = (std::filesystem::path(dir) / (name + "-labels-idx1-ubyte")).string();
    cnn::write_idx_images(images, idx);
    cnn::write_idx_labels(labels, set.labels);
    return {images, labels};
}

}  // namespace tools
