#include "ijepa/common/host_memory.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ijepa {
namespace {

#if defined(__GLIBC__)
// An activation-sized block (64 MiB: above glibc's default 128 KiB mmap threshold and its 32 MiB
// ceiling) comes from the heap, not from a fresh mapping, and stays in the process after free().
TEST(KeepFreedHostMemoryTest, LargeBlocksComeFromTheHeapAndStay) {
  ASSERT_TRUE(KeepFreedHostMemory());
  const size_t bytes = 64 << 20;
  const size_t mapped_before = mallinfo2().hblkhd;
  void* block = std::malloc(bytes);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, bytes);
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "the block was mmapped";
  std::free(block);
  EXPECT_GE(mallinfo2().arena, bytes) << "the heap was trimmed after free()";
}
#else
TEST(KeepFreedHostMemoryTest, OtherCLibrariesAreLeftAlone) { EXPECT_FALSE(KeepFreedHostMemory()); }
#endif

}  // namespace
}  // namespace ijepa
