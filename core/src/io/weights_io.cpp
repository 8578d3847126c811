#include "cnn/io/weights_io.hpp"

#include <cmath>
#include <cstring>
#include <map>

#include "cnn/base/error.hpp"
#include "cnn/io/crc32.hpp"
#include "cnn/io/file_io.hpp"
#include "io/byte_io.hpp"

namespace cnn {

namespace {

constexpr char kMagic[8] = {'D', 'C', 'N', 'N', 'W', 'T', 'S', '\0'};
constexpr std::uint32_t kMaxStringBytes = 1u << 20;
constexpr std::uint32_t kMaxTensors = 4096;
constexpr std::uint32_t kMaxRank = 8;

using Reader = ByteReader<WeightsError>;

std::string dims_str(const std::vector<int>& d) {
    std::string s = "{";
    for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + "}";
}

struct StoredTensor {
    std::vector<int> shape;
    const std::uint8_t* data = nullptr;
    std::size_t count = 0;
};

}  // namespace

std::vector<std::uint8_t> encode_weights(Model& model, const std::string& metadata) {
    ByteWriter w;
    w.bytes(reinterpret_cast<const std::uint8_t*>(kMagic), 8);
    w.u32(kWeightsVersion);
    w.str(model.spec());
    w.str(metadata);
    const auto params = model.params();
    w.u32(std::uint32_t(params.size()));
    for (const auto& p : params) {
        w.str(p.name);
        w.u32(std::uint32_t(p.shape.size()));
        for (int d : p.shape) w.u32(std::uint32_t(d));
        for (std::size_t i = 0; i < p.size; ++i) w.f32(p.value[i]);
    }
    auto& out = w.data();
    w.u32(crc32(out.data(), out.size()));
    return std::move(out);
}

Model decode_weights(const std::uint8_t* data, std::size_t size, std::string* metadata) {
    Reader r(data, size, "weights file");
    r.header(kMagic, kWeightsVersion, "weights file", "weights");
    const std::string spec = r.str("model spec", kMaxStringBytes);
    const std::string meta = r.str("metadata", kMaxStringBytes);
    const std::uint32_t count = r.u32("tensor count");
    if (count > kMaxTensors)
        throw WeightsError("weights file declares " + std::to_string(count) + " tensors (corrupt file)");
    std::map<std::string, StoredTensor> stored;
    for (std::uint32_t t = 0; t < count; ++t) {
        const std::string key = r.str("tensor name", kMaxStringBytes);
        const std::string name = printable(key);  // for messages
        const std::uint32_t rank = r.u32("rank of tensor " + name);
        if (rank == 0 || rank > kMaxRank)
            throw WeightsError("tensor " + name + " has rank " + std::to_string(rank) + " (corrupt file)");
        StoredTensor st;
        std::uint64_t n = 1;
        for (std::uint32_t i = 0; i < rank; ++i) {
            const std::uint32_t d = r.u32("dimension of tensor " + name);
            if (d == 0 || d > (1u << 24))
                throw WeightsError("tensor " + name + " has dimension " + std::to_string(d) + " (corrupt file)");
            n *= d;
            if (n > (std::uint64_t(1) << 32))
                throw WeightsError("tensor " + name + " is impossibly large (corrupt file)");
            st.shape.push_back(int(d));
        }
        // Checked against the bytes really present (in 64 bits) before the count becomes a size_t.
        st.data = r.take(n * 4, "tensor " + name);
        st.count = std::size_t(n);
        if (stored.count(key)) throw WeightsError("tensor " + name + " appears twice in the weights file");
        stored[key] = st;
    }
    const std::size_t body = r.pos();
    const std::uint32_t crc_stored = r.u32("CRC-32 checksum");
    if (r.pos() != size)
        throw WeightsError("weights file has " + std::to_string(size - r.pos()) +
                           " unexpected bytes after the checksum");
    const std::uint32_t crc_actual = crc32(data, body);
    if (crc_stored != crc_actual)
        throw WeightsError("weights file checksum mismatch (stored " + std::to_string(crc_stored) +
                           ", computed " + std::to_string(crc_actual) + "): the file is corrupt");

    // Refuse a spec that needs more parameters than the file stores before allocating anything.
    std::size_t stored_values = 0;
    for (const auto& kv : stored) stored_values += kv.second.count;
    Model model;
    try {
        const ParsedSpec parsed = parse_spec(spec);
        Shape shape = parsed.input;
        std::uint64_t needed = 0;  // parse_spec bounds it by SpecLimits::max_params
        for (const auto& l : parsed.layers) {
            needed += l->cost(shape).params;
            shape = l->output_shape(shape);
        }
        if (needed != stored_values)
            throw WeightsError("wrong architecture: the model spec \"" + printable(spec, 200) + "\" has " +
                               std::to_string(needed) + " parameters but the file stores " +
                               std::to_string(stored_values) + " values");
        model = Model::from_spec(spec, 0);
    } catch (const SpecError& e) {
        throw WeightsError(std::string("weights file holds an unusable model spec: ") + e.what());
    }
    const auto params = model.params();
    for (const auto& p : params) {
        const auto it = stored.find(p.name);
        if (it == stored.end())
            throw WeightsError("weights file lacks tensor " + p.name + " required by its model spec");
        if (it->second.shape != p.shape)
            throw WeightsError("shape mismatch for " + p.name + ": file has " + dims_str(it->second.shape) +
                               ", the model spec needs " + dims_str(p.shape));
        for (std::size_t i = 0; i < p.size; ++i) {
            const std::uint8_t* b = it->second.data + 4 * i;
            const std::uint32_t bits = std::uint32_t(b[0]) | (std::uint32_t(b[1]) << 8) |
                                       (std::uint32_t(b[2]) << 16) | (std::uint32_t(b[3]) << 24);
            float v;
            std::memcpy(&v, &bits, 4);
            if (!std::isfinite(v))
                throw WeightsError("tensor " + p.name + " holds a non-finite value (" + std::to_string(v) +
                                   ") at index " + std::to_string(i));
            p.value[i] = v;
        }
        stored.erase(it);
    }
    if (!stored.empty())
        throw WeightsError("weights file has tensor " + printable(stored.begin()->first) +
                           " that its model spec does not use");
    if (metadata) *metadata = meta;
    return model;
}

void save_weights(const std::string& path, Model& model, const std::string& metadata) {
    const auto bytes = encode_weights(model, metadata);
    write_file_atomic(path, bytes.data(), bytes.size());
}

Model load_weights(const std::string& path, std::string* metadata) {
    const auto bytes = read_file(path);
    try {
        return decode_weights(bytes.data(), bytes.size(), metadata);
    } catch (const WeightsError& e) {
        throw WeightsError("'" + path + "': " + e.what());
    }
}

}  // namespace cnn
