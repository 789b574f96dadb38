#include "ijepa/common/host_memory.h"

#include <cstdlib>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ijepa {

bool KeepFreedHostMemory() {
#if defined(__GLIBC__)
  // No block of the main heap is served by its own mmap (a capped threshold is not enough: the
  // cap is 32 MiB and a predictor MLP activation at batch 16 is ~50 MiB). Other threads' arenas
  // still fall back to mmap when their heaps cannot grow.
  const bool mmap_ok = mallopt(M_MMAP_MAX, 0) == 1;
  // M_TRIM_THRESHOLD takes an int: the largest, i.e. trim only above 2 GiB of free heap top.
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, 0x7fffffff) == 1;
  return mmap_ok && trim_ok;
#else
  return false;
#endif
}

}  // namespace ijepa
