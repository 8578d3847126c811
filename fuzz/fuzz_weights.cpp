#include <cmath>
#include <string>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/io/crc32.hpp"
#include "cnn/io/weights_io.hpp"
#include "targets.hpp"

namespace cnn_fuzz {

namespace {

void decode_and_run(const std::uint8_t* data, std::size_t size) {
    std::string meta;
    cnn::Model m;
    try {
        m = cnn::decode_weights(data, size, &meta);
    } catch (const cnn::WeightsError&) {
        return;
    }
    // Accepted: it must round-trip exactly (any error from here on is a finding).
    const auto bytes = cnn::encode_weights(m, meta);
    std::string meta2;
    cnn::Model again = cnn::decode_weights(bytes.data(), bytes.size(), &meta2);
    check(again.spec() == m.spec(), "spec round-trips");
    check(again.get_values() == m.get_values(), "values round-trip");
    check(meta2 == meta, "metadata round-trips");

    // And it must run: one inference when that is cheap (the spec limits bound the rest).
    cnn::SpecLimits cheap;
    cheap.max_activation = 1 << 16;
    cheap.max_work = 1 << 22;
    try {
        cnn::parse_spec(m.spec(), cheap);
    } catch (const cnn::SpecError&) {
        return;
    }
    const int k = m.classes();
    std::vector<float> images(2 * m.input_shape().size());
    for (std::size_t i = 0; i < images.size(); ++i) images[i] = float(i % 7) / 6.0f;
    std::vector<float> probs(2 * std::size_t(k));
    try {
        m.predict(images.data(), 2, probs.data());
    } catch (const cnn::Error&) {
        return;  // weights that overflow: refused, never NaN probabilities (checked below)
    }
    for (int s = 0; s < 2; ++s) {
        double sum = 0;
        for (int j = 0; j < k; ++j) {
            const float p = probs[std::size_t(s) * k + j];
            check(std::isfinite(p) && p >= 0.0f && p <= 1.0f, "probabilities in [0, 1]");
            sum += p;
        }
        check(std::fabs(sum - 1.0) < 1e-3, "probabilities sum to 1");
    }
}

}  // namespace

void weights(const std::uint8_t* data, std::size_t size) {
    decode_and_run(data, size);
    // Nearly every mutation breaks the trailing CRC-32; a copy with the checksum repaired lets the
    // fuzzer reach everything the checksum guards.
    if (size < 16) return;
    std::vector<std::uint8_t> fixed(data, data + size);
    const std::uint32_t crc = cnn::crc32(fixed.data(), size - 4);
    for (int i = 0; i < 4; ++i) fixed[size - 4 + i] = std::uint8_t(crc >> (8 * i));
    decode_and_run(fixed.data(), fixed.size());
}

}  // namespace cnn_fuzz
