#include "ijepa/eval/report.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/eval/model_selection.h"

namespace ijepa::eval {

EvalReport BuildReport(const EvalResults& results, const ReportContext& c) {
  EvalReport report;
  report.set_checkpoint(c.checkpoint);
  report.set_weights(c.weights);
  report.set_model_name(c.model_name);
  report.set_patch_size(static_cast<int32_t>(c.patch_size));
  report.set_img_size(static_cast<int32_t>(c.img_size));
  report.set_in_chans(static_cast<int32_t>(c.in_chans));
  report.set_embed_dim(static_cast<int32_t>(c.embed_dim));
  report.set_depth(static_cast<int32_t>(c.depth));
  report.set_dataset(c.dataset);
  report.set_num_classes(static_cast<int32_t>(results.num_classes));
  report.set_num_test(static_cast<int32_t>(results.num_test));
  for (const ProtocolSummary& p : results.protocols) {
    ProtocolReport* r = report.add_protocols();
    r->set_name(p.protocol.name);
    r->set_num_labeled(static_cast<int32_t>(p.num_labeled));
    r->set_per_class(static_cast<int32_t>(p.protocol.per_class));
    r->set_percent(p.protocol.percent);
    r->set_subset_file(p.protocol.subset_file);
    r->set_seed(p.protocol.seed);
  }
  for (const MethodScore& s : results.scores) {
    MethodResult* r = report.add_results();
    r->set_protocol(s.protocol);
    r->set_method(s.method);
    r->set_features(s.features);
    r->set_top1(s.test.top1);
    r->set_top5(s.test.top5);
    r->set_num_test(static_cast<int32_t>(s.test.count));
    r->set_num_train(static_cast<int32_t>(s.num_train));
    r->set_num_val(static_cast<int32_t>(s.num_val));
    r->set_lr(s.lr);
    r->set_weight_decay(s.weight_decay);
    for (const SweepPoint& p : s.sweep) {
      SweepPointReport* point = r->add_sweep();
      point->set_lr(p.lr);
      point->set_weight_decay(p.weight_decay);
      point->set_val_top1(p.val_top1);
    }
    r->set_k(static_cast<int32_t>(s.k));
    r->set_temperature(s.temperature);
    r->set_seconds(s.seconds);
    r->set_feature_dim(static_cast<int32_t>(s.feature_dim));
  }
  const ChosenScores chosen = ChooseScores(results);
  for (const ChosenScore& c : chosen.per_protocol) {
    ChosenResult* r = report.add_chosen();
    r->set_protocol(c.protocol);
    r->set_features(c.features);
    r->set_linear_top1(c.linear_top1);
    if (c.has_knn) r->mutable_knn()->set_top1(c.knn_top1);
  }
  ChosenSummary* summary = report.mutable_chosen_summary();
  summary->set_count(static_cast<int32_t>(chosen.per_protocol.size()));
  summary->set_linear_top1_mean(chosen.linear_mean);
  summary->set_linear_top1_std(chosen.linear_std);
  summary->set_knn_count(chosen.knn_count);
  summary->set_knn_top1_mean(chosen.knn_mean);
  summary->set_knn_top1_std(chosen.knn_std);
  TimingReport* t = report.mutable_timings();
  t->set_load_s(c.load_seconds);
  t->set_extract_s(results.extract_seconds);
  t->set_images_encoded(static_cast<int32_t>(results.images_encoded));
  t->set_images_per_s(results.extract_seconds > 0 ? results.images_encoded / results.extract_seconds : 0.0);
  t->set_total_s(c.total_seconds);
  t->set_threads(c.threads);
  t->set_device(c.device);
  report.set_config(c.config_text);
  return report;
}

absl::StatusOr<std::string> ReportToJson(const EvalReport& report) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(report, &json, options);
  if (!status.ok()) return absl::InternalError(absl::StrCat("cannot print the report as JSON: ", status.ToString()));
  return json;
}

absl::Status WriteTextFile(const std::string& path, const std::string& text) {
  // Was a fixed-name PATH.tmp, left behind by an interrupted run and shared by concurrent ones.
  return common::WriteFileAtomically(path, text);
}

std::string ReportSummary(const EvalReport& report) {
  std::vector<const EvalReport*> all = {&report};
  for (const EvalReport& b : report.baselines()) all.push_back(&b);
  std::string out;
  for (const EvalReport* r : all) {
    for (const MethodResult& m : r->results()) {
      absl::StrAppend(&out, absl::StrFormat("%-14s %-12s %-9s %-10s top1 %6.2f  top5 %6.2f\n", m.protocol(),
                                            r->weights(), m.method(), m.features(), m.top1(), m.top5()));
    }
    const ChosenSummary& c = r->chosen_summary();
    if (c.count() == 0) continue;
    std::vector<std::string> pooling;
    for (const ChosenResult& p : r->chosen()) pooling.push_back(p.features());
    absl::StrAppend(&out, absl::StrFormat("%s, pooling chosen on validation (%s): linear top1 %.2f +- %.2f over %d protocol(s)",
                                          r->weights(), absl::StrJoin(pooling, ", "), c.linear_top1_mean(),
                                          c.linear_top1_std(), c.count()));
    if (c.knn_count() > 0) {
      absl::StrAppend(&out, absl::StrFormat(", k-NN %.2f +- %.2f", c.knn_top1_mean(), c.knn_top1_std()));
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace ijepa::eval
