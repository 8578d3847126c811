// Warm start (cnn::warm_start): a run started from a trained model's weights, whole or with a
// wider last dense layer (ten digits -> ten digits and "not a digit").
#include <catch2/catch.hpp>

#include "cnn/base/error.hpp"
#include "cnn/model/warm_start.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {

const std::string kBody = "input 12x12x1 | conv 6 k3 same | batchnorm | relu | maxpool 2 | flatten | dense 16 | relu | ";

Tensor random_batch(int n, std::uint64_t seed) {
    Tensor x(n, Shape{12, 12, 1});
    Rng rng(seed);
    cnn_test::fill_random(x, rng, 0.0f, 1.0f);
    return x;
}

std::vector<float> logits(Model& m, const Tensor& x) {
    Context ctx;
    ctx.mode = Mode::Infer;
    const Tensor& z = m.forward(x, ctx);
    return std::vector<float>(z.data(), z.data() + z.size());
}

}  // namespace

TEST_CASE("warm start with the same spec copies every weight") {
    Model a = Model::from_spec(kBody + "dense 4", 1), b = Model::from_spec(kBody + "dense 4", 2);
    REQUIRE(a.get_values() != b.get_values());
    REQUIRE(a.param_count() == 3624);
    CHECK(warm_start(b, a) == "all 3,624 weights");
    CHECK(b.get_values() == a.get_values());
}

TEST_CASE("warm start into a wider last layer keeps the shared outputs and starts the new one fresh") {
    Model ten = Model::from_spec(kBody + "dense 4", 1), eleven = Model::from_spec(kBody + "dense 5", 2);
    const std::vector<float> fresh = eleven.get_values();
    const std::string what = warm_start(eleven, ten);
    INFO(what);
    CHECK(what.find("outputs 5-5 of dense") != std::string::npos);
    CHECK(what.find("start fresh") != std::string::npos);
    const Tensor x = random_batch(3, 4);
    const std::vector<float> z4 = logits(ten, x), z5 = logits(eleven, x);
    for (int s = 0; s < 3; ++s)
        for (int j = 0; j < 4; ++j)  // the same sums, perhaps in another order
            CHECK(z5[std::size_t(s * 5 + j)] == Approx(z4[std::size_t(s * 4 + j)]).margin(1e-6));
    // The new output's weights are target's own initialisation.
    auto p = eleven.layer(eleven.layer_count() - 1).params();
    Model again = Model::from_spec(kBody + "dense 5", 2);
    auto q = again.layer(again.layer_count() - 1).params();
    for (int r = 0; r < 16; ++r) CHECK(p[0].value[r * 5 + 4] == q[0].value[r * 5 + 4]);
    CHECK(fresh.size() == eleven.get_values().size());
    // And back: a narrower last layer drops the extra outputs.
    Model four = Model::from_spec(kBody + "dense 4", 3);
    CHECK(warm_start(four, eleven).find("dropped") != std::string::npos);
    const std::vector<float> back = logits(four, x);
    for (std::size_t i = 0; i < z4.size(); ++i) CHECK(back[i] == Approx(z4[i]).margin(1e-6));
}

TEST_CASE("warm start between different networks is refused and changes nothing") {
    Model src = Model::from_spec(kBody + "dense 4", 1);
    Model wider = Model::from_spec("input 12x12x1 | conv 8 k3 same | batchnorm | relu | maxpool 2 | flatten | "
                                   "dense 16 | relu | dense 4", 2);
    const std::vector<float> before = wider.get_values();
    CHECK_THROWS_WITH(warm_start(wider, src), Catch::Contains("layer 1 is 'conv 8 k3 same' in one and 'conv 6 k3 same'"));
    CHECK(wider.get_values() == before);
    Model shorter = Model::from_spec("input 12x12x1 | conv 6 k3 same | relu | maxpool 2 | flatten | dense 4", 2);
    CHECK_THROWS_WITH(warm_start(shorter, src), Catch::Contains("layers"));
    Model other_input = Model::from_spec("input 14x14x1 | conv 6 k3 same | batchnorm | relu | maxpool 2 | flatten | "
                                         "dense 16 | relu | dense 4", 2);
    CHECK_THROWS_WITH(warm_start(other_input, src), Catch::Contains("the inputs differ"));
    // A hidden dense layer is not the last one: its width may not change.
    Model hidden = Model::from_spec(kBody.substr(0, kBody.find("dense 16")) + "dense 12 | relu | dense 4", 2);
    CHECK_THROWS_WITH(warm_start(hidden, src), Catch::Contains("'dense 12' in one and 'dense 16'"));
}
