#include "io/onnx_graph.hpp"

#include <limits>

#include "cnn/base/error.hpp"
#include "io/onnx_schema.hpp"
#include "io/protobuf_wire.hpp"

namespace cnn::onnx {

namespace s = onnx_schema;
using Reader = pb::Reader<OnnxError>;
using pb::Field;

namespace {

// Caps that keep a hostile file from allocating far more than its own size suggests.
constexpr std::size_t kMaxItems = 1u << 16;  // nodes, tensors, attributes, inputs per node
constexpr std::size_t kMaxRank = 8;

void expect(const Reader& r, const Field& f, pb::Wire w, const char* what) {
    if (f.wire != w) r.fail(std::string(what) + " has wire type " + std::to_string(f.wire), 0);
}

template <class T>
T& add(Reader& r, std::vector<T>& v, const char* what) {
    if (v.size() >= kMaxItems) r.fail(std::string("more than ") + std::to_string(kMaxItems) + " " + what, 0);
    return v.emplace_back();
}

// Little-endian floats from raw bytes (TensorProto.raw_data, packed float_data).
void append_floats(const Reader& r, const Field& f, std::vector<float>& out) {
    if (f.size % 4) r.fail("float data of " + std::to_string(f.size) + " bytes (not a multiple of 4)", 0);
    const std::size_t n = f.size / 4;
    out.reserve(out.size() + n);
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t bits = 0;
        for (int k = 0; k < 4; ++k) bits |= std::uint32_t(f.data[i * 4 + k]) << (8 * k);
        float v;
        std::memcpy(&v, &bits, 4);
        out.push_back(v);
    }
}

Tensor parse_tensor(Reader r) {
    Tensor t;
    Field f;
    const Field* raw = nullptr;
    Field raw_field;
    while (r.next(f)) {
        switch (f.number) {
        case s::tensor::dims: r.varints(f, t.dims, kMaxRank); break;
        case s::tensor::data_type: expect(r, f, pb::kVarint, "data_type"); t.data_type = std::int64_t(f.value); break;
        case s::tensor::name: expect(r, f, pb::kLength, "tensor name"); t.name = f.str(); break;
        case s::tensor::raw_data:
            expect(r, f, pb::kLength, "raw_data");
            raw_field = f;
            raw = &raw_field;
            break;
        case s::tensor::float_data:
            if (f.wire == pb::kFixed32) {
                if (t.floats.size() >= (std::size_t(1) << 28)) r.fail("too many float_data values", 0);
                t.floats.push_back(f.f32());
            } else {
                expect(r, f, pb::kLength, "float_data");
                append_floats(r, f, t.floats);
            }
            break;
        case s::tensor::int64_data:
        case s::tensor::int32_data: r.varints(f, t.ints, std::size_t(1) << 24); break;
        case s::tensor::double_data: r.fail("double tensors are not supported", 0);
        case s::tensor::data_location:
            if (f.value == std::uint64_t(s::tensor::EXTERNAL))
                throw OnnxError("tensor '" + printable(t.name) +
                                "' keeps its data in an external file, which is not supported: export "
                                "the model with its weights inside the .onnx file");
            break;
        default: break;
        }
    }
    if (raw) {
        if (t.data_type == s::tensor::FLOAT) {
            append_floats(r, *raw, t.floats);
        } else if (t.data_type == s::tensor::INT64) {
            if (raw->size % 8) r.fail("int64 raw_data not a multiple of 8 bytes", 0);
            for (std::size_t i = 0; i < raw->size / 8; ++i) {
                std::uint64_t v = 0;
                for (int k = 0; k < 8; ++k) v |= std::uint64_t(raw->data[i * 8 + k]) << (8 * k);
                t.ints.push_back(std::int64_t(v));
            }
        } else if (t.data_type == s::tensor::INT32) {
            if (raw->size % 4) r.fail("int32 raw_data not a multiple of 4 bytes", 0);
            for (std::size_t i = 0; i < raw->size / 4; ++i) {
                std::uint32_t v = 0;
                for (int k = 0; k < 4; ++k) v |= std::uint32_t(raw->data[i * 4 + k]) << (8 * k);
                t.ints.push_back(std::int32_t(v));
            }
        } else if (t.data_type == s::tensor::BOOL) {
            for (std::size_t i = 0; i < raw->size; ++i) t.ints.push_back(raw->data[i] != 0);
        }
    }
    for (std::int64_t d : t.dims)
        if (d < 0) throw OnnxError("tensor '" + printable(t.name) + "' has a negative dimension");
    const std::size_t have = t.data_type == s::tensor::FLOAT ? t.floats.size() : t.ints.size();
    if (t.count() != have)
        throw OnnxError("tensor '" + printable(t.name) + "' declares " + std::to_string(t.count()) +
                        " elements but holds " + std::to_string(have));
    return t;
}

Attribute parse_attribute(Reader r) {
    Attribute a;
    Field f;
    while (r.next(f)) {
        switch (f.number) {
        case s::attribute::name: expect(r, f, pb::kLength, "attribute name"); a.name = f.str(); break;
        case s::attribute::type: a.type = std::int64_t(f.value); break;
        case s::attribute::f: expect(r, f, pb::kFixed32, "attribute f"); a.f = f.f32(); break;
        case s::attribute::i: expect(r, f, pb::kVarint, "attribute i"); a.i = std::int64_t(f.value); break;
        case s::attribute::s: expect(r, f, pb::kLength, "attribute s"); a.s = f.str(); break;
        case s::attribute::ints: r.varints(f, a.ints, 64); break;
        case s::attribute::floats:
            if (f.wire == pb::kFixed32) a.floats.push_back(f.f32());
            else {
                expect(r, f, pb::kLength, "attribute floats");
                append_floats(r, f, a.floats);
            }
            if (a.floats.size() > 64) r.fail("more than 64 floats in an attribute", 0);
            break;
        case s::attribute::t:
            expect(r, f, pb::kLength, "attribute t");
            a.t = parse_tensor(r.sub(f, "attribute tensor"));
            a.has_t = true;
            break;
        default: break;
        }
    }
    return a;
}

Node parse_node(Reader r) {
    Node n;
    Field f;
    while (r.next(f)) {
        switch (f.number) {
        case s::node::input: expect(r, f, pb::kLength, "node input"); add(r, n.inputs, "inputs") = f.str(); break;
        case s::node::output: expect(r, f, pb::kLength, "node output"); add(r, n.outputs, "outputs") = f.str(); break;
        case s::node::name: expect(r, f, pb::kLength, "node name"); n.name = f.str(); break;
        case s::node::op_type: expect(r, f, pb::kLength, "op_type"); n.op_type = f.str(); break;
        case s::node::domain: expect(r, f, pb::kLength, "node domain"); n.domain = f.str(); break;
        case s::node::attribute:
            expect(r, f, pb::kLength, "attribute");
            add(r, n.attributes, "attributes") = parse_attribute(r.sub(f, "attribute"));
            break;
        default: break;
        }
    }
    return n;
}

ValueInfo parse_value_info(Reader r) {
    ValueInfo v;
    Field f;
    while (r.next(f)) {
        if (f.number == s::value_info::name && f.wire == pb::kLength) v.name = f.str();
        if (f.number != s::value_info::type || f.wire != pb::kLength) continue;
        Reader type = r.sub(f, "value type");
        Field tf;
        while (type.next(tf)) {
            if (tf.number != s::type::tensor_type || tf.wire != pb::kLength) continue;
            Reader tensor = type.sub(tf, "tensor type");
            Field g;
            while (tensor.next(g)) {
                if (g.number == s::type::elem_type && g.wire == pb::kVarint) v.elem_type = std::int64_t(g.value);
                if (g.number != s::type::shape || g.wire != pb::kLength) continue;
                v.has_shape = true;
                Reader shape = tensor.sub(g, "tensor shape");
                Field d;
                while (shape.next(d)) {
                    if (d.number != s::type::dim || d.wire != pb::kLength) continue;
                    if (v.dims.size() >= kMaxRank) shape.fail("more than 8 dimensions", 0);
                    std::int64_t value = -1;
                    std::string param;
                    Reader dim = shape.sub(d, "dimension");
                    Field e;
                    while (dim.next(e)) {
                        if (e.number == s::type::dim_value && e.wire == pb::kVarint) value = std::int64_t(e.value);
                        if (e.number == s::type::dim_param && e.wire == pb::kLength) param = e.str();
                    }
                    if (v.dims.empty()) v.batch_param = param;
                    v.dims.push_back(value < 0 ? -1 : value);
                }
            }
        }
    }
    return v;
}

Graph parse_graph(Reader r) {
    Graph g;
    Field f;
    while (r.next(f)) {
        if (f.wire != pb::kLength) continue;
        switch (f.number) {
        case s::graph::name: g.name = f.str(); break;
        case s::graph::node: add(r, g.nodes, "nodes") = parse_node(r.sub(f, "node")); break;
        case s::graph::initializer:
            add(r, g.initializers, "initializers") = parse_tensor(r.sub(f, "initializer"));
            break;
        case s::graph::input: add(r, g.inputs, "inputs") = parse_value_info(r.sub(f, "graph input")); break;
        case s::graph::output: add(r, g.outputs, "outputs") = parse_value_info(r.sub(f, "graph output")); break;
        default: break;
        }
    }
    return g;
}

// Writers, the mirror image of the parsers above, for the fields the exporter sets.
pb::Writer write_tensor(const Tensor& t) {
    pb::Writer w;
    w.packed_int64(s::tensor::dims, t.dims);
    w.int64(s::tensor::data_type, t.data_type);
    w.string(s::tensor::name, t.name);
    if (t.data_type == s::tensor::FLOAT) {
        w.floats_le(s::tensor::raw_data, t.floats.data(), t.floats.size());
    } else {
        w.packed_int64(s::tensor::int64_data, t.ints);
    }
    return w;
}

pb::Writer write_attribute(const Attribute& a) {
    pb::Writer w;
    w.string(s::attribute::name, a.name);
    switch (a.type) {
    case s::attribute::FLOAT: w.f32(s::attribute::f, a.f); break;
    case s::attribute::INT: w.int64(s::attribute::i, a.i); break;
    case s::attribute::STRING: w.string(s::attribute::s, a.s); break;
    case s::attribute::INTS: w.packed_int64(s::attribute::ints, a.ints); break;
    case s::attribute::TENSOR: w.message(s::attribute::t, write_tensor(a.t)); break;
    default: throw Error("internal: ONNX attribute type " + std::to_string(a.type) + " not written");
    }
    w.int64(s::attribute::type, a.type);
    return w;
}

pb::Writer write_value_info(const ValueInfo& v) {
    pb::Writer shape;
    for (std::size_t i = 0; i < v.dims.size(); ++i) {
        pb::Writer dim;
        if (v.dims[i] < 0) dim.string(s::type::dim_param, i == 0 ? v.batch_param : "?");
        else dim.int64(s::type::dim_value, v.dims[i]);
        shape.message(s::type::dim, dim);
    }
    pb::Writer tensor;
    tensor.int64(s::type::elem_type, v.elem_type);
    tensor.message(s::type::shape, shape);
    pb::Writer type;
    type.message(s::type::tensor_type, tensor);
    pb::Writer w;
    w.string(s::value_info::name, v.name);
    w.message(s::value_info::type, type);
    return w;
}

}  // namespace

