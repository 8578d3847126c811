// Model -> ONNX graph (see cnn/io/onnx.hpp for the graph's shape and names).
#include <algorithm>

#include "cnn/base/error.hpp"
#include "cnn/io/onnx.hpp"
#include "cnn/layers/batchnorm.hpp"
#include "cnn/layers/conv2d.hpp"
#include "cnn/layers/dropout.hpp"
#include "cnn/layers/maxpool2d.hpp"
#include "io/onnx_graph.hpp"
#include "io/onnx_schema.hpp"

namespace cnn {

namespace {

namespace s = onnx_schema;

enum class Layout { NHWC, NCHW, Flat };

onnx::Attribute ints_attr(const std::string& name, std::vector<std::int64_t> v) {
    onnx::Attribute a;
    a.name = name;
    a.type = s::attribute::INTS;
    a.ints = std::move(v);
    return a;
}
onnx::Attribute int_attr(const std::string& name, std::int64_t v) {
    onnx::Attribute a;
    a.name = name;
    a.type = s::attribute::INT;
    a.i = v;
    return a;
}
onnx::Attribute float_attr(const std::string& name, float v) {
    onnx::Attribute a;
    a.name = name;
    a.type = s::attribute::FLOAT;
    a.f = v;
    return a;
}

// The padding attribute of a square window on an NHWC input: ONNX pads {top, left, bottom, right}
// or, for a "same" that pads nothing (where pads could not tell it from "valid"), auto_pad
// SAME_UPPER (TensorFlow's "same": the extra row and column at the end).
onnx::Attribute window_pads(const Shape& in, int k, int stride, Padding p) {
    std::vector<std::int64_t> pads(4, 0);
    if (p != Padding::Same) return ints_attr("pads", pads);
    const int sides[2] = {in.h, in.w};
    for (int axis = 0; axis < 2; ++axis) {
        const WindowAxis a = window_axis(sides[axis], k, stride, p);
        const int total = std::max((a.out - 1) * stride + k - sides[axis], 0);
        pads[axis] = a.pad_before;
        pads[axis + 2] = total - a.pad_before;
    }
    if (pads == std::vector<std::int64_t>(4, 0)) {
        onnx::Attribute a;
        a.name = "auto_pad";
        a.type = s::attribute::STRING;
        a.s = "SAME_UPPER";
        return a;
    }
    return ints_attr("pads", pads);
}

class GraphBuilder {
public:
    GraphBuilder(onnx::Graph& g, const Shape& input) : shape_(input), g_(g) {}

    const std::string& current() const { return current_; }

    onnx::Node& node(const std::string& name, const std::string& op, std::vector<std::string> inputs,
                     const std::string& output) {
        onnx::Node& n = g_.nodes.emplace_back();
        n.name = name;
        n.op_type = op;
        n.inputs = std::move(inputs);
        n.outputs = {output};
        current_ = output;
        return n;
    }
    // The node's data input is the current tensor.
    onnx::Node& step(const std::string& name, const std::string& op, std::vector<std::string> more = {}) {
        std::vector<std::string> inputs{current_};
        inputs.insert(inputs.end(), more.begin(), more.end());
        return node(name, op, std::move(inputs), name);
    }

    std::string initializer(const std::string& name, std::vector<std::int64_t> dims, std::vector<float> values) {
        onnx::Tensor& t = g_.initializers.emplace_back();
        t.name = name;
        t.dims = std::move(dims);
        t.data_type = s::tensor::FLOAT;
        t.floats = std::move(values);
        return name;
    }

    void to_nchw(const std::string& name) {
        if (layout_ == Layout::NCHW) return;
        if (layout_ == Layout::Flat) throw Error("internal: ONNX export of a 4-D layer after flatten");
        step(name, "Transpose").attributes.push_back(ints_attr("perm", {0, 3, 1, 2}));
        layout_ = Layout::NCHW;
    }
    // To {batch, features} in NHWC order (ours), so that dense kernels keep their row order.
    void to_flat(const std::string& name) {
        if (layout_ == Layout::Flat) return;
        if (layout_ == Layout::NCHW && shape_.c > 1 && shape_.h * shape_.w > 1) {
            step(name + ".nhwc", "Transpose").attributes.push_back(ints_attr("perm", {0, 2, 3, 1}));
        }
        step(name, "Flatten").attributes.push_back(int_attr("axis", 1));
        layout_ = Layout::Flat;
    }

