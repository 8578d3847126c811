#include "io/onnx_fold.hpp"

#include <algorithm>
#include <numeric>

#include "cnn/base/error.hpp"
#include "io/onnx_schema.hpp"

namespace cnn::onnx {

namespace {

namespace s = onnx_schema;

constexpr std::size_t kMaxFolded = 1u << 16;  // elements of a folded tensor
constexpr std::int64_t kMaxStep = std::int64_t(1) << 40;  // |step| of a Slice (keeps index math in range)

[[noreturn]] void fail(const Node& n, const std::string& why) {
    throw OnnxError("ONNX node '" + printable(n.name) + "' (" + printable(n.op_type) + "): " + why);
}

bool is_float(const Tensor& t) { return t.data_type == s::tensor::FLOAT; }

const std::vector<std::int64_t>& int_values(const Node& n, const Tensor* t, const char* what) {
    if (!t || is_float(*t)) fail(n, std::string(what) + " should be an integer constant");
    return t->ints;
}

std::vector<std::size_t> strides_of(const std::vector<std::int64_t>& dims) {
    std::vector<std::size_t> st(dims.size(), 1);
    for (std::size_t i = dims.size(); i-- > 1;) st[i - 1] = st[i] * std::size_t(dims[i]);
    return st;
}

// out gets elements src[index[k]] of t (same data type), with dims.
void gather(const Tensor& t, const std::vector<std::size_t>& index, std::vector<std::int64_t> dims, Tensor& out) {
    out.data_type = t.data_type;
    out.dims = std::move(dims);
    out.floats.clear();
    out.ints.clear();
    for (std::size_t k : index) {
        if (is_float(t)) out.floats.push_back(t.floats[k]);
        else out.ints.push_back(t.ints[k]);
    }
}

std::size_t axis_of(const Node& n, std::int64_t axis, std::size_t rank) {
    if (axis < 0) axis += std::int64_t(rank);
    if (axis < 0 || axis >= std::int64_t(rank)) fail(n, "axis " + std::to_string(axis) + " is out of range");
    return std::size_t(axis);
}

// Visits every multi-index of dims (row-major), calling fn(index).
template <class Fn>
void each_index(const std::vector<std::int64_t>& dims, Fn fn) {
    std::size_t total = 1;
    for (auto d : dims) total *= std::size_t(d);
    std::vector<std::int64_t> idx(dims.size(), 0);
    for (std::size_t k = 0; k < total; ++k) {
        fn(idx);
        for (std::size_t a = dims.size(); a-- > 0;) {
            if (++idx[a] < dims[a]) break;
            idx[a] = 0;
        }
    }
}

void check_size(const Node& n, const std::vector<std::int64_t>& dims) {
    std::size_t total = 1;
    for (auto d : dims) {
        if (d < 0 || std::size_t(d) > kMaxFolded) fail(n, "a dimension of its result is out of range");
        total *= std::size_t(d);
        if (total > kMaxFolded) fail(n, "its result is too large to fold");
    }
}

}  // namespace

bool fold_constant(const Node& n, const std::vector<const Tensor*>& in, Tensor& out) {
    const std::string& op = n.op_type;
    const Tensor* x = in.empty() ? nullptr : in[0];
    out = Tensor{};
    if (op == "Identity") {
        if (!x) fail(n, "missing input");
        out = *x;
    } else if (op == "Cast") {
        if (!x) fail(n, "missing input");
        const Attribute* to = n.find("to");
        if (!to) fail(n, "missing attribute 'to'");
        out.dims = x->dims;
        if (to->i == s::tensor::FLOAT) {
            out.data_type = s::tensor::FLOAT;
            if (is_float(*x)) out.floats = x->floats;
            else for (auto v : x->ints) out.floats.push_back(float(v));
        } else if (to->i == s::tensor::INT64 || to->i == s::tensor::INT32) {
            out.data_type = to->i;
            if (!is_float(*x)) out.ints = x->ints;
            else for (float v : x->floats) {
                if (!(v > -9.2e18f && v < 9.2e18f)) fail(n, "casts a value out of the integer range");
                out.ints.push_back(std::int64_t(v));
            }
        } else {
            return false;
        }
    } else if (op == "ConstantOfShape") {
        const auto& shape = int_values(n, x, "shape");
        check_size(n, shape);
        out.dims = shape;
        const Attribute* value = n.find("value");
        const Tensor* v = value && value->has_t ? &value->t : nullptr;
        if (v && v->count() != 1) fail(n, "value should hold one element");
        out.data_type = v ? v->data_type : s::tensor::FLOAT;
        const std::size_t count = out.count();
        if (is_float(out)) out.floats.assign(count, v ? v->floats[0] : 0.0f);
        else out.ints.assign(count, v->ints[0]);
    } else if (op == "Reshape") {
        if (!x) fail(n, "missing input");
        std::vector<std::int64_t> shape = int_values(n, in.size() > 1 ? in[1] : nullptr, "shape");
        if (shape.size() > 8) fail(n, "shape has more than 8 dimensions");
        std::size_t known = 1;
        int infer = -1;
        for (std::size_t i = 0; i < shape.size(); ++i) {
            if (shape[i] == 0) {
                if (i >= x->dims.size()) fail(n, "shape copies a dimension the input does not have");
                shape[i] = x->dims[i];
            }
            if (shape[i] == -1) {
                if (infer >= 0) fail(n, "shape has more than one -1");
                infer = int(i);
            } else if (shape[i] < 0 || std::size_t(shape[i]) > kMaxFolded) {
                fail(n, "shape has an invalid dimension");
            } else {
                known *= std::size_t(shape[i]);
            }
        }
        const std::size_t total = x->count();
        if (infer >= 0) {
            if (known == 0 || total % known) fail(n, "cannot infer the -1 dimension");
            shape[std::size_t(infer)] = std::int64_t(total / known);
        }
        out = *x;
        out.dims = shape;
        if (out.count() != total) fail(n, "shape does not match the input's element count");
    } else if (op == "Transpose") {
        if (!x) fail(n, "missing input");
        const std::size_t rank = x->dims.size();
        std::vector<std::int64_t> perm(rank);
        for (std::size_t i = 0; i < rank; ++i) perm[i] = std::int64_t(rank - 1 - i);
        if (const Attribute* p = n.find("perm")) perm = p->ints;
        std::vector<std::int64_t> sorted = perm;
        std::sort(sorted.begin(), sorted.end());
        std::vector<std::int64_t> identity(rank);
        std::iota(identity.begin(), identity.end(), 0);
        if (sorted != identity) fail(n, "perm is not a permutation of the input's axes");
        std::vector<std::int64_t> dims(rank);
        for (std::size_t i = 0; i < rank; ++i) dims[i] = x->dims[std::size_t(perm[i])];
        const auto st = strides_of(x->dims);
        std::vector<std::size_t> index;
        each_index(dims, [&](const std::vector<std::int64_t>& o) {
            std::size_t k = 0;
            for (std::size_t i = 0; i < rank; ++i) k += std::size_t(o[i]) * st[std::size_t(perm[i])];
            index.push_back(k);
        });
        gather(*x, index, dims, out);
    } else if (op == "Slice") {
        if (!x) fail(n, "missing input");
        const auto& starts = int_values(n, in.size() > 1 ? in[1] : nullptr, "starts");
        const auto& ends = int_values(n, in.size() > 2 ? in[2] : nullptr, "ends");
        const std::size_t rank = x->dims.size();
        std::vector<std::int64_t> axes(starts.size());
        std::iota(axes.begin(), axes.end(), 0);
        if (in.size() > 3 && in[3]) axes = int_values(n, in[3], "axes");
        std::vector<std::int64_t> steps(starts.size(), 1);
        if (in.size() > 4 && in[4]) steps = int_values(n, in[4], "steps");
        if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
            fail(n, "starts, ends, axes and steps differ in length");
        std::vector<std::int64_t> first(rank, 0), step(rank, 1), dims = x->dims;
        for (std::size_t i = 0; i < starts.size(); ++i) {
            const std::size_t a = axis_of(n, axes[i], rank);
            const std::int64_t d = x->dims[a], st = steps[i];
            if (st == 0 || st > kMaxStep || st < -kMaxStep) fail(n, "a step of " + std::to_string(st) + " is out of range");
            auto clampi = [](std::int64_t v, std::int64_t lo, std::int64_t hi) { return std::max(lo, std::min(v, hi)); };
            std::int64_t b = starts[i] < 0 ? std::max<std::int64_t>(starts[i], -d) + d : starts[i];
            std::int64_t e = ends[i] < 0 ? std::max<std::int64_t>(ends[i], -d - 1) + d : ends[i];
            std::int64_t count;
            if (st > 0) {
                b = clampi(b, 0, d);
                e = clampi(e, 0, d);
                count = e > b ? (e - b - 1) / st + 1 : 0;
            } else {
                b = clampi(b, 0, d - 1);
                e = clampi(e, -1, d - 1);
                count = b > e ? (b - e - 1) / (-st) + 1 : 0;
            }
            first[a] = b;
            step[a] = st;
            dims[a] = count;
        }
        const auto stx = strides_of(x->dims);
        std::vector<std::size_t> index;
        each_index(dims, [&](const std::vector<std::int64_t>& o) {
            std::size_t k = 0;
            for (std::size_t i = 0; i < rank; ++i) k += std::size_t(first[i] + o[i] * step[i]) * stx[i];
            index.push_back(k);
        });
        gather(*x, index, dims, out);
    } else if (op == "Concat") {
        if (in.empty()) fail(n, "no inputs");
        for (const Tensor* t : in)
            if (!t || t->dims.size() != in[0]->dims.size() || is_float(*t) != is_float(*in[0]))
                fail(n, "inputs differ in rank or type");
        const Attribute* ax = n.find("axis");
        if (!ax) fail(n, "missing attribute 'axis'");
        const std::size_t axis = axis_of(n, ax->i, in[0]->dims.size());
        // Rows of the inputs: everything before axis is the outer loop.
        std::size_t outer = 1;
        for (std::size_t i = 0; i < axis; ++i) outer *= std::size_t(in[0]->dims[i]);
        std::vector<std::int64_t> dims = in[0]->dims;
        dims[axis] = 0;
        for (const Tensor* t : in) {
            for (std::size_t i = 0; i < dims.size(); ++i)
                if (i != axis && t->dims[i] != in[0]->dims[i]) fail(n, "inputs differ in shape");
            dims[axis] += t->dims[axis];
        }
        check_size(n, dims);
        out.data_type = in[0]->data_type;
        out.dims = dims;
        for (std::size_t o = 0; o < outer; ++o)
            for (const Tensor* t : in) {
                const std::size_t chunk = outer ? t->count() / outer : 0;
                if (is_float(*t)) out.floats.insert(out.floats.end(), t->floats.begin() + long(o * chunk), t->floats.begin() + long((o + 1) * chunk));
                else out.ints.insert(out.ints.end(), t->ints.begin() + long(o * chunk), t->ints.begin() + long((o + 1) * chunk));
            }
    } else {
        return false;
    }
    check_size(n, out.dims);
    out.name = n.outputs.empty() ? std::string() : n.outputs[0];
    return true;
}

}  // namespace cnn::onnx
