// Gives every libFuzzer binary of ijepa_fuzz_test a time budget per input (-timeout=5, seconds)
// instead of libFuzzer's default of 20 minutes, so an input that makes a reader walk an
// exponential structure or loop is reported as a timeout and saved as a crash file within seconds.
// The flag is inserted right after argv[0]: a -timeout=N given on the command line comes later
// and wins.
#include <vector>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  static char budget[] = "-timeout=5";
  static std::vector<char*> args;
  if (*argc < 1) return 0;
  args.assign(*argv, *argv + *argc);
  args.insert(args.begin() + 1, budget);
  args.push_back(nullptr);
  *argc = static_cast<int>(args.size()) - 1;
  *argv = args.data();
  return 0;
}
