#include "ijepa/eval/report.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace ijepa::eval {
namespace {

EvalResults Sample() {
  EvalResults r;
  r.num_classes = 10;
  r.num_test = 10000;
  r.images_encoded = 10600;
  r.extract_seconds = 2.0;
  r.protocols.push_back({ProtocolOptions{"60_per_class", 60, 0.0, "", 0}, 600});
  MethodScore linear;
  linear.protocol = "60_per_class";
  linear.method = "linear";
  linear.features = "last4";
  linear.test = {71.5, 98.25, 10000};
  linear.feature_dim = 768;
  linear.num_train = 600;
  linear.num_val = 120;
  linear.lr = 0.1;
  linear.sweep = {{0.01, 0.0, 65.0}, {0.1, 0.0, 70.0}};
  r.scores.push_back(linear);
  MethodScore knn;
  knn.protocol = "60_per_class";
  knn.method = "knn";
  knn.features = "mean";
  knn.test = {69.0, 97.0, 10000};
  knn.k = 20;
  knn.temperature = 0.07;
  r.scores.push_back(knn);
  return r;
}

TEST(ReportTest, JsonHasTheDocumentedSchema) {
  ReportContext c;
  c.checkpoint = "runs/x/jepa-latest.pth.tar";
  c.weights = "target_encoder";
  c.model_name = "vit_tiny";
  c.embed_dim = 192;
  c.threads = 2;
  c.device = "cpu";
  absl::StatusOr<std::string> json = ReportToJson(BuildReport(Sample(), c));
  ASSERT_TRUE(json.ok()) << json.status();
  for (const char* key :
       {"\"checkpoint\"", "\"weights\"", "\"model_name\"", "\"embed_dim\"", "\"dataset\"", "\"num_classes\"",
        "\"num_test\"", "\"protocols\"", "\"num_labeled\"", "\"results\"", "\"protocol\"", "\"method\"",
        "\"features\"", "\"top1\"", "\"top5\"", "\"num_train\"", "\"num_val\"", "\"lr\"", "\"weight_decay\"",
        "\"sweep\"", "\"val_top1\"", "\"k\"", "\"temperature\"", "\"seconds\"", "\"feature_dim\"", "\"timings\"",
        "\"load_s\"", "\"extract_s\"", "\"images_encoded\"", "\"images_per_s\"", "\"total_s\"", "\"threads\"",
        "\"device\"", "\"config\""}) {
    EXPECT_NE(json->find(key), std::string::npos) << "missing " << key << " in\n" << *json;
  }
  // Numbers are JSON numbers (int32, not proto3's quoted int64), zero fields are printed.
  EXPECT_NE(json->find("\"num_test\": 10000"), std::string::npos) << *json;
  EXPECT_NE(json->find("\"top1\": 71.5"), std::string::npos);
  EXPECT_NE(json->find("\"k\": 0"), std::string::npos);  // the linear result's unused k
  EXPECT_NE(json->find("\"images_per_s\": 5300"), std::string::npos);
  // Round trip through the schema.
  EvalReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &parsed).ok());
  ASSERT_EQ(parsed.results_size(), 2);
  EXPECT_EQ(parsed.results(0).sweep_size(), 2);
  EXPECT_DOUBLE_EQ(parsed.results(1).temperature(), 0.07);
  EXPECT_EQ(parsed.weights(), "target_encoder");
  // The reported number: the validation-chosen pooling (last4), whose k-NN was not run.
  ASSERT_EQ(parsed.chosen_size(), 1);
  EXPECT_EQ(parsed.chosen(0).features(), "last4");
  EXPECT_DOUBLE_EQ(parsed.chosen(0).linear_top1(), 71.5);
  EXPECT_FALSE(parsed.chosen(0).has_knn()) << *json;
  EXPECT_EQ(parsed.chosen_summary().count(), 1);
  EXPECT_DOUBLE_EQ(parsed.chosen_summary().linear_top1_mean(), 71.5);
  EXPECT_EQ(parsed.chosen_summary().knn_count(), 0);
}

TEST(ReportTest, SummaryHasEveryResultAndTheChosenNumberBaselinesIncluded) {
  ReportContext context;
  context.weights = "target_encoder";
  EvalReport report = BuildReport(Sample(), context);
  context.weights = "random_init";
  *report.add_baselines() = BuildReport(Sample(), context);
  EXPECT_EQ(ReportSummary(report),
            "60_per_class   target_encoder linear    last4      top1  71.50  top5  98.25\n"
            "60_per_class   target_encoder knn       mean       top1  69.00  top5  97.00\n"
            "target_encoder, pooling chosen on validation (last4): linear top1 71.50 +- 0.00 over 1 protocol(s)\n"
            "60_per_class   random_init  linear    last4      top1  71.50  top5  98.25\n"
            "60_per_class   random_init  knn       mean       top1  69.00  top5  97.00\n"
            "random_init, pooling chosen on validation (last4): linear top1 71.50 +- 0.00 over 1 protocol(s)\n");
}

TEST(ReportTest, WriteTextFileIsAtomicAndReportsErrors) {
  const std::string path = ::testing::TempDir() + "/report.json";
  ASSERT_TRUE(WriteTextFile(path, "{\"a\": 1}").ok());
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(s.str(), "{\"a\": 1}");
  EXPECT_FALSE(std::ifstream(path + ".tmp").good());
  EXPECT_FALSE(WriteTextFile("/nonexistent-dir/x.json", "{}").ok());
}

}  // namespace
}  // namespace ijepa::eval
