#pragma once
// A bump allocator for strings made while normalizing one batch. Blocks are never moved,
// so string_views into the arena stay valid until reset(); reset() keeps the first block
// so a steady-state worker allocates nothing.
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace auditrelay {

class Arena {
 public:
  explicit Arena(size_t block_size = 64 * 1024) : block_size_(block_size) {}

  char* allocate(size_t n) {
    if (blocks_.empty() || used_ + n > blocks_[current_].size) next_block(n);
    char* p = blocks_[current_].data.get() + used_;
    used_ += n;
    return p;
  }

  std::string_view copy(std::string_view s) {
    char* p = allocate(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  // Copies s and leaves `padding` readable bytes after it (simdjson needs 64).
  std::string_view copy_padded(std::string_view s, size_t padding) {
    char* p = allocate(s.size() + padding);
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    std::memset(p + s.size(), ' ', padding);
    return {p, s.size()};
  }

  void reset() {
    current_ = 0;
    used_ = 0;
    if (blocks_.size() > 4) blocks_.resize(4);
  }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };

  void next_block(size_t n) {
    // Move on to the next kept block if it is big enough; otherwise allocate one.
    while (!blocks_.empty() && current_ + 1 < blocks_.size()) {
      ++current_;
      used_ = 0;
      if (blocks_[current_].size >= n) return;
    }
    size_t size = n > block_size_ ? n : block_size_;
    blocks_.push_back(Block{std::make_unique<char[]>(size), size});
    current_ = blocks_.size() - 1;
    used_ = 0;
  }

  size_t block_size_;
  std::vector<Block> blocks_;
  size_t current_ = 0;
  size_t used_ = 0;
};

}  // namespace auditrelay
