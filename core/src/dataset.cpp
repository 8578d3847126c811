#include "cnn/dataset.hpp"

#include <algorithm>
#include <cmath>

#include "cnn/error.hpp"

namespace cnn {

Dataset make_dataset(int n, Shape shape, const std::uint8_t* pixels, const std::uint8_t* labels,
                     int classes) {
    Dataset d;
    d.n = n;
    d.shape = shape;
    d.images.resize(std::size_t(n) * shape.size());
    for (std::size_t i = 0; i < d.images.size(); ++i) d.images[i] = float(pixels[i]) / 255.0f;
    d.labels.assign(labels, labels + n);
    for (int i = 0; i < n; ++i)
        if (d.labels[i] >= classes)
            throw DataError("label " + std::to_string(d.labels[i]) + " of sample " + std::to_string(i) +
                            " is out of range for " + std::to_string(classes) + " classes");
    return d;
}

Dataset slice(const Dataset& d, int begin, int count) {
    if (begin < 0 || count < 0 || begin + count > d.n)
        throw DataError("slice [" + std::to_string(begin) + ", " + std::to_string(begin + count) +
                        ") is outside a dataset of " + std::to_string(d.n) + " samples");
    Dataset s;
    s.n = count;
    s.shape = d.shape;
    const std::size_t sz = d.shape.size();
    s.images.assign(d.images.begin() + std::size_t(begin) * sz,
                    d.images.begin() + std::size_t(begin + count) * sz);
    s.labels.assign(d.labels.begin() + begin, d.labels.begin() + begin + count);
    return s;
}

std::pair<Dataset, Dataset> split_validation(const Dataset& d, double fraction) {
    if (!(fraction >= 0.0 && fraction < 1.0))
        throw Error("validation split must be in [0, 1), got " + std::to_string(fraction));
    // Keras: split_at = int(n * (1 - validation_split)).
    const int train_n = int(double(d.n) * (1.0 - fraction));
    return {slice(d, 0, train_n), slice(d, train_n, d.n - train_n)};
}

void gather_batch(const Dataset& d, const int* indices, int count, Tensor& x,
                  std::vector<std::uint8_t>& y) {
    x.resize(count, d.shape);
    y.resize(count);
    const std::size_t sz = d.shape.size();
    for (int i = 0; i < count; ++i) {
        const float* src = d.image(indices[i]);
        std::copy(src, src + sz, x.sample(i));
        y[i] = d.labels[indices[i]];
    }
}

}  // namespace cnn
