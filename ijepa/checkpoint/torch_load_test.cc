// C++ writes, Python's torch.load reads: runs tools/read_checkpoint.py with Debian's
// python3-torch on files written by WriteTorchFile. Skips when /usr/bin/python3 cannot import torch.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "ijepa/checkpoint/convert.h"
#include "ijepa/checkpoint/test_formula.h"
#include "ijepa/checkpoint/torch_file.h"

namespace ijepa::checkpoint {
namespace {

using ::ijepa::checkpoint::testing::Formula;

constexpr char kPython[] = "/usr/bin/python3";

// Runs a command; returns its exit status and appends its output (stdout and stderr) to `output`.
int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output->append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class TorchLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string output;
    if (RunCommand(std::string(kPython) + " -c 'import torch'", &output) != 0) {
      GTEST_SKIP() << kPython << " with torch is not available (install Debian's python3-torch to run the "
                   << "C++ -> torch.load round trip): " << output;
    }
  }

  // read_checkpoint.py's exit status for `path` with `flags`; its output goes to the test log.
  int ReadInPython(const std::string& path, const std::string& flags) {
    std::string output;
    const int status = RunCommand(std::string(kPython) + " tools/read_checkpoint.py " + path + " " + flags, &output);
    std::printf("read_checkpoint.py %s %s -> %d\n%s", path.c_str(), flags.c_str(), status, output.c_str());
    return status;
  }

  const std::string dir_ = std::getenv("TEST_TMPDIR");
};

TEST_F(TorchLoadTest, PythonReadsTheConvertedOfficialCheckpoint) {
  auto official = ReadTorchFile("ijepa/checkpoint/testdata/official_tiny.pth.tar");
  ASSERT_TRUE(official.ok()) << official.status();
  auto project = ConvertCheckpoint(*official, CheckpointLayout::kProject, "official_tiny");
  ASSERT_TRUE(project.ok()) << project.status();
  ASSERT_TRUE(WriteTorchFile(dir_ + "/project.pt", project->value).ok());
  EXPECT_EQ(ReadInPython(dir_ + "/project.pt", "--expect=project --formula"), 0);

  auto back = ConvertCheckpoint(project->value, CheckpointLayout::kOfficial, "project");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(WriteTorchFile(dir_ + "/official.pth.tar", back->value).ok());
  EXPECT_EQ(ReadInPython(dir_ + "/official.pth.tar", "--expect=official --formula"), 0);
  // The checks can fail: the project file is not in the official layout.
  EXPECT_EQ(ReadInPython(dir_ + "/project.pt", "--expect=official"), 1);
}

TEST_F(TorchLoadTest, PythonSeesViewsSharedStoragesAndHalfTypes) {
  auto official = ReadTorchFile("ijepa/checkpoint/testdata/official_tiny.pth.tar");
  ASSERT_TRUE(official.ok()) << official.status();
  auto project = ConvertCheckpoint(*official, CheckpointLayout::kProject, "official_tiny");
  ASSERT_TRUE(project.ok());
  const at::Tensor base = Formula(0, {4, 6});
  c10::impl::GenericDict views(c10::StringType::get(), c10::TensorType::get());
  views.insert("base", base);
  views.insert("transposed", base.t());
  views.insert("row", base[2]);
  views.insert("half", Formula(3, {2, 3}, at::kHalf));
  views.insert("bf16", Formula(4, {3, 2}, at::kBFloat16));
  c10::impl::GenericDict root = project->value.toGenericDict().copy();
  root.insert("views", views);
  ASSERT_TRUE(WriteTorchFile(dir_ + "/views.pt", root).ok());
  EXPECT_EQ(ReadInPython(dir_ + "/views.pt", "--expect=project --formula"), 0);

  // A changed value is caught.
  views.insert_or_assign("half", Formula(5, {2, 3}, at::kHalf));
  ASSERT_TRUE(WriteTorchFile(dir_ + "/wrong.pt", root).ok());
  EXPECT_EQ(ReadInPython(dir_ + "/wrong.pt", "--formula"), 1);
}

}  // namespace
}  // namespace ijepa::checkpoint
