#include "cnn/io/checkpoint.hpp"

#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/io/crc32.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/weights_io.hpp"
#include "io/byte_io.hpp"

namespace cnn {

namespace {

constexpr char kMagic[8] = {'D', 'C', 'N', 'N', 'C', 'K', 'P', 'T'};
constexpr std::uint32_t kMaxMetadataBytes = 1u << 20;
constexpr std::uint32_t kMaxSettings = 256;
constexpr std::uint32_t kMaxSettingBytes = 1u << 16;
// Adam keeps two moments per parameter: with the largest model the spec allows (64 M
// parameters) a checkpoint is about 1.6 GB.
constexpr std::size_t kMaxCheckpointBytes = std::size_t(1) << 31;

using Reader = ByteReader<CheckpointError>;

void require_finite(const std::vector<float>& v, const std::string& what) {
    for (std::size_t i = 0; i < v.size(); ++i)
        if (!std::isfinite(v[i]))
            throw CheckpointError(what + " holds a non-finite value (" + std::to_string(v[i]) + ") at index " +
                                  std::to_string(i));
}

}  // namespace

std::vector<std::uint8_t> encode_checkpoint(Model& model, const TrainerState& s, const std::string& metadata) {
    for (const auto& p : model.params())
        for (std::size_t i = 0; i < p.size; ++i)
            if (!std::isfinite(p.value[i]))
                throw CheckpointError("not saving a checkpoint: " + p.name + " holds a non-finite value (" +
                                      std::to_string(p.value[i]) + "); the previous checkpoint is kept");
    require_finite(s.progress.best_values, "not saving a checkpoint: the best weights");
    require_finite(s.progress.average_values, "not saving a checkpoint: the averaged weights");

    ByteWriter w;
    w.bytes(reinterpret_cast<const std::uint8_t*>(kMagic), 8);
    w.u32(kCheckpointVersion);
    const auto weights = encode_weights(model);
    w.u32(std::uint32_t(weights.size()));
    w.bytes(weights.data(), weights.size());
    w.str(metadata);
    w.u32(std::uint32_t(s.settings.size()));
    for (const auto& kv : s.settings) {
        w.str(kv.first);
        w.str(kv.second);
    }
    w.u32(std::uint32_t(s.progress.epoch));
    w.u32(std::uint32_t(s.progress.batch));
    w.u8(s.progress.in_epoch);
    w.u32(std::uint32_t(s.progress.order.size()));
    for (int i : s.progress.order) w.u32(std::uint32_t(i));
    for (std::uint64_t v : s.rng.s) w.u64(v);
    w.str(s.optimizer);
    w.f64(s.learning_rate);
    w.u32(std::uint32_t(s.optimizer_state.size()));
    for (double v : s.optimizer_state) w.f64(v);
    w.f64(s.progress.loss_sum);
    w.u64(std::uint64_t(s.progress.correct));
    w.u64(std::uint64_t(s.progress.seen));
    w.f64(s.epoch_seconds);
    w.u32(std::uint32_t(s.progress.history.epochs.size()));
    for (const EpochStats& e : s.progress.history.epochs) {
        w.u32(std::uint32_t(e.epoch));
        w.f64(e.loss);
        w.f64(e.accuracy);
        w.f64(e.val_loss);
        w.f64(e.val_accuracy);
        w.u8(e.has_validation);
        w.f64(e.seconds);
        w.f64(e.images_per_second);
        w.u8(e.improved);
    }
    w.u32(std::uint32_t(s.progress.history.best_epoch));
    w.u8(s.progress.history.stopped_early);
    w.u32(std::uint32_t(s.progress.best_values.size()));
    for (float v : s.progress.best_values) w.f32(v);
    w.f64(s.progress.best_val_loss);
    w.u32(std::uint32_t(s.progress.wait));
    // Added 2026-12-07 (weight averaging); files written before end here and still load.
    w.u32(std::uint32_t(s.progress.averaged));
    w.u32(std::uint32_t(s.progress.average_values.size()));
    for (float v : s.progress.average_values) w.f32(v);
    auto& out = w.data();
    w.u32(crc32(out.data(), out.size()));
    return std::move(out);
}

Checkpoint decode_checkpoint(const std::uint8_t* data, std::size_t size) {
    Reader r(data, size, "checkpoint");
    r.header(kMagic, kCheckpointVersion, "training checkpoint", "checkpoint");
    // The checksum first: a damaged file is reported as damaged, not as whatever it parses into.
    if (size < 16) r.need(16 - r.pos(), "checkpoint body");
    std::uint32_t crc_stored = 0;
    for (int i = 0; i < 4; ++i) crc_stored |= std::uint32_t(data[size - 4 + i]) << (8 * i);
    const std::uint32_t crc_actual = crc32(data, size - 4);
    if (crc_stored != crc_actual)
        throw CheckpointError("checkpoint checksum mismatch (stored " + std::to_string(crc_stored) + ", computed " +
                              std::to_string(crc_actual) + "): the file is corrupt or truncated");
    Reader body(data, size - 4, "checkpoint");
    body.take(12, "header");

    Checkpoint ck;
    const std::uint32_t weights_size = body.u32("weights length");
    const std::uint8_t* weights = body.take(weights_size, "weights");
    try {
        ck.model = decode_weights(weights, weights_size);
    } catch (const WeightsError& e) {
        throw CheckpointError(std::string("checkpoint holds unusable weights: ") + e.what());
    }
    ck.metadata = body.str("metadata", kMaxMetadataBytes);
    TrainerState& s = ck.state;
    const std::uint32_t settings = body.count("settings", 8);
    if (settings > kMaxSettings)
        throw CheckpointError("checkpoint declares " + std::to_string(settings) + " settings (corrupt file)");
    for (std::uint32_t i = 0; i < settings; ++i) {
        std::string key = body.str("setting name", kMaxSettingBytes);
        std::string value = body.str("setting value", kMaxSettingBytes);
        s.settings.emplace_back(std::move(key), std::move(value));
    }
    const std::uint32_t epoch = body.u32("epoch"), batch = body.u32("batch");
    if (epoch > (1u << 30) || batch > (1u << 30))
        throw CheckpointError("checkpoint declares epoch " + std::to_string(epoch) + ", batch " +
                              std::to_string(batch) + " (corrupt file)");
    s.progress.epoch = int(epoch);
    s.progress.batch = int(batch);
    s.progress.in_epoch = body.u8("epoch flag") != 0;
    const std::uint32_t order = body.count("sample indices", 4);
    s.progress.order.resize(order);
    for (auto& i : s.progress.order) {
        const std::uint32_t v = body.u32("sample index");
        if (v > (1u << 31) - 1)
            throw CheckpointError("checkpoint holds sample index " + std::to_string(v) + " (corrupt file)");
        i = int(v);
    }
    for (auto& v : s.rng.s) v = body.u64("random generator state");
    s.optimizer = body.str("optimizer name", 64);
    s.learning_rate = body.f64("learning rate");
    const std::uint32_t opt_values = body.count("optimizer state values", 8);
    s.optimizer_state.resize(opt_values);
    for (auto& v : s.optimizer_state) {
        v = body.f64("optimizer state");
        if (!std::isfinite(v)) throw CheckpointError("checkpoint's optimizer state holds a non-finite value");
    }
    s.progress.loss_sum = body.f64("running loss");
    const std::uint64_t correct = body.u64("running correct count"), seen = body.u64("running sample count");
    if (correct > (std::uint64_t(1) << 62) || seen > (std::uint64_t(1) << 62))
        throw CheckpointError("checkpoint holds impossible sample counts (corrupt file)");
    s.progress.correct = (long long)correct;
    s.progress.seen = (long long)seen;
    s.epoch_seconds = body.f64("epoch time");
    const std::uint32_t epochs = body.count("history epochs", 4 + 8 * 6 + 2);
    s.progress.history.epochs.resize(epochs);
    for (EpochStats& e : s.progress.history.epochs) {
        e.epoch = int(body.u32("history epoch") & 0x7fffffff);
        e.loss = body.f64("history loss");
        e.accuracy = body.f64("history accuracy");
        e.val_loss = body.f64("history val_loss");
        e.val_accuracy = body.f64("history val_accuracy");
        e.has_validation = body.u8("history validation flag") != 0;
        e.seconds = body.f64("history seconds");
        e.images_per_second = body.f64("history images per second");
        e.improved = body.u8("history improved flag") != 0;
    }
    s.progress.history.best_epoch = int(body.u32("best epoch") & 0x7fffffff);
    s.progress.history.stopped_early = body.u8("early stopping flag") != 0;
    const std::uint32_t best = body.count("best weights values", 4);
    s.progress.best_values.resize(best);
    for (auto& v : s.progress.best_values) v = body.f32("best weights");
    require_finite(s.progress.best_values, "checkpoint's best weights");
    if (!s.progress.best_values.empty() && s.progress.best_values.size() != ck.model.param_count())
        throw CheckpointError("checkpoint's best weights hold " + std::to_string(s.progress.best_values.size()) +
                              " values but its model has " + std::to_string(ck.model.param_count()));
    s.progress.best_val_loss = body.f64("best val_loss");
    s.progress.wait = int(body.u32("early stopping counter") & 0x7fffffff);
    if (body.pos() != body.size()) {  // the weight-averaging section (absent in older files)
        s.progress.averaged = int(body.u32("averaged epochs") & 0x7fffffff);
        const std::uint32_t averaged = body.count("averaged weights values", 4);
        s.progress.average_values.resize(averaged);
        for (auto& v : s.progress.average_values) v = body.f32("averaged weights");
        require_finite(s.progress.average_values, "checkpoint's averaged weights");
        if (!s.progress.average_values.empty() && s.progress.average_values.size() != ck.model.param_count())
            throw CheckpointError("checkpoint's averaged weights hold " +
                                  std::to_string(s.progress.average_values.size()) + " values but its model has " +
                                  std::to_string(ck.model.param_count()));
    }
    if (body.pos() != body.size())
        throw CheckpointError("checkpoint has " + std::to_string(body.size() - body.pos()) +
                              " unexpected bytes before its checksum");
    return ck;
}

void save_checkpoint(const std::string& path, Model& model, const TrainerState& state, const std::string& metadata) {
    const auto bytes = encode_checkpoint(model, state, metadata);
    write_file_atomic(path, bytes.data(), bytes.size());
}

Checkpoint load_checkpoint(const std::string& path) {
    const auto bytes = read_file(path, kMaxCheckpointBytes);
    try {
        return decode_checkpoint(bytes.data(), bytes.size());
    } catch (const CheckpointError& e) {
        throw CheckpointError("'" + path + "': " + e.what());
    }
}

}  // namespace cnn
