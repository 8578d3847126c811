#include <memory>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/io/checkpoint.hpp"
#include "cnn/io/crc32.hpp"
#include "targets.hpp"

namespace cnn_fuzz {

namespace {

const char* const kSpec = "input 4x4x1 | conv 2 k2 | relu | flatten | dropout 0.25 | dense 3";

// A tiny deterministic run; checkpoints made with it (checkpoint_seed) pass the settings check,
// so that mutations of them reach everything behind it.
cnn::Dataset tiny_data(int n, int salt) {
    cnn::Dataset d;
    d.n = n;
    d.shape = {4, 4, 1};
    d.classes = 3;
    for (int i = 0; i < n * 16; ++i) d.images.push_back(float((i * 7 + salt) % 11) / 10.0f);
    for (int i = 0; i < n; ++i) d.labels.push_back(std::uint8_t((i + salt) % 3));
    return d;
}

cnn::TrainOptions tiny_options() {
    cnn::TrainOptions o;
    o.epochs = 4;
    o.batch_size = 4;
    o.patience = 2;
    o.seed = 3;
    return o;
}

void decode_and_resume(const std::uint8_t* data, std::size_t size) {
    cnn::Checkpoint ck;
    try {
        ck = cnn::decode_checkpoint(data, size);
    } catch (const cnn::CheckpointError&) {
        return;
    }
    // Accepted: it must round-trip exactly (any error from here on is a finding).
    const auto bytes = cnn::encode_checkpoint(ck.model, ck.state, ck.metadata);
    cnn::Checkpoint again = cnn::decode_checkpoint(bytes.data(), bytes.size());
    check(cnn::encode_checkpoint(again.model, again.state, again.metadata) == bytes, "checkpoint round-trips");

    // And resuming from it must either be refused cleanly or train on.
    const cnn::Dataset train = tiny_data(10, 0), val = tiny_data(4, 1);
    std::unique_ptr<cnn::Trainer> t;
    try {
        t = std::make_unique<cnn::Trainer>(ck.model, train, &val, tiny_options());  // e.g. another input shape
    } catch (const cnn::Error&) {
        return;
    }
    try {
        t->restore(ck.state);
    } catch (const cnn::CheckpointError&) {
        return;
    }
    try {
        t->run(3);
    } catch (const cnn::Error&) {
        // e.g. optimizer moments that do not fit the model, or divergence
    }
}

}  // namespace

std::vector<std::uint8_t> checkpoint_seed(int batches) {
    const cnn::Dataset train = tiny_data(10, 0), val = tiny_data(4, 1);
    cnn::Model m = cnn::Model::from_spec(kSpec, 2);
    cnn::Trainer t(m, train, &val, tiny_options());
    t.run(batches);
    return cnn::encode_checkpoint(m, t.state(), "{\"note\":\"fuzz seed\"}");
}

void checkpoint(const std::uint8_t* data, std::size_t size) {
    decode_and_resume(data, size);
    // As for weights files: a copy with the checksum repaired gets past it.
    if (size < 16) return;
    std::vector<std::uint8_t> fixed(data, data + size);
    const std::uint32_t crc = cnn::crc32(fixed.data(), size - 4);
    for (int i = 0; i < 4; ++i) fixed[size - 4 + i] = std::uint8_t(crc >> (8 * i));
    decode_and_resume(fixed.data(), fixed.size());
}

}  // namespace cnn_fuzz
