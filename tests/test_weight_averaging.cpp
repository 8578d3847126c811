// Weight averaging (TrainOptions::average_from): the run ends with the mean of its epoch-end
// weights, batch norm statistics recomputed as the mean of the batch statistics; a run resumed
// mid-average ends bit for bit like an uninterrupted one; bad combinations are refused.
#include <catch2/catch.hpp>

#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/io/checkpoint.hpp"
#include "cnn/io/crc32.hpp"
#include "cnn/layers/batchnorm.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/training/trainer.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {

const char* kPlainSpec = "input 12x12x1 | conv 6 k3 same | relu | maxpool 2 | flatten | dense 16 | relu | dense 4";
const char* kNormSpec =
    "input 12x12x1 | conv 6 k3 same | batchnorm | relu | maxpool 2 | flatten | dense 16 | relu | dropout 0.2 | dense 4";

TrainOptions averaging(int epochs, int from) {
    TrainOptions o;
    o.epochs = epochs;
    o.batch_size = 32;
    o.seed = 5;
    o.restore_best = false;
    o.average_from = from;
    return o;
}

}  // namespace

TEST_CASE("weight averaging ends with the mean of the epoch-end weights") {
    const Dataset train = cnn_test::synthetic_bars(300, 4, 1), val = cnn_test::synthetic_bars(80, 4, 2);
    Model m = Model::from_spec(kPlainSpec, 3);
    std::vector<std::vector<float>> ends;
    TrainCallbacks cb;
    cb.on_epoch = [&](const EpochStats&) { ends.push_back(m.get_values()); };
    Trainer t(m, train, &val, averaging(5, 3), nullptr);
    while (!t.done()) t.run(1000, cb);
    REQUIRE(ends.size() == 5);
    const std::vector<float> got = m.get_values();
    double worst = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double mean = (double(ends[2][i]) + ends[3][i] + ends[4][i]) / 3.0;
        worst = std::max(worst, std::abs(got[i] - mean));
    }
    INFO("largest difference from the mean of epochs 3-5: " << worst);
    CHECK(worst < 1e-6);
    CHECK(got != ends[4]);  // not simply the last epoch
    const AveragedModel& a = t.history().averaged;
    CHECK(a.first_epoch == 3);
    CHECK(a.last_epoch == 5);
    REQUIRE(a.has_validation);
    const Evaluation ev = evaluate(m, val);
    CHECK(a.val_loss == Approx(ev.loss).epsilon(1e-9));
    CHECK(a.val_accuracy == ev.accuracy);
}

TEST_CASE("recomputed batch norm statistics are the size-weighted mean of the batch statistics") {
    const Dataset data = cnn_test::synthetic_bars(10, 4, 3);
    Model m = Model::from_spec("input 12x12x1 | batchnorm 0.9 | flatten | dense 4", 2);
    const std::vector<float> dense_before = [&] {
        std::vector<float> v;
        for (const auto& p : m.layer(2).params()) v.insert(v.end(), p.value, p.value + p.size);
        return v;
    }();
    Rng rng(1);
    recompute_batchnorm_statistics(m, data, 4, nullptr, rng);  // batches of 4, 4 and 2
    double want_mean = 0, want_var = 0;
    std::vector<float> img(144);
    for (int b0 = 0; b0 < 10; b0 += 4) {
        const int count = std::min(4, 10 - b0);
        std::vector<double> x;
        for (int i = b0; i < b0 + count; ++i) {
            data.copy_images(i, 1, img.data());
            x.insert(x.end(), img.begin(), img.end());
        }
        double mean = 0;
        for (double v : x) mean += v;
        mean /= double(x.size());
        double ss = 0;
        for (double v : x) ss += (v - mean) * (v - mean);
        want_mean += count / 10.0 * mean;
        want_var += count / 10.0 * ss / double(x.size() - 1);
    }
    const auto p = m.layer(0).params();  // gamma, beta, moving mean, moving variance
    REQUIRE(p.size() == 4);
    CHECK(p[2].value[0] == Approx(want_mean).epsilon(1e-5));
    CHECK(p[3].value[0] == Approx(want_var).epsilon(1e-5));
    CHECK(p[0].value[0] == 1.0f);  // gamma and beta untouched
    CHECK(p[1].value[0] == 0.0f);
    std::vector<float> dense_after;
    for (const auto& q : m.layer(2).params()) dense_after.insert(dense_after.end(), q.value, q.value + q.size);
    CHECK(dense_after == dense_before);
    CHECK(m.spec().find("batchnorm 0.9") != std::string::npos);  // the layer's momentum is put back
}

TEST_CASE("a weight-averaged run resumed mid-average ends exactly like an uninterrupted one") {
    const Dataset train = cnn_test::synthetic_bars(200, 4, 7), val = cnn_test::synthetic_bars(40, 4, 8);
    const TrainOptions o = averaging(4, 2);  // 7 batches per epoch
    Model full = Model::from_spec(kNormSpec, 9);
    fit(full, train, &val, o);
    const std::string path = "/tmp/cnn_test_average.resume";
    for (int first : {3, 7, 10, 16, 27}) {
        INFO("stopped after " << first << " batches");
        {
            Model m = Model::from_spec(kNormSpec, 9);
            Trainer t(m, train, &val, o);
            t.run(first);
            REQUIRE_FALSE(t.done());
            save_checkpoint(path, m, t.state(), "{}");
        }
        Checkpoint ck = load_checkpoint(path);
        ThreadPool pool(2);
        Trainer t(ck.model, train, &val, o, &pool);
        t.restore(ck.state);
        while (!t.done()) t.run(5);
        CHECK(ck.model.get_values() == full.get_values());
        CHECK(t.history().averaged.last_epoch == 4);
    }
}

TEST_CASE("checkpoints written before weight averaging existed still load") {
    const Dataset train = cnn_test::synthetic_bars(100, 4, 7);
    Model m = Model::from_spec(kPlainSpec, 9);
    TrainOptions o;
    o.epochs = 2;
    o.batch_size = 10;
    Trainer t(m, train, nullptr, o);
    t.run(2);
    std::vector<std::uint8_t> bytes = encode_checkpoint(m, t.state(), "{}");
    // Drop the trailing section (two zero counts) and re-seal, as an older build wrote it.
    bytes.erase(bytes.end() - 12, bytes.end() - 4);
    const std::uint32_t crc = crc32(bytes.data(), bytes.size() - 4);
    for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + std::size_t(i)] = std::uint8_t(crc >> (8 * i));
    const Checkpoint ck = decode_checkpoint(bytes.data(), bytes.size());
    CHECK(ck.state.progress.averaged == 0);
    CHECK(ck.state.progress.average_values.empty());
    CHECK(ck.state.progress.batch == 2);
}

TEST_CASE("weight averaging that cannot work is refused before training") {
    const Dataset train = cnn_test::synthetic_bars(60, 4, 1);
    Model m = Model::from_spec(kPlainSpec, 1);
    TrainOptions o = averaging(3, 2);
    o.restore_best = true;
    CHECK_THROWS_WITH(Trainer(m, train, nullptr, o), Catch::Contains("--no-restore-best"));
    o = averaging(3, 4);
    CHECK_THROWS_WITH(Trainer(m, train, nullptr, o), Catch::Contains("from epoch 4 needs at least that many epochs"));
    o = averaging(3, -1);
    CHECK_THROWS_WITH(Trainer(m, train, nullptr, o), Catch::Contains("must not be negative"));
}
