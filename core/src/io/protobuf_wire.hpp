// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), the small part an
// ONNX file uses: varints, 32-bit floats, and length-delimited fields (bytes, strings, nested
// messages, packed repeated numbers). Written by hand because libprotobuf does not build for the
// wasm module, which imports ONNX files too. Private to the core.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cnn/base/error.hpp"

namespace cnn::pb {

enum Wire : std::uint32_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

// Builds one message; nested messages are built in their own Writer and added with message().
class Writer {
public:
    void varint(std::uint32_t field, std::uint64_t v) {
        tag(field, kVarint);
        raw_varint(v);
    }
    void int64(std::uint32_t field, std::int64_t v) { varint(field, std::uint64_t(v)); }
    void f32(std::uint32_t field, float v) {
        tag(field, kFixed32);
        std::uint32_t bits;
        std::memcpy(&bits, &v, 4);
        for (int i = 0; i < 4; ++i) out_.push_back(std::uint8_t(bits >> (8 * i)));
    }
    void bytes(std::uint32_t field, const std::uint8_t* p, std::size_t n) {
        tag(field, kLength);
        raw_varint(n);
        out_.insert(out_.end(), p, p + n);
    }
    void string(std::uint32_t field, const std::string& s) {
        bytes(field, reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    }
    void message(std::uint32_t field, const Writer& m) { bytes(field, m.out_.data(), m.out_.size()); }
    // Packed repeated int64 (dims, ints): one length-delimited field of varints.
    void packed_int64(std::uint32_t field, const std::vector<std::int64_t>& values) {
        Writer body;
        for (std::int64_t v : values) body.raw_varint(std::uint64_t(v));
        message(field, body);
    }
    // Packed repeated float as little-endian bytes (also the layout of TensorProto.raw_data).
    void floats_le(std::uint32_t field, const float* values, std::size_t n) {
        std::vector<std::uint8_t> b(n * 4);
        for (std::size_t i = 0; i < n; ++i) {
            std::uint32_t bits;
            std::memcpy(&bits, values + i, 4);
            for (int k = 0; k < 4; ++k) b[i * 4 + k] = std::uint8_t(bits >> (8 * k));
        }
        bytes(field, b.data(), b.size());
    }
    const std::vector<std::uint8_t>& data() const { return out_; }
    std::vector<std::uint8_t> take() { return std::move(out_); }

private:
    void tag(std::uint32_t field, Wire w) { raw_varint((std::uint64_t(field) << 3) | w); }
    void raw_varint(std::uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(std::uint8_t(v | 0x80));
            v >>= 7;
        }
        out_.push_back(std::uint8_t(v));
    }
    std::vector<std::uint8_t> out_;
};

// One field as read: its number, wire type, and either a number (varint, fixed) or a byte span.
struct Field {
    std::uint32_t number = 0;
    Wire wire = kVarint;
    std::uint64_t value = 0;          // varint, fixed32 and fixed64 bits
    const std::uint8_t* data = nullptr;  // kLength
    std::size_t size = 0;                // kLength

    std::string str() const { return std::string(reinterpret_cast<const char*>(data), size); }
    float f32() const {
        const auto bits = std::uint32_t(value);
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
};

// Walks the fields of one message, bounds-checked; errors (E) say what and at which byte of the
// whole file (`base` is the message's offset in it).
template <class E>
class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size, std::size_t base, std::string what)
        : data_(data), size_(size), base_(base), what_(std::move(what)) {}

    bool next(Field& f) {
        if (pos_ >= size_) return false;
        const std::size_t start = pos_;
        const std::uint64_t key = varint();
        f.number = std::uint32_t(key >> 3);
        if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff) fail("field number 0 or too large", start);
        f.wire = Wire(key & 7);
        f.data = nullptr;
        f.size = 0;
        switch (f.wire) {
        case kVarint: f.value = varint(); break;
        case kFixed64: f.value = fixed(8, start); break;
        case kFixed32: f.value = fixed(4, start); break;
        case kLength: {
            const std::uint64_t n = varint();
            if (n > size_ - pos_) fail("a length of " + std::to_string(n) + " bytes runs past its end", start);
            f.data = data_ + pos_;
            f.size = std::size_t(n);
            pos_ += std::size_t(n);
            break;
        }
        default: fail("wire type " + std::to_string(key & 7) + " (groups or garbage)", start);
        }
        return true;
    }
    // Offset in the file of the byte after the last field read.
    std::size_t offset() const { return base_ + pos_; }
    // A reader over a nested message (a kLength field of this one).
    Reader sub(const Field& f, std::string what) const {
        return Reader(f.data, f.size, base_ + std::size_t(f.data - data_), std::move(what));
    }
    // The values of a repeated varint field, packed (kLength) or not.
    void varints(const Field& f, std::vector<std::int64_t>& out, std::size_t max_count) const {
        if (f.wire == kVarint) {
            push(out, std::int64_t(f.value), max_count);
            return;
        }
        if (f.wire != kLength) fail("a repeated integer field with wire type " + std::to_string(f.wire), 0);
        Reader r = sub(f, what_);
        while (r.pos_ < r.size_) push(out, std::int64_t(r.varint()), max_count);
    }
    [[noreturn]] void fail(const std::string& why, std::size_t at) const {
        throw E("ONNX file is corrupt: " + what_ + " at byte " + std::to_string(base_ + at) + ": " + why);
    }

private:
    void push(std::vector<std::int64_t>& out, std::int64_t v, std::size_t max_count) const {
        if (out.size() >= max_count)
            fail("more than " + std::to_string(max_count) + " values in a repeated field", pos_);
        out.push_back(v);
    }
    std::uint64_t varint() {
        const std::size_t start = pos_;
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= size_) fail("truncated varint", start);
            const std::uint8_t b = data_[pos_++];
            v |= std::uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        fail("varint longer than 10 bytes", start);
    }
    std::uint64_t fixed(int n, std::size_t start) {
        if (std::size_t(n) > size_ - pos_) fail("truncated fixed-size field", start);
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= std::uint64_t(data_[pos_ + i]) << (8 * i);
        pos_ += std::size_t(n);
        return v;
    }

    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t base_;
    std::size_t pos_ = 0;
    std::string what_;
};

}  // namespace cnn::pb