std::size_t Tensor::count() const {
    std::size_t n = 1;
    for (std::int64_t d : dims) {
        if (d < 0) return 0;
        if (d != 0 && n > std::numeric_limits<std::size_t>::max() / std::size_t(d))
            throw OnnxError("tensor '" + printable(name) + "' has too many elements");
        n *= std::size_t(d);
    }
    return n;
}

const Attribute* Node::find(const std::string& attr) const {
    for (const auto& a : attributes)
        if (a.name == attr) return &a;
    return nullptr;
}

ModelFile parse_model(const std::uint8_t* data, std::size_t size) {
    ModelFile m;
    Reader r(data, size, 0, "model");
    Field f;
    bool have_graph = false;
    while (r.next(f)) {
        switch (f.number) {
        case s::model::ir_version: expect(r, f, pb::kVarint, "ir_version"); m.ir_version = std::int64_t(f.value); break;
        case s::model::producer_name: expect(r, f, pb::kLength, "producer_name"); m.producer_name = f.str(); break;
        case s::model::producer_version:
            expect(r, f, pb::kLength, "producer_version");
            m.producer_version = f.str();
            break;
        case s::model::graph:
            expect(r, f, pb::kLength, "graph");
            m.graph = parse_graph(r.sub(f, "graph"));
            have_graph = true;
            break;
        case s::model::opset_import: {
            expect(r, f, pb::kLength, "opset_import");
            Reader o = r.sub(f, "opset_import");
            Field g;
            std::string domain;
            std::int64_t version = 0;
            while (o.next(g)) {
                if (g.number == s::opset::domain && g.wire == pb::kLength) domain = g.str();
                if (g.number == s::opset::version && g.wire == pb::kVarint) version = std::int64_t(g.value);
            }
            if (domain.empty() || domain == "ai.onnx") m.opset = version;
            break;
        }
        case s::model::metadata_props: {
            expect(r, f, pb::kLength, "metadata_props");
            Reader e = r.sub(f, "metadata_props");
            Field g;
            std::string key, value;
            while (e.next(g)) {
                if (g.number == s::entry::key && g.wire == pb::kLength) key = g.str();
                if (g.number == s::entry::value && g.wire == pb::kLength) value = g.str();
            }
            if (m.metadata.size() < kMaxItems) m.metadata[key] = value;
            break;
        }
        default: break;
        }
    }
    if (!have_graph)
        throw OnnxError("not an ONNX model: no graph found (is this an .onnx file? " + std::to_string(size) +
                        " bytes read)");
    return m;
}

