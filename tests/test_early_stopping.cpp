// Early stopping on val_loss (patience, restore-best), pinned on a run whose val_loss sequence is
// known in advance, with every epoch's weights compared bit for bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "cnn/training/trainer.hpp"

using namespace cnn;

namespace {

// Ten blank 1x1 images, seven labelled 0 and three 1. The dense kernel sees only zeros and never
// moves; the two biases follow full-batch SGD towards the 70/30 mix. A rate of 10 overshoots
// that optimum back and forth, so val_loss (on the same mix) goes down and up by large steps.
Dataset seventy_thirty() {
    const std::vector<std::uint8_t> pixels(10, 0), labels{0, 1, 0, 0, 1, 0, 0, 0, 1, 0};
    return make_dataset(10, {1, 1, 1}, pixels.data(), labels.data(), 2);
}

struct Run {
    History history;
    std::vector<std::vector<float>> at_epoch_end;  // the model's weights as each epoch ended
    std::vector<float> final;                      // after the run (restore-best applied)
};

Run train(int patience, bool restore_best, int epochs = 12) {
    const Dataset train = seventy_thirty(), val = seventy_thirty();
    Model m = Model::from_spec("input 1x1x1 | flatten | dense 2", 5);
    TrainOptions o;
    o.optimizer = "sgd";
    o.learning_rate = 10.0f;
    o.momentum = 0.2f;
    o.batch_size = 10;
    o.epochs = epochs;
    o.patience = patience;
    o.restore_best = restore_best;
    Run r;
    TrainCallbacks cb;
    cb.on_epoch = [&](const EpochStats&) { r.at_epoch_end.push_back(m.get_values()); };
    r.history = fit(m, train, &val, o, nullptr, cb);
    r.final = m.get_values();
    return r;
}

std::vector<double> val_losses(const History& h) {
    std::vector<double> v;
    for (const auto& e : h.epochs) v.push_back(e.val_loss);
    return v;
}

}  // namespace

TEST_CASE("early stopping restores the best epoch's weights, and patience restarts after an improvement") {
    // Without early stopping: the sequence this test is built on.
    const Run full = train(0, true, 12);
    const std::vector<double> v = val_losses(full.history);
    INFO("val_loss per epoch: " << Catch::Detail::stringify(v));
    REQUIRE(v.size() == 12);
    // Better, better, worse, best so far (epoch 4), worse, worse.
    REQUIRE(v[1] < v[0]);
    REQUIRE(v[2] > v[1]);
    REQUIRE(v[3] < v[1]);
    REQUIRE(v[4] > v[3]);
    REQUIRE(v[5] > v[3]);
    // Each epoch ended with other weights, so the comparisons below can tell them apart.
    for (std::size_t i = 0; i < 12; ++i)
        for (std::size_t j = i + 1; j < 12; ++j) REQUIRE(full.at_epoch_end[i] != full.at_epoch_end[j]);

    // Patience 2. Epoch 3 did not improve; had epoch 4 not restarted the count, epoch 5 would
    // have ended the run.
    const Run a = train(2, true);
    CHECK(a.history.epochs.size() == 6);
    CHECK(a.history.stopped_early);
    CHECK(a.history.best_epoch == 4);
    std::vector<bool> improved;
    for (const auto& e : a.history.epochs) improved.push_back(e.improved);
    CHECK(improved == std::vector<bool>{true, true, false, true, false, false});
    REQUIRE(a.at_epoch_end.size() == 6);
    CHECK(std::equal(a.at_epoch_end.begin(), a.at_epoch_end.end(), full.at_epoch_end.begin()));  // same run
    CHECK(a.final == a.at_epoch_end[3]);  // bit for bit: epoch 4's, not the first's or the last's

    // restore_best = false keeps the last epoch's weights.
    const Run b = train(2, false);
    CHECK(b.history.epochs.size() == 6);
    CHECK(b.history.best_epoch == 4);
    REQUIRE(b.at_epoch_end.size() == 6);
    CHECK(b.final == b.at_epoch_end[5]);

    // patience = 0 never stops early; restore-best still applies, to the best of all 12 epochs.
    CHECK(!full.history.stopped_early);
    const int best = int(std::min_element(v.begin(), v.end()) - v.begin()) + 1;
    CHECK(full.history.best_epoch == best);
    CHECK(full.final == full.at_epoch_end[std::size_t(best - 1)]);
    CHECK(best != 12);
    const Run d = train(0, false, 12);
    CHECK(d.history.epochs.size() == 12);
    CHECK(d.final == d.at_epoch_end.back());
}
