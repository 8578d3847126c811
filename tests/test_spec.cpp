// Model specs: round trip, the seed model's parameter counts, and precise errors.
#include <catch2/catch.hpp>

#include "cnn/base/error.hpp"
#include "cnn/model/model.hpp"

using namespace cnn;

TEST_CASE("seed spec builds the report's model with 411,626 parameters") {
    Model m = Model::from_spec(kSeedSpec, 1);
    CHECK(m.param_count() == 411626);
    std::vector<std::size_t> counts;
    for (const auto& row : m.summary())
        if (row.params) counts.push_back(row.params);
    CHECK(counts == std::vector<std::size_t>{544, 8256, 401536, 1290});
    const auto rows = m.summary();
    CHECK(rows[0].output == Shape{28, 28, 32});
    CHECK(rows[2].output == Shape{14, 14, 32});
    CHECK(rows[5].output == Shape{7, 7, 64});
    CHECK(rows[6].output == Shape{1, 1, 3136});
    CHECK(m.classes() == 10);
}

TEST_CASE("each layer's cost counts the parameters it allocates, and ReLUs fuse only where they can") {
    const std::string spec =
        "input 20x20x3 | conv 8 k3 same | batchnorm | relu | maxpool 2 | conv 6 k2 s2 | relu | relu | gap | "
        "dropout 0.2 | flatten | dense 7 | relu | dense 4";
    const ParsedSpec parsed = parse_spec(spec);
    Shape in = parsed.input;
    std::vector<std::uint64_t> predicted;
    for (const auto& l : parsed.layers) {
        predicted.push_back(l->cost(in).params);
        in = l->output_shape(in);
    }
    Model m = Model::from_spec(spec, 1);
    const auto rows = m.summary();
    REQUIRE(rows.size() == predicted.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        INFO(rows[i].spec);
        CHECK(predicted[i] == rows[i].params);
    }
    CHECK(predicted[0] == (3 * 3 * 3 + 1) * 8);
    CHECK(predicted[1] == 4 * 8);
    // Fusing is a step of building the model: only conv and dense apply a ReLU that follows them,
    // and only one (the second of 'relu | relu' runs on its own), batchnorm never.
    CHECK(parsed.layers[0]->can_fuse_relu());
    CHECK_FALSE(parsed.layers[1]->can_fuse_relu());
    Tensor x(2, Shape{20, 20, 3});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 7) / 7.0f - 0.3f;
    m.forward(x, Context{});
    const auto same_as_previous = [&](std::size_t i) { return &m.activation(i) == &m.activation(i - 1); };
    CHECK_FALSE(same_as_previous(2));  // batchnorm | relu: separate
    CHECK(same_as_previous(5));        // conv | relu: fused
    CHECK_FALSE(same_as_previous(6));  // the second relu runs
    CHECK(same_as_previous(11));       // dense | relu: fused
}

TEST_CASE("spec round-trips to a canonical form") {
    const std::string canonical = kSeedSpec;
    CHECK(Model::from_spec(canonical).spec() == canonical);
    // Extra spaces, default input and explicit defaults normalise away.
    const std::string messy =
        "  conv 32 k4 s1 same|relu |maxpool 2 s2 valid| conv 64 k2 same | relu | maxpool 2 | flatten | "
        "dense 128 | relu | dropout 0.50 | dense 10 ";
    CHECK(Model::from_spec(messy).spec() == canonical);
    const std::string other = "input 32x32x3 | conv 8 k3 s2 | relu | maxpool 3 s2 same | flatten | dense 5";
    CHECK(Model::from_spec(other).spec() == other);
    CHECK(Model::from_spec(Model::from_spec(other).spec()).param_count() == Model::from_spec(other).param_count());
}

TEST_CASE("initialisation is seeded: Glorot-uniform kernels, zero biases") {
    Model a = Model::from_spec(kSeedSpec, 42), b = Model::from_spec(kSeedSpec, 42), c = Model::from_spec(kSeedSpec, 43);
    CHECK(a.get_values() == b.get_values());
    CHECK(a.get_values() != c.get_values());
    for (auto& p : a.params()) {
        if (p.name.find(".bias") != std::string::npos) {
            for (std::size_t i = 0; i < p.size; ++i) REQUIRE(p.value[i] == 0.0f);
        } else {
            // conv1 kernel: fan_in 16, fan_out 512 -> limit sqrt(6/528)
            const int fan_in = p.shape.size() == 4 ? p.shape[0] * p.shape[1] * p.shape[2] : p.shape[0];
            const int fan_out = p.shape.size() == 4 ? p.shape[0] * p.shape[1] * p.shape[3] : p.shape[1];
            const float limit = std::sqrt(6.0f / float(fan_in + fan_out));
            float lo = 1, hi = -1;
            for (std::size_t i = 0; i < p.size; ++i) {
                lo = std::min(lo, p.value[i]);
                hi = std::max(hi, p.value[i]);
            }
            INFO(p.name);
            CHECK(lo >= -limit);
            CHECK(hi <= limit);
            CHECK(hi > 0.8f * limit);  // actually spread over the range
            CHECK(lo < -0.8f * limit);
        }
    }
}

