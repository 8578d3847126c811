#include "cnn/training/optimizer.hpp"

#include <cmath>

#include "cnn/base/error.hpp"

namespace cnn {

namespace {
// Allocates zeroed state matching the trainable parameters on first use. State restored by
// set_state must match them exactly: anything else would be read and written out of bounds.
void ensure_state(std::vector<std::vector<float>>& st, const std::vector<ParamRef>& params) {
    if (st.empty()) {
        for (const auto& p : params) st.emplace_back(p.trainable ? p.size : 0, 0.0f);
        return;
    }
    bool ok = st.size() == params.size();
    for (std::size_t i = 0; ok && i < params.size(); ++i)
        ok = st[i].size() == (params[i].trainable ? params[i].size : 0);
    if (!ok) throw Error("optimizer state does not match the model's parameters (corrupt checkpoint?)");
}

// A count stored as a double: refused unless it is a whole number that fits `limit`.
std::size_t to_count(double v, std::size_t limit) {
    if (!(v >= 0 && v <= double(limit)) || v != std::floor(v)) throw Error("optimizer state is corrupt");
    return std::size_t(v);
}

void append(std::vector<double>& out, const std::vector<std::vector<float>>& st) {
    out.push_back(double(st.size()));
    for (const auto& v : st) {
        out.push_back(double(v.size()));
        out.insert(out.end(), v.begin(), v.end());
    }
}

std::size_t restore(const std::vector<double>& in, std::size_t pos,
                    std::vector<std::vector<float>>& st) {
    auto need = [&](std::size_t n) {
        if (n > in.size() - pos) throw Error("optimizer state is truncated");
    };
    need(1);
    const double tensors = in[pos++];
    std::vector<std::vector<float>> out(to_count(tensors, in.size() - pos));
    for (auto& v : out) {
        need(1);
        const double values = in[pos++];
        const std::size_t n = to_count(values, in.size() - pos);
        v.assign(in.begin() + pos, in.begin() + pos + n);
        for (float x : v)
            if (!std::isfinite(x)) throw Error("optimizer state holds a non-finite value");
        pos += n;
    }
    st = std::move(out);
    return pos;
}
}  // namespace

Adam::Adam(float lr, float beta1, float beta2, float eps) : b1_(beta1), b2_(beta2), eps_(eps) {
    lr_ = lr;
}

void Adam::step(const std::vector<ParamRef>& params) {
    ensure_state(m_, params);
    ensure_state(v_, params);
    ++t_;
    const double lr_t = double(lr_) * std::sqrt(1.0 - std::pow(double(b2_), double(t_))) /
                        (1.0 - std::pow(double(b1_), double(t_)));
    const float lr_f = float(lr_t);
    for (std::size_t i = 0; i < params.size(); ++i) {
        const ParamRef& p = params[i];
        if (!p.trainable) continue;
        // Restrict-qualified locals: without them the compiler must assume the four buffers
        // (and the members) alias, and the loop does not vectorise.
        float* __restrict m = m_[i].data();
        float* __restrict v = v_[i].data();
        float* __restrict value = p.value;
        const float* __restrict grad = p.grad;
        const float b1 = b1_, b2 = b2_, eps = eps_;
        const std::size_t n = p.size;
        for (std::size_t j = 0; j < n; ++j) {
            const float g = grad[j];
            m[j] = b1 * m[j] + (1.0f - b1) * g;
            v[j] = b2 * v[j] + (1.0f - b2) * g * g;
            value[j] -= lr_f * m[j] / (std::sqrt(v[j]) + eps);
        }
    }
}

std::vector<double> Adam::state() const {
    std::vector<double> s{double(t_)};
    append(s, m_);
    append(s, v_);
    return s;
}

void Adam::set_state(const std::vector<double>& s) {
    if (s.empty()) throw Error("optimizer state is empty");
    // The step count: whole, and small enough that a double holds it exactly.
    if (!(s[0] >= 0 && s[0] <= 9007199254740992.0) || s[0] != std::floor(s[0]))
        throw Error("optimizer state is corrupt");
    const long long t = (long long)s[0];
    std::vector<std::vector<float>> m, v;
    if (restore(s, restore(s, 1, m), v) != s.size()) throw Error("optimizer state has trailing values");
    t_ = t;
    m_ = std::move(m);
    v_ = std::move(v);
}

SGD::SGD(float lr, float momentum, bool nesterov) : momentum_(momentum), nesterov_(nesterov) {
    lr_ = lr;
}

void SGD::step(const std::vector<ParamRef>& params) {
    ensure_state(velocity_, params);
    for (std::size_t i = 0; i < params.size(); ++i) {
        const ParamRef& p = params[i];
        if (!p.trainable) continue;
        float* vel = velocity_[i].data();
        for (std::size_t j = 0; j < p.size; ++j) {
            vel[j] = momentum_ * vel[j] - lr_ * p.grad[j];
            p.value[j] += nesterov_ ? momentum_ * vel[j] - lr_ * p.grad[j] : vel[j];
        }
    }
}

std::vector<double> SGD::state() const {
    std::vector<double> s;
    append(s, velocity_);
    return s;
}

void SGD::set_state(const std::vector<double>& s) {
    std::vector<std::vector<float>> v;
    if (restore(s, 0, v) != s.size()) throw Error("optimizer state has trailing values");
    velocity_ = std::move(v);
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, float lr, float momentum) {
    if (!(lr > 0.0f) || !std::isfinite(lr))
        throw Error("learning rate must be a positive number, got " + std::to_string(lr));
    if (name == "adam") return std::make_unique<Adam>(lr);
    if (name == "sgd") return std::make_unique<SGD>(lr, momentum);
    throw Error("unknown optimizer '" + name + "' (known: adam, sgd)");
}

}  // namespace cnn
