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
  // The official six columns first, in the official formats; the collapse signals after them,
  // empty where not computed.
  EXPECT_EQ(FormatCsvRow({3, 17, 0.123456, 40, 9, 250}), "3,17,0.12346,40.00000,9.00000,250,,");
  EXPECT_EQ(FormatCsvRow({3, 17, 0.123456, 40, 9, 250, 87.314, 0.0521}),
            "3,17,0.12346,40.00000,9.00000,250,87.31,0.05210");
  const std::string path = TempPath("fresh.csv");
  auto log = CsvLog::Open(path, /*resume=*/false, 0, 10, nullptr);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE(log->Append({1, 0, 0.5, 40, 9, 100, 12.5, 0.07}).ok());
  ASSERT_TRUE(log->Append({1, 1, 0.25, 38, 10, 90, std::nan(""), 0.06}).ok());
  EXPECT_EQ(Slurp(path),
            "epoch,itr,loss,mask-A,mask-B,time (ms),rankme,pred-std\n"
            "1,0,0.50000,40.00000,9.00000,100,12.50,0.07000\n"
            "1,1,0.25000,38.00000,10.00000,90,,0.06000\n");
}

TEST(CsvLogTest, ResumeReadsTheSignalsBackAndOlderSixColumnLogs) {
  const std::string path = TempPath("signals.csv");
  {
    std::ofstream out(path);
    out << "epoch,itr,loss,mask-A,mask-B,time (ms),rankme,pred-std\n"
        << "1,0,0.9,1,1,1,40.25,0.0700\n1,1,0.8,1,1,1,,0.0600\n";
  }
  std::vector<StepRecord> history;
  ASSERT_TRUE(CsvLog::Open(path, /*resume=*/true, 2, 2, &history).ok());
  ASSERT_EQ(history.size(), 2u);
  EXPECT_DOUBLE_EQ(history[0].rankme, 40.25);
  EXPECT_TRUE(std::isnan(history[1].rankme));
  EXPECT_DOUBLE_EQ(history[1].pred_std, 0.06);
  {
    std::ofstream out(path);  // a log written before the signals existed
    out << "epoch,itr,loss,mask-A,mask-B,time (ms)\n1,0,0.9,1,1,1\n";
  }
  ASSERT_TRUE(CsvLog::Open(path, /*resume=*/true, 1, 2, &history).ok());
  ASSERT_EQ(history.size(), 1u);
  EXPECT_DOUBLE_EQ(history[0].loss, 0.9);
  EXPECT_TRUE(std::isnan(history[0].pred_std));
  EXPECT_EQ(Slurp(path),
            "epoch,itr,loss,mask-A,mask-B,time (ms),rankme,pred-std\n"
            "1,0,0.90000,1.00000,1.00000,1,,\n");
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
            "epoch,itr,loss,mask-A,mask-B,time (ms),rankme,pred-std\n"
            "1,0,0.90000,1.00000,1.00000,1,,\n1,1,0.80000,1.00000,1.00000,1,,\n"
            "2,0,0.70000,1.00000,1.00000,1,,\n2,1,0.65000,1.00000,1.00000,1,,\n");
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
  p.rankme = 87.31;
  p.rankme_max = 192;
  p.pred_std = 0.05213;
  EXPECT_EQ(FormatProgress(p),
            "ep 2/10 it 150/234 [ 16.4%] loss 0.1234 (avg 0.1300) lr 2.50e-04 wd 4.10e-02 "
            "masks 40/9 | rankme 87.3/192 pred-std 0.0521 | 123.4 img/s 250 ms/step | ETA 9m12s");
  EXPECT_EQ(FormatDuration(3725), "1h02m");
  EXPECT_EQ(FormatDuration(12.4), "12s");
}

}  // namespace
}  // namespace ijepa::training