TEST_CASE("bad specs get errors that name the problem") {
    const auto message = [](const std::string& spec) {
        try {
            Model::from_spec(spec);
        } catch (const SpecError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(message("conv 32 k4 | flatten | dense 10 | softmax"), Catch::Contains("unknown layer type 'softmax'"));
    CHECK_THAT(message("conv 0 k3 | flatten | dense 10"), Catch::Contains("filters must be between 1"));
    CHECK_THAT(message("conv 8 k3 sideways"), Catch::Contains("unexpected word 'sideways'"));
    CHECK_THAT(message("conv 8 k40"), Catch::Contains("kernel size must be between 1 and 32"));
    CHECK_THAT(message("dense 10"), Catch::Contains("add 'flatten' before it"));
    CHECK_THAT(message("conv 8 k30 | flatten"), Catch::Contains("does not fit its input 28x28x1"));
    CHECK_THAT(message("dropout 1.5"), Catch::Contains("dropout rate must be in [0, 1)"));
    CHECK_THAT(message("dropout abc"), Catch::Contains("rate must be a number"));
    CHECK_THAT(message("relu | input 28x28x1"), Catch::Contains("'input' may only be the first item"));
    CHECK_THAT(message("input 28x28 | relu"), Catch::Contains("HxWxC"));
    CHECK_THAT(message(""), Catch::Contains("empty item"));
    CHECK_THAT(message("relu || relu"), Catch::Contains("empty item at position 2"));
    CHECK_THAT(message("conv 99999999999 k3"), Catch::Contains("filters must be between 1 and 4096, got 99999999999"));
    CHECK_THAT(message("conv -3 k3"), Catch::Contains("filters must be a positive integer, got '-3'"));
    CHECK_THAT(message("conv 0 k3"), Catch::Contains("filters must be between 1 and 4096, got 0"));
    std::string deep = "flatten";
    for (int i = 0; i < 100; ++i) deep += " | relu";
    CHECK_THAT(message(deep), Catch::Contains("at most 64 layers"));
    // Large but each dimension legal: refused by the parameter limit before any allocation.
    CHECK_THAT(message("input 512x512x1 | flatten | dense 4096 | dense 4096"), Catch::Contains("parameters"));
    CHECK_THAT(message(std::string(5000, ' ')), Catch::Contains("characters long"));
    // Residual connections pair up like brackets, and a branch keeps the shape.
    CHECK_THAT(message("conv 4 k3 same | add | flatten"), Catch::Contains("layer 2 'add': 'add' without a 'skip' before it"));
    CHECK_THAT(message("conv 4 k3 same | skip | relu | flatten"), Catch::Contains("layer 2 'skip': no 'add' closes it"));
    CHECK_THAT(message("skip | add"), Catch::Contains("the branch from the skip at item 1 is empty"));
    CHECK_THAT(message("conv 4 k3 same | skip | conv 8 k3 same | add"),
               Catch::Contains("adds a shortcut of shape 28x28x4 (from the skip at item 2) to an input of shape 28x28x8"));
    CHECK_THAT(message("skip | maxpool 2 | add"), Catch::Contains("to an input of shape 14x14x1"));
    CHECK_THAT(message("skip skip | relu | add"), Catch::Contains("takes no arguments; usage: skip"));
}

TEST_CASE("residual connections: canonical text, names, nesting, costs and the shortcut's activation") {
    const std::string spec = "input 8x8x2 | conv 4 k3 same | skip | skip | conv 4 k3 same | add | relu | conv 4 k1 | "
                             "add | maxpool 2 | flatten | dense 3";
    Model m = Model::from_spec("input 8x8x2|conv 4 k3 same|skip| skip |conv 4 k3 s1 same|add|relu|conv 4 k1 valid|add|"
                               "maxpool 2|flatten|dense 3");
    CHECK(m.spec() == spec);
    std::vector<std::string> names;
    for (const auto& row : m.summary()) names.push_back(row.name);
    CHECK(names == std::vector<std::string>{"conv1", "skip1", "skip2", "conv2", "add1", "relu1", "conv3", "add2",
                                            "maxpool1", "flatten1", "dense1"});
    const ParsedSpec parsed = parse_spec(spec);
    CHECK(parsed.layers[1]->cost({8, 8, 4}).work == 0);       // a skip computes nothing
    CHECK(parsed.layers[4]->cost({8, 8, 4}).work == 8 * 8 * 4);  // an add one sum per value
    CHECK(m.param_count() == Model::from_spec("input 8x8x2 | conv 4 k3 same | conv 4 k3 same | relu | conv 4 k1 | "
                                              "maxpool 2 | flatten | dense 3").param_count());
    Tensor x(2, m.input_shape());
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 5) / 5.0f - 0.4f;
    m.forward(x, Context{});
    // Both skips hand on conv1's output without copying it; each add makes a new tensor.
    CHECK(&m.activation(1) == &m.activation(0));
    CHECK(&m.activation(2) == &m.activation(0));
    CHECK(&m.activation(4) != &m.activation(3));
    for (std::size_t i = 0; i < m.activation(4).size(); ++i)
        REQUIRE(m.activation(4)[i] == m.activation(3)[i] + m.activation(0)[i]);
    // The outer add sums conv3's output and conv1's: the same shortcut, used a second time.
    for (std::size_t i = 0; i < m.activation(7).size(); ++i)
        REQUIRE(m.activation(7)[i] == m.activation(6)[i] + m.activation(0)[i]);
}
