#include "cnn/base/dataset.hpp"

#include <algorithm>
#include <cmath>

#include "cnn/base/error.hpp"

namespace cnn {

namespace {

// The one byte-to-float conversion of the project (make_dataset, copy_images).
inline float unit(std::uint8_t v) { return float(v) / 255.0f; }

void check_labels(const Dataset& d, int classes) {
    for (int i = 0; i < d.n; ++i)
        if (d.labels[i] >= classes)
            throw DataError("label " + std::to_string(d.labels[i]) + " of sample " + std::to_string(i) +
                            " is out of range for " + std::to_string(classes) + " classes");
}

}  // namespace

const float* Dataset::image(int i) const {
    if (holds_bytes()) throw Error("Dataset::image: the images are held as bytes (use copy_images)");
    return images.data() + std::size_t(i) * shape.size();
}

void Dataset::copy_images(int first, int count, float* out) const {
    const std::size_t begin = std::size_t(first) * shape.size(), size = std::size_t(count) * shape.size();
    if (holds_bytes())
        std::transform(pixels.begin() + std::ptrdiff_t(begin), pixels.begin() + std::ptrdiff_t(begin + size), out, unit);
    else
        std::copy_n(images.begin() + std::ptrdiff_t(begin), size, out);
}

Dataset make_dataset(int n, Shape shape, const std::uint8_t* pixels, const std::uint8_t* labels,
                     int classes) {
    Dataset d;
    d.n = n;
    d.shape = shape;
    d.images.resize(std::size_t(n) * shape.size());
    std::transform(pixels, pixels + d.images.size(), d.images.begin(), unit);
    d.labels.assign(labels, labels + n);
    d.classes = classes;
    check_labels(d, classes);
    return d;
}

Dataset make_byte_dataset(Shape shape, std::vector<std::uint8_t> pixels, std::vector<std::uint8_t> labels,
                          int classes) {
    if (pixels.size() != labels.size() * shape.size())
        throw DataError(std::to_string(labels.size()) + " labels need " + std::to_string(labels.size() * shape.size()) +
                        " bytes of " + shape.str() + " images, got " + std::to_string(pixels.size()));
    Dataset d;
    d.n = int(labels.size());
    d.shape = shape;
    d.pixels = std::move(pixels);
    d.labels = std::move(labels);
    d.classes = classes;
    check_labels(d, classes);
    return d;
}

Dataset slice(const Dataset& d, int begin, int count) {
    if (begin < 0 || count < 0 || begin + count > d.n)
        throw DataError("slice [" + std::to_string(begin) + ", " + std::to_string(begin + count) +
                        ") is outside a dataset of " + std::to_string(d.n) + " samples");
    Dataset s;
    s.n = count;
    s.shape = d.shape;
    s.classes = d.classes;
    const std::size_t sz = d.shape.size();
    const auto copy = [&](const auto& from, auto& to) {
        to.assign(from.begin() + std::ptrdiff_t(std::size_t(begin) * sz),
                  from.begin() + std::ptrdiff_t(std::size_t(begin + count) * sz));
    };
    if (d.holds_bytes())
        copy(d.pixels, s.pixels);
    else
        copy(d.images, s.images);
    s.labels.assign(d.labels.begin() + begin, d.labels.begin() + begin + count);
    return s;
}

Dataset concat(const Dataset& a, const Dataset& b) {
    if (a.shape != b.shape)
        throw DataError("cannot join images of " + a.shape.str() + " and " + b.shape.str());
    if (a.n > 0 && b.n > 0 && a.holds_bytes() != b.holds_bytes())
        throw DataError("cannot join data sets held as bytes and as floats");
    Dataset c = a.n > 0 ? a : b;
    c.classes = std::max(a.classes, b.classes);
    if (a.n == 0 || b.n == 0) return c;
    c.n = a.n + b.n;
    c.images.insert(c.images.end(), b.images.begin(), b.images.end());
    c.pixels.insert(c.pixels.end(), b.pixels.begin(), b.pixels.end());
    c.labels.insert(c.labels.end(), b.labels.begin(), b.labels.end());
    return c;
}

std::pair<Dataset, Dataset> split_validation(const Dataset& d, double fraction) {
    if (!(fraction >= 0.0 && fraction < 1.0))
        throw Error("validation split must be in [0, 1), got " + std::to_string(fraction));
    // Keras: split_at = int(n * (1 - validation_split)).
    const int train_n = int(double(d.n) * (1.0 - fraction));
    if (train_n < 1)
        throw Error("no training samples left after the validation split (" + std::to_string(d.n) +
                    " samples, validation split " + std::to_string(fraction) + ")");
    return {slice(d, 0, train_n), slice(d, train_n, d.n - train_n)};
}

std::pair<Dataset, Dataset> split_first(const Dataset& d, int size, double fraction) {
    if (size < 0 || size > d.n)
        throw Error("training set size must be between 1 and " + std::to_string(d.n) + " (0 = all), got " +
                    std::to_string(size));
    return split_validation(size == 0 ? d : slice(d, 0, size), fraction);
}

Dataset gather(const Dataset& d, const std::vector<int>& indices) {
    Dataset out = slice(d, 0, 0);
    const std::size_t sz = d.shape.size();
    const auto append = [&](const auto& from, auto& to, int i) {
        to.insert(to.end(), from.begin() + std::ptrdiff_t(std::size_t(i) * sz),
                  from.begin() + std::ptrdiff_t(std::size_t(i + 1) * sz));
    };
    for (int i : indices) {
        if (i < 0 || i >= d.n)
            throw Error("image " + std::to_string(i) + " is outside the set of " + std::to_string(d.n));
        if (d.holds_bytes())
            append(d.pixels, out.pixels, i);
        else
            append(d.images, out.images, i);
        out.labels.push_back(d.labels[std::size_t(i)]);
        ++out.n;
    }
    return out;
}

void gather_batch(const Dataset& d, const int* indices, int count, Tensor& x,
                  std::vector<std::uint8_t>& y) {
    x.resize(count, d.shape);
    y.resize(count);
    for (int i = 0; i < count; ++i) {
        d.copy_images(indices[i], 1, x.sample(i));
        y[i] = d.labels[indices[i]];
    }
}

}  // namespace cnn
