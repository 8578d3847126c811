// Little-endian byte buffers for the binary file formats (weights, checkpoints): a writer, and a
// bounds-checked reader whose errors name the file kind, the byte offset and what was expected
// there. Private to the core.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cnn/base/error.hpp"

namespace cnn {

class ByteWriter {
public:
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out_.push_back(std::uint8_t(v >> (8 * i)));
    }
    void u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) out_.push_back(std::uint8_t(v >> (8 * i)));
    }
    void f32(float v) {
        std::uint32_t bits;
        std::memcpy(&bits, &v, 4);
        u32(bits);
    }
    void f64(double v) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, 8);
        u64(bits);
    }
    void str(const std::string& s) {
        u32(std::uint32_t(s.size()));
        bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    }
    void bytes(const std::uint8_t* p, std::size_t n) { out_.insert(out_.end(), p, p + n); }
    std::vector<std::uint8_t>& data() { return out_; }

private:
    std::vector<std::uint8_t> out_;
};

// E is the exception type thrown (WeightsError, CheckpointError); `kind` starts its messages.
template <class E>
class ByteReader {
public:
    ByteReader(const std::uint8_t* data, std::size_t size, std::string kind)
        : data_(data), size_(size), kind_(std::move(kind)) {}

    // Compared in 64 bits, so a declared count times its element size cannot wrap on 32-bit wasm.
    void need(std::uint64_t n, const std::string& what) const {
        if (n > std::uint64_t(size_ - pos_))
            throw E(kind_ + " truncated at byte " + std::to_string(size_) + ": expected " + std::to_string(n) +
                    " bytes of " + what + " at byte " + std::to_string(pos_));
    }
    // The 8 magic bytes and the u32 format version that open every digit-cnn binary file, read at
    // the start. `file` names the kind in "not a digit-cnn <file>", `format` in "unsupported
    // <format> format version".
    void header(const char (&magic)[8], std::uint32_t version, const std::string& file, const std::string& format) {
        if (size_ < 8 || std::memcmp(data_, magic, 8) != 0)
            throw E("not a digit-cnn " + file + " (bad magic bytes; expected \"" +
                    std::string(magic, std::find(magic, magic + 8, '\0')) + "\")");
        take(8, "magic");
        const std::uint32_t found = u32("format version");
        if (found != version)
            throw E("unsupported " + format + " format version " + std::to_string(found) + " (this build reads version " +
                    std::to_string(version) + ")");
    }
    std::uint8_t u8(const std::string& what) { return *take(1, what); }
    std::uint32_t u32(const std::string& what) {
        const std::uint8_t* p = take(4, what);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= std::uint32_t(p[i]) << (8 * i);
        return v;
    }
    std::uint64_t u64(const std::string& what) {
        const std::uint8_t* p = take(8, what);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= std::uint64_t(p[i]) << (8 * i);
        return v;
    }
    float f32(const std::string& what) {
        const std::uint32_t bits = u32(what);
        float v;
        std::memcpy(&v, &bits, 4);
        return v;
    }
    double f64(const std::string& what) {
        const std::uint64_t bits = u64(what);
        double v;
        std::memcpy(&v, &bits, 8);
        return v;
    }
    // A length-prefixed string of at most max_bytes (checked before anything is allocated).
    std::string str(const std::string& what, std::uint32_t max_bytes) {
        const std::uint32_t n = u32(what + " length");
        if (n > max_bytes)
            throw E(kind_ + " declares a " + what + " of " + std::to_string(n) + " bytes at byte " +
                    std::to_string(pos_ - 4) + " (corrupt file)");
        const std::uint8_t* p = take(n, what);
        return std::string(reinterpret_cast<const char*>(p), n);
    }
    // A u32 element count, refused unless count * element_bytes more bytes are really there.
    std::uint32_t count(const std::string& what, std::uint64_t element_bytes) {
        const std::uint32_t n = u32(what + " count");
        need(std::uint64_t(n) * element_bytes, std::to_string(n) + " " + what);
        return n;
    }
    const std::uint8_t* take(std::uint64_t n, const std::string& what) {
        need(n, what);
        const std::uint8_t* p = data_ + pos_;
        pos_ += std::size_t(n);
        return p;
    }
    std::size_t pos() const { return pos_; }
    std::size_t size() const { return size_; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::string kind_;
};

}  // namespace cnn
