// The Keras validation split: the last fraction of the data, before any shuffling, held out from
// training (never a gradient, never augmented) and used as it is for val_loss.
#include <catch2/catch.hpp>

#include <vector>

#include "cnn/model/metrics.hpp"
#include "cnn/training/trainer.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {

// 105 images of two pixels. The first 94 light only pixel 0 (label: is it bright?); the last 11,
// the Keras split of 10% (int(105 * 0.9) = 94), light pixel 1 too and carry label 1 whatever
// pixel 0 says. A dense layer's weights from pixel 1 get a non-zero gradient from those 11
// images only, so they move if and only if one of them is trained on.
Dataset poisoned_tail() {
    Rng rng(21);
    std::vector<std::uint8_t> pixels, labels;
    for (int i = 0; i < 105; ++i) {
        const auto p0 = std::uint8_t(20 + rng.below(236));
        pixels.push_back(p0);
        pixels.push_back(i < 94 ? 0 : 255);
        labels.push_back(i < 94 ? std::uint8_t(p0 > 127) : 1);
    }
    return make_dataset(105, {1, 2, 1}, pixels.data(), labels.data(), 2);
}

std::vector<float> images_of(const Dataset& d) {
    std::vector<float> v(std::size_t(d.n) * d.shape.size());
    d.copy_images(0, d.n, v.data());
    return v;
}

}  // namespace

TEST_CASE("the validation split is the last 10% of the data, as given, and never trained on") {
    const Dataset data = poisoned_tail();
    const Dataset tail = slice(data, 94, 11);
    const auto run = [&](double split, std::vector<double>* val_loss = nullptr,
                         std::vector<double>* tail_loss = nullptr) {
        Model m = Model::from_spec("input 1x2x1 | flatten | dense 2", 3);
        TrainOptions o;
        o.epochs = 3;
        o.batch_size = 8;
        o.patience = 0;
        o.validation_split = split;
        Trainer t(m, data, nullptr, o);
        if (split > 0) {
            REQUIRE(t.train_set().n == 94);
            REQUIRE(t.validation_set() != nullptr);
            CHECK(t.validation_set()->n == 11);
            CHECK(t.validation_set()->labels == tail.labels);
            CHECK(images_of(*t.validation_set()) == images_of(tail));
            CHECK(images_of(t.train_set()) == images_of(slice(data, 0, 94)));
        }
        TrainCallbacks cb;
        cb.on_epoch = [&](const EpochStats& s) {
            if (val_loss) val_loss->push_back(s.val_loss);
            if (tail_loss) tail_loss->push_back(evaluate(m, tail).loss);
        };
        const std::vector<float> before = m.get_values();
        while (!t.done()) t.run(1000, cb);
        return std::pair{before, m.get_values()};
    };
    // dense1.kernel is {in 2, out 2}, row-major: values 2 and 3 are pixel 1's weights; 4 and 5
    // the biases.
    std::vector<double> val_loss, tail_loss;
    const auto [before, after] = run(0.1, &val_loss, &tail_loss);
    REQUIRE(before.size() == 6);
    CHECK(after[2] == before[2]);  // bit for bit
    CHECK(after[3] == before[3]);
    CHECK(after[0] != before[0]);  // while the rest learnt
    CHECK(after[4] != before[4]);
    // val_loss is the loss of exactly those 11 images, as they are.
    REQUIRE(val_loss.size() == 3);
    CHECK(val_loss == tail_loss);

    // Control: trained on all 105 images, pixel 1's weights move.
    const auto [before_all, after_all] = run(0.0);
    CHECK(before_all == before);
    CHECK(after_all[2] != before_all[2]);
    CHECK(after_all[3] != before_all[3]);
}

TEST_CASE("augmentation distorts the training images only, never the validation split") {
    const Dataset data = cnn_test::synthetic_bars(200, 4, 3);
    const Dataset tail = slice(data, 180, 20);
    const auto run = [&](bool augment, std::vector<double>* val_loss, std::vector<double>* clean_loss) {
        Model m = Model::from_spec("input 12x12x1 | conv 4 k3 same | relu | maxpool 2 | flatten | dense 4", 2);
        TrainOptions o;
        o.epochs = 2;
        o.batch_size = 20;
        o.augment_enabled = augment;
        o.augment.shift = 2.0f;
        TrainCallbacks cb;
        cb.on_epoch = [&](const EpochStats& s) {
            val_loss->push_back(s.val_loss);
            clean_loss->push_back(evaluate(m, tail).loss);
        };
        fit(m, data, nullptr, o, nullptr, cb);
        return m.get_values();
    };
    std::vector<double> val_loss, clean_loss, plain_val, plain_clean;
    const std::vector<float> augmented = run(true, &val_loss, &clean_loss);
    const std::vector<float> plain = run(false, &plain_val, &plain_clean);
    CHECK(augmented != plain);  // the training images were distorted
    REQUIRE(val_loss.size() == 2);
    CHECK(val_loss == clean_loss);  // the validation images were not
    CHECK(plain_val == plain_clean);
}
