#include "ijepa/training/run_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ijepa::training {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(CsvLogTest, OfficialHeaderAndFormats) {
  EXPECT_EQ(FormatCsvRow({3, 17, 0.123456, 40, 9, 250}), "3,17,0.12346,40.00000,9.00000,250");
  const std::string path = TempPath("fresh.csv");
  auto log = CsvLog::Open(path, /*resume=*/false, 0, 10, nullptr);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE(log->Append({1, 0, 0.5, 40, 9, 100}).ok());
  ASSERT_TRUE(log->Append({1, 1, 0.25, 38, 10, 90}).ok());
  EXPECT_EQ(Slurp(path),
            "epoch,itr,loss,mask-A,mask-B,time (ms)\n"
            "1,0,0.50000,40.00000,9.00000,100\n"
            "1,1,0.25000,38.00000,10.00000,90\n");
}

TEST(CsvLogTest, ResumeKeepsRowsUpToTheCheckpointAndDropsTornLines) {
  const std::string path = TempPath("resume.csv");
  {
    std::ofstream out(path);
    out << "epoch,itr,loss,mask-A,mask-B,time (ms)\n"
        << "1,0,0.9,1,1,1\n1,1,0.8,1,1,1\n2,0,0.7,1,1,1\n2,1,0.6,1,1,1\n2,2,0.5";  // torn
  }
  std::vector<StepRecord> history;
  // 2 iterations per epoch, checkpoint after 3 steps: rows (1,0), (1,1), (2,0) survive.
  auto log = CsvLog::Open(path, /*resume=*/true, 3, 2, &history);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_DOUBLE_EQ(history[2].loss, 0.7);
  ASSERT_TRUE(log->Append({2, 1, 0.65, 1, 1, 1}).ok());
  EXPECT_EQ(Slurp(path),
            "epoch,itr,loss,mask-A,mask-B,time (ms)\n"
            "1,0,0.90000,1.00000,1.00000,1\n1,1,0.80000,1.00000,1.00000,1\n"
            "2,0,0.70000,1.00000,1.00000,1\n2,1,0.65000,1.00000,1.00000,1\n");
}

TEST(CsvLogTest, UnwritableFolderIsAnError) {
  auto log = CsvLog::Open("/nonexistent-dir/x.csv", false, 0, 1, nullptr);
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("/nonexistent-dir/x.csv"));
}

TEST(CsvLogTest, ResumeWithAFolderInPlaceOfTheCsvIsAnError) {
  // It used to read as an empty history (and the run went on with a log it could not keep).
  const std::string dir = std::string(::testing::TempDir()) + "/csv_is_a_folder.csv";
  std::filesystem::create_directories(dir);
  auto log = CsvLog::Open(dir, /*resume=*/true, 3, 2, nullptr);
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("CSV log " + dir + ": a directory, not a regular file"));
  // A missing CSV on resume is a fresh log.
  const std::string fresh = std::string(::testing::TempDir()) + "/fresh_on_resume.csv";
  std::filesystem::remove(fresh);
  EXPECT_TRUE(CsvLog::Open(fresh, /*resume=*/true, 3, 2, nullptr).ok());
}

TEST(LossCurveTest, WritesAnSvgWithBothCurves) {
  const std::string path = TempPath("loss.svg");
  std::vector<double> losses;
  for (int i = 0; i < 200; ++i) losses.push_back(1.0 / (1 + i) + (i % 2) * 0.01);
  losses[5] = NAN;  // skipped, not drawn as garbage
  ASSERT_TRUE(WriteLossCurveSvg(path, losses, "fmnist").ok());
  const std::string svg = Slurp(path);
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("fmnist"));
  EXPECT_NE(svg.find("<polyline"), svg.rfind("<polyline"));  // raw + smoothed
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_THAT(svg, HasSubstr("</svg>"));
}

TEST(ProgressTest, LineShowsEverythingAPersonNeeds) {
  ProgressInfo p;
  p.epoch = 2;
  p.epochs = 10;
  p.itr = 149;
  p.iterations_per_epoch = 234;
  p.step = 383;
  p.total_steps = 2340;
  p.loss = 0.12344;
  p.avg_loss = 0.13;
  p.lr = 2.5e-4;
  p.wd = 0.041;
  p.mask_a = 40;
  p.mask_b = 9;
  p.images_per_second = 123.44;
  p.ms_per_step = 250;
  p.eta_seconds = 552;
  EXPECT_EQ(FormatProgress(p),
            "ep 2/10 it 150/234 [ 16.4%] loss 0.1234 (avg 0.1300) lr 2.50e-04 wd 4.10e-02 "
            "masks 40/9 | 123.4 img/s 250 ms/step | ETA 9m12s");
  EXPECT_EQ(FormatDuration(3725), "1h02m");
  EXPECT_EQ(FormatDuration(12.4), "12s");
}

}  // namespace
}  // namespace ijepa::training
