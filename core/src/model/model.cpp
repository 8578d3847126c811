#include "cnn/model/model.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "cnn/base/error.hpp"
#include "cnn/layers/residual.hpp"
#include "cnn/model/loss.hpp"

namespace cnn {

Model Model::from_spec(const std::string& spec, std::uint64_t seed) {
    ParsedSpec parsed = parse_spec(spec);
    Model m;
    m.input_ = parsed.input;
    m.layers_ = std::move(parsed.layers);
    Rng rng(seed);
    std::map<std::string, int> counts;
    Shape shape = m.input_;
    for (auto& layer : m.layers_) {
        layer->set_name(layer->kind() + std::to_string(++counts[layer->kind()]));
        layer->build(shape, rng);
        shape = layer->output_shape(shape);
    }
    m.acts_.resize(m.layers_.size() + 1);
    m.grads_.resize(m.layers_.size() + 1);
    m.fuse_relus();
    return m;
}

void Model::fuse_relus() {
    fused_.assign(layers_.size(), false);
    out_.resize(layers_.size());
    partner_.assign(layers_.size(), kNone);
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
        if (i > 0 && !fused_[i - 1] && layers_[i]->kind() == "relu" && layers_[i - 1]->can_fuse_relu()) {
            layers_[i - 1]->fuse_relu();
            fused_[i] = true;
        }
        // A skip runs no code either: its output is its input.
        if (layers_[i]->kind() == "skip") {
            fused_[i] = true;
            open.push_back(i);
        }
        if (layers_[i]->kind() == "add") {
            // The spec parser has paired them; a model built some other way is checked here.
            if (open.empty()) throw Error("internal: an add without its skip");
            partner_[i] = open.back();
            partner_[open.back()] = i;
            open.pop_back();
        }
        // A layer that runs no code hands on its input tensor (a fused ReLU: its layer's output).
        out_[i] = fused_[i] ? input_of(i) : i + 1;
    }
}

std::string Model::spec() const { return spec_to_string(input_, layers_); }

Shape Model::output_shape() const {
    Shape s = input_;
    for (const auto& l : layers_) s = l->output_shape(s);
    return s;
}

std::vector<LayerSummary> Model::summary() {
    std::vector<LayerSummary> rows;
    Shape s = input_;
    for (auto& l : layers_) {
        s = l->output_shape(s);
        rows.push_back({l->name(), l->spec(), s, l->param_count()});
    }
    return rows;
}

std::vector<ParamRef> Model::params() {
    std::vector<ParamRef> all;
    for (auto& l : layers_)
        for (auto& p : l->params()) all.push_back(std::move(p));
    return all;
}

std::size_t Model::param_count() {
    std::size_t n = 0;
    for (auto& l : layers_) n += l->param_count();
    return n;
}

std::vector<float> Model::get_values() {
    std::vector<float> v;
    for (const auto& p : params()) v.insert(v.end(), p.value, p.value + p.size);
    return v;
}

void Model::set_values(const std::vector<float>& values) {
    std::size_t offset = 0;
    const auto ps = params();
    std::size_t total = 0;
    for (const auto& p : ps) total += p.size;
    if (values.size() != total)
        throw Error("set_values: expected " + std::to_string(total) + " values, got " +
                    std::to_string(values.size()));
    for (const auto& p : ps) {
        std::copy(values.begin() + offset, values.begin() + offset + p.size, p.value);
        offset += p.size;
    }
}

const Tensor& Model::forward(const Tensor& x, const Context& ctx) {
    if (x.shape() != input_)
        throw Error("model expects input " + input_.str() + " but got " + x.shape().str());
    if (ctx.mode == Mode::Infer)
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!std::isfinite(x[i]))
                throw Error("input image " + std::to_string(i / x.sample_size()) + " has a non-finite pixel value");
    copy_as(x, x.n(), x.shape(), acts_[0]);
    for (std::size_t i = 0; i < layers_.size(); ++i) {
        if (fused_[i]) continue;
        if (partner_[i] != kNone) static_cast<Add&>(*layers_[i]).connect(&acts_[out_[partner_[i]]]);
        layers_[i]->forward(acts_[input_of(i)], acts_[out_[i]], ctx);
    }
    // Finite weights can still overflow (a corrupt or hostile file with values like 1e36); the
    // probabilities would be NaN and every "prediction" class 0. Training checks its loss instead.
    if (ctx.mode == Mode::Infer) {
        const Tensor& out = acts_[out_.back()];
        for (std::size_t i = 0; i < out.size(); ++i)
            if (!std::isfinite(out[i]))
                throw Error("the model computed a non-finite output (" + std::to_string(out[i]) + ") for image " +
                            std::to_string(i / out.sample_size()) +
                            ": its weights are out of range (a corrupt or diverged model)");
    }
    return acts_[out_.back()];
}

void Model::backward(const Tensor& dlogits, const Context& ctx) {
    const std::size_t last = out_.back();
    for (std::size_t i = layers_.size(); i-- > 0;) {
        if (fused_[i] && partner_[i] != kNone) {
            // A skip: its output's gradient is what its branch passed back plus its add's
            // gradient (the shortcut's). The layer after the skip assigned the first part.
            const std::size_t add = partner_[i];
            const Tensor& g = out_[add] == last ? dlogits : grads_[out_[add]];
            if (i > 0) {
                Tensor& d = grads_[out_[i]];
                for (std::size_t k = 0; k < d.size(); ++k) d[k] += g[k];
            }
            continue;
        }
        if (fused_[i]) continue;
        const Tensor& dy = out_[i] == last ? dlogits : grads_[out_[i]];
        layers_[i]->backward(acts_[input_of(i)], acts_[out_[i]], dy, i == 0 ? nullptr : &grads_[input_of(i)], ctx);
    }
}

std::vector<float> Model::predict(const std::vector<float>& images, int n, ThreadPool* pool) {
    check_images(images.size(), n);
    std::vector<float> probs(std::size_t(n) * std::size_t(classes()));
    predict(images.data(), n, probs.data(), pool);
    return probs;
}

void Model::check_images(std::size_t floats, int n) const {
    if (n < 1 || floats != std::size_t(n) * input_.size())
        throw Error("expected " + std::to_string(n) + " images of " + input_.str() + " floats, got " +
                    std::to_string(floats) + " floats");
}

Layer& Model::layer_at(int i) {
    if (i < 0 || std::size_t(i) >= layers_.size()) throw Error("no layer " + std::to_string(i));
    return *layers_[std::size_t(i)];
}

const Tensor& Model::first_activation(int i) const {
    if (i < 0 || std::size_t(i) >= layers_.size()) throw Error("no layer " + std::to_string(i));
    const Tensor& t = activation(std::size_t(i));
    if (t.n() < 1) throw Error("activation: nothing has been predicted yet");
    return t;
}

void Model::predict(const float* images, int n, float* probs, ThreadPool* pool) {
    constexpr int kChunk = 256;
    const int k = classes();
    const std::size_t in_size = input_.size();
    Context ctx;
    ctx.mode = Mode::Infer;
    ctx.pool = pool;
    Tensor x;
    for (int s0 = 0; s0 < n; s0 += kChunk) {
        const int m = std::min(kChunk, n - s0);
        x.resize(m, input_);
        std::copy(images + std::size_t(s0) * in_size, images + std::size_t(s0 + m) * in_size, x.data());
        const Tensor& logits = forward(x, ctx);
        for (int i = 0; i < m; ++i) softmax(logits.sample(i), k, probs + std::size_t(s0 + i) * k);
    }
}

}  // namespace cnn
