#include <string>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/io/onnx.hpp"
#include "targets.hpp"

namespace cnn_fuzz {

void onnx(const std::uint8_t* data, std::size_t size) {
    std::string meta;
    cnn::Model m;
    try {
        m = cnn::decode_onnx(data, size, &meta);
    } catch (const cnn::Error&) {
        return;
    }
    // Accepted: our export of it must import again (any error from here on is a finding) with the
    // same parameters, and a second export -> import must change nothing (a trailing flatten the
    // first export adds to make logits 2-D is the only layer an export may add).
    const auto bytes = cnn::encode_onnx(m, meta);
    std::string meta2;
    cnn::Model again = cnn::decode_onnx(bytes.data(), bytes.size(), &meta2);
    check(again.get_values() == m.get_values(), "values round-trip");
    check(meta2 == meta, "metadata round-trips");
    const auto bytes2 = cnn::encode_onnx(again, meta2);
    check(bytes2 == cnn::encode_onnx(again, meta2), "export is deterministic");
    cnn::Model third = cnn::decode_onnx(bytes2.data(), bytes2.size());
    check(third.spec() == again.spec(), "spec stable after one round trip");
    check(third.get_values() == again.get_values(), "values stable after one round trip");
}

}  // namespace cnn_fuzz