std::vector<std::uint8_t> serialize_model(const ModelFile& m) {
    pb::Writer g;
    for (const auto& n : m.graph.nodes) {
        pb::Writer w;
        for (const auto& i : n.inputs) w.string(s::node::input, i);
        for (const auto& o : n.outputs) w.string(s::node::output, o);
        w.string(s::node::name, n.name);
        w.string(s::node::op_type, n.op_type);
        for (const auto& a : n.attributes) w.message(s::node::attribute, write_attribute(a));
        g.message(s::graph::node, w);
    }
    g.string(s::graph::name, m.graph.name);
    for (const auto& t : m.graph.initializers) g.message(s::graph::initializer, write_tensor(t));
    for (const auto& v : m.graph.inputs) g.message(s::graph::input, write_value_info(v));
    for (const auto& v : m.graph.outputs) g.message(s::graph::output, write_value_info(v));

    pb::Writer w;
    w.int64(s::model::ir_version, m.ir_version);
    w.string(s::model::producer_name, m.producer_name);
    w.string(s::model::producer_version, m.producer_version);
    w.message(s::model::graph, g);
    pb::Writer opset;
    opset.string(s::opset::domain, "");
    opset.int64(s::opset::version, m.opset);
    w.message(s::model::opset_import, opset);
    for (const auto& [key, value] : m.metadata) {
        pb::Writer e;
        e.string(s::entry::key, key);
        e.string(s::entry::value, value);
        w.message(s::model::metadata_props, e);
    }
    return w.take();
}

}  // namespace cnn::onnx