    void add_layer(Layer& layer);
    Shape shape_;

private:
    onnx::Graph& g_;
    std::string current_ = "image";
    Layout layout_ = Layout::NHWC;
    // The tensors the open skips hand on, innermost last: an add adds the last one.
    struct Shortcut {
        std::string tensor;
        Layout layout;
    };
    std::vector<Shortcut> shortcuts_;
};

void GraphBuilder::add_layer(Layer& layer) {
    const std::string& name = layer.name();
    const std::string kind = layer.kind();
    const Shape in = shape_;
    const auto params = layer.params();
    if (auto* conv = dynamic_cast<Conv2D*>(&layer)) {
        const Conv2DOptions& o = conv->options();
        to_nchw(name + ".nchw");
        // {kh, kw, in, out} -> ONNX's {out, in, kh, kw}
        const int k = o.kernel, c = in.c, f = o.filters;
        std::vector<float> oihw(std::size_t(k) * k * c * f);
        const float* w = params[0].value;
        for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx)
                for (int ci = 0; ci < c; ++ci)
                    for (int fo = 0; fo < f; ++fo)
                        oihw[((std::size_t(fo) * c + ci) * k + ky) * k + kx] =
                            w[((std::size_t(ky) * k + kx) * c + ci) * f + fo];
        const std::string kernel = initializer(params[0].name, {f, c, k, k}, std::move(oihw));
        const std::string bias =
            initializer(params[1].name, {f}, std::vector<float>(params[1].value, params[1].value + f));
        onnx::Node& n = step(name, "Conv", {kernel, bias});
        n.attributes = {ints_attr("kernel_shape", {k, k}), ints_attr("strides", {o.stride, o.stride}),
                        window_pads(in, k, o.stride, o.padding)};
    } else if (auto* pool = dynamic_cast<MaxPool2D*>(&layer)) {
        const MaxPoolOptions& o = pool->options();
        const int stride = o.stride > 0 ? o.stride : o.size;
        to_nchw(name + ".nchw");
        onnx::Node& n = step(name, "MaxPool");
        n.attributes = {ints_attr("kernel_shape", {o.size, o.size}), ints_attr("strides", {stride, stride}),
                        window_pads(in, o.size, stride, o.padding)};
    } else if (kind == "relu") {
        step(name, "Relu");
    } else if (kind == "flatten") {
        to_flat(name);
    } else if (kind == "dense") {
        to_flat(name + ".flat");
        const ParamRef& w = params[0];
        const std::string kernel = initializer(w.name, {w.shape[0], w.shape[1]}, {w.value, w.value + w.size});
        const ParamRef& b = params[1];
        const std::string bias = initializer(b.name, {b.shape[0]}, {b.value, b.value + b.size});
        step(name, "Gemm", {kernel, bias});
    } else if (auto* drop = dynamic_cast<Dropout*>(&layer)) {
        // An identity at inference; the rate is kept so that an import rebuilds the same spec.
        const std::string ratio = initializer(name + ".ratio", {}, {drop->rate()});
        step(name, "Dropout", {ratio});
    } else if (auto* bn = dynamic_cast<BatchNorm*>(&layer)) {
        if (layout_ == Layout::NHWC) to_nchw(name + ".nchw");
        std::vector<std::string> inputs;
        for (const auto& p : params) inputs.push_back(initializer(p.name, {int(p.size)}, {p.value, p.value + p.size}));
        onnx::Node& n = step(name, "BatchNormalization", inputs);
        n.attributes = {float_attr("epsilon", BatchNorm::kEpsilon), float_attr("momentum", bn->momentum())};
    } else if (kind == "gap") {
        to_nchw(name + ".nchw");
        step(name, "GlobalAveragePool");
    } else if (kind == "skip") {
        // No node: the branch starts from the current tensor, in the layout the convolutions use
        // (NCHW) unless it is already a vector, so that the add sums two tensors of one layout.
        if (layout_ == Layout::NHWC) to_nchw(name + ".nchw");
        shortcuts_.push_back({current_, layout_});
    } else if (kind == "add") {
        if (shortcuts_.empty()) throw Error("internal: ONNX export of an add without its skip");
        const Shortcut s = shortcuts_.back();
        shortcuts_.pop_back();
        if (s.layout != layout_)
            throw Error("ONNX export: layer " + name + " adds a tensor of another layout (a branch that flattens); "
                        "it has no ONNX translation");
        step(name, "Add", {s.tensor});
    } else {
        throw Error("ONNX export: layer " + name + " (" + layer.spec() + ") has no ONNX translation");
    }
    shape_ = layer.output_shape(in);
}

}  // namespace

std::vector<std::uint8_t> encode_onnx(Model& model, const std::string& metadata) {
    onnx::ModelFile m;
    m.ir_version = 7;  // the IR of opset 13
    m.opset = kOnnxOpset;
    m.producer_name = "digit-cnn";
    m.producer_version = "1";
    m.metadata["digit-cnn.spec"] = model.spec();
    m.metadata["digit-cnn.metadata"] = metadata;
    onnx::Graph& g = m.graph;
    g.name = "digit-cnn";
    const Shape in = model.input_shape();
    g.inputs.push_back({"image", s::tensor::FLOAT, true, {-1, in.h, in.w, in.c}, "batch"});

    GraphBuilder b(g, in);
    for (std::size_t i = 0; i < model.layer_count(); ++i) b.add_layer(model.layer(i));
    b.to_flat("output.flat");
    // The last tensor is renamed "logits": rewrite the output of the node that made it.
    std::string last = b.current();
    if (last == "image") {
        b.node("logits", "Identity", {last}, "logits");
    } else {
        g.nodes.back().outputs[0] = "logits";
    }
    b.node("softmax", "Softmax", {"logits"}, "probabilities").attributes.push_back(int_attr("axis", 1));
    const std::int64_t classes = std::int64_t(model.output_shape().size());
    g.outputs.push_back({"logits", s::tensor::FLOAT, true, {-1, classes}, "batch"});
    g.outputs.push_back({"probabilities", s::tensor::FLOAT, true, {-1, classes}, "batch"});
    return onnx::serialize_model(m);
}

}  // namespace cnn
