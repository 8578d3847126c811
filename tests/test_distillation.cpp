// Distillation (TrainOptions::teachers, distill_weight): the teachers' predictions really steer
// the student, weight 0 changes nothing, results do not depend on the thread count, and a
// teacher that cannot serve is refused before training.
#include <catch2/catch.hpp>

#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/base/parallel.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/training/trainer.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {

constexpr const char* kSpec = "input 28x28x1 | conv 4 k3 | relu | maxpool 2 | flatten | dense 10";

TrainOptions options(int epochs) {
    TrainOptions o;
    o.epochs = epochs;
    o.batch_size = 10;
    o.seed = 7;
    o.validation_split = 0.0;
    o.patience = 0;
    o.learning_rate = 5e-3f;
    return o;
}

// A teacher that reads the bars right.
Model trained_teacher() {
    Model t = Model::from_spec(kSpec, 1);
    fit(t, cnn_test::column_bars(200), nullptr, options(4));
    REQUIRE(evaluate(t, cnn_test::column_bars(50)).accuracy > 0.95);
    return t;
}

}  // namespace

TEST_CASE("distillation: the teacher's predictions, not the labels, are learnt at weight 1") {
    Model teacher = trained_teacher();
    const Dataset wrong = cnn_test::column_bars(200, 3);  // every label wrong
    const Dataset truth = cnn_test::column_bars(50);

    Model plain = Model::from_spec(kSpec, 2);
    fit(plain, wrong, nullptr, options(4));
    CHECK(evaluate(plain, truth).accuracy < 0.1);  // it learnt the wrong labels

    Model student = Model::from_spec(kSpec, 2);
    TrainOptions o = options(4);
    o.teachers = {&teacher};
    o.distill_weight = 1.0f;
    fit(student, wrong, nullptr, o);
    CHECK(evaluate(student, truth).accuracy > 0.9);  // it learnt what the teacher reads

    // Half and half: the labels and the teacher disagree on every image; the student ends between.
    Model half = Model::from_spec(kSpec, 2);
    o.distill_weight = 0.5f;
    fit(half, wrong, nullptr, o);
    const double agree = evaluate(half, truth).accuracy;
    INFO("accuracy against the teacher with weight 0.5: " << agree);
    CHECK(agree > evaluate(plain, truth).accuracy);
}

TEST_CASE("distillation: weight 0 is plain training, and threads do not change the result") {
    Model teacher = trained_teacher();
    const Dataset data = cnn_test::column_bars(100);

    Model a = Model::from_spec(kSpec, 4);
    fit(a, data, nullptr, options(2));
    Model b = Model::from_spec(kSpec, 4);
    TrainOptions zero = options(2);
    zero.teachers = {&teacher};
    zero.distill_weight = 0.0f;
    fit(b, data, nullptr, zero);
    CHECK(encode_weights(a, "{}") == encode_weights(b, "{}"));

    TrainOptions o = options(2);
    o.teachers = {&teacher, &teacher};
    o.distill_weight = 0.3f;
    o.augment_enabled = true;
    Model one = Model::from_spec(kSpec, 4);
    fit(one, data, nullptr, o);
    ThreadPool pool(2);
    Model two = Model::from_spec(kSpec, 4);
    fit(two, data, nullptr, o, &pool);
    CHECK(encode_weights(one, "{}") == encode_weights(two, "{}"));
    CHECK(encode_weights(one, "{}") != encode_weights(a, "{}"));
}

TEST_CASE("distillation: teachers that cannot serve are refused before training") {
    const Dataset data = cnn_test::column_bars(20);
    Model student = Model::from_spec(kSpec, 1);
    Model other = Model::from_spec(kSpec, 2);
    Model five = Model::from_spec("input 28x28x1 | flatten | dense 5", 1);
    Model small = Model::from_spec("input 14x14x1 | flatten | dense 10", 1);
    const auto refused = [&](std::vector<Model*> teachers, float weight) {
        TrainOptions o = options(1);
        o.teachers = std::move(teachers);
        o.distill_weight = weight;
        return o;
    };
    CHECK_THROWS_WITH(Trainer(student, data, nullptr, refused({}, 0.5f)),
                      "a distillation weight needs at least one teacher model");
    CHECK_THROWS_WITH(Trainer(student, data, nullptr, refused({&other}, 1.5f)),
                      "the distillation weight must be in [0, 1]");
    CHECK_THROWS_WITH(Trainer(student, data, nullptr, refused({&student}, 0.5f)),
                      "a teacher must be another model than the one trained");
    CHECK_THROWS_WITH(Trainer(student, data, nullptr, refused({&other, &five}, 0.5f)),
                      Catch::Contains("gives 5, but the model trained takes 28x28x1 and gives 10"));
    CHECK_THROWS_WITH(Trainer(student, data, nullptr, refused({&small}, 0.5f)),
                      Catch::Contains("takes 14x14x1"));
    CHECK_NOTHROW(Trainer(student, data, nullptr, refused({&other}, 0.5f)));
}
