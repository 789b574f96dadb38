#include "ijepa/data/image_folder.h"

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/data/subset.h"
#include "ijepa/data/test_util.h"

namespace ijepa::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::WriteFile;

// root/{zebra, apple, mango} with JPEG and PNG files, a nested folder and files to ignore.
std::string MakeTree(const std::string& name) {
  const std::string root = testing::FreshTempDir(name);
  const std::string jpeg = testing::EncodeJpeg(testing::PatternImage(12, 16, 3, 1));
  const std::string png = testing::EncodePng(testing::PatternImage(10, 8, 1, 2));
  WriteFile(root + "/zebra/z_2.JPEG", jpeg);
  WriteFile(root + "/zebra/z_1.jpg", jpeg);
  WriteFile(root + "/apple/a_1.png", png);
  WriteFile(root + "/apple/sub/a_0.jpeg", jpeg);
  WriteFile(root + "/apple/ab.jpg", jpeg);
  WriteFile(root + "/apple/notes.txt", "not an image");
  WriteFile(root + "/mango/m_1.PNG", png);
  WriteFile(root + "/README", "files at the root are not classes");
  return root;
}

std::vector<std::string> Names(const ImageFolderDataset& dataset) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < dataset.size(); ++i) {
    names.push_back(std::filesystem::path(dataset.path(i)).lexically_relative(
                                                              std::filesystem::path(dataset.path(i)).parent_path().parent_path())
                        .string());
  }
  return names;
}

TEST(ImageFolderTest, ClassesSortedByNameAndFilesInTorchvisionOrder) {
  const std::string root = MakeTree("folder_order");
  auto dataset = ImageFolderDataset::Open(root);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_THAT((*dataset)->classes(), ElementsAre("apple", "mango", "zebra"));
  EXPECT_EQ((*dataset)->num_classes(), 3);
  // sorted(os.walk): files of apple/ (a_1.png, ab.jpg) before apple/sub/; notes.txt ignored.
  EXPECT_THAT(Names(**dataset), ElementsAre("apple/a_1.png", "apple/ab.jpg", "sub/a_0.jpeg", "mango/m_1.PNG",
                                            "zebra/z_1.jpg", "zebra/z_2.JPEG"));
  EXPECT_THAT((*dataset)->labels(), ElementsAre(0, 0, 0, 1, 2, 2));
  auto example = (*dataset)->Load(0);
  ASSERT_TRUE(example.ok()) << example.status();
  EXPECT_EQ(example->image.channels, 1);
  EXPECT_EQ(example->image.height, 10);
  EXPECT_EQ(example->label, 0);
  EXPECT_EQ(example->source, root + "/apple/a_1.png");
}

TEST(ImageFolderTest, SubsetFileKeepsListedImagesInFileOrder) {
  const std::string root = MakeTree("folder_subset");
  const std::string subset = root + "/../subset.txt";
  WriteFile(subset, "z_2.JPEG\n\napple/sub/a_0.jpeg\r\nm_1.PNG\n");
  auto dataset = ImageFolderDataset::Open(root, subset);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ((*dataset)->size(), 3);
  EXPECT_THAT((*dataset)->labels(), ElementsAre(2, 0, 1));
  EXPECT_EQ((*dataset)->path(1), root + "/apple/sub/a_0.jpeg");
  EXPECT_EQ((*dataset)->num_classes(), 3);  // classes come from the folders, not the subset

  WriteFile(subset, "z_1.jpg\nmissing.jpg\n");
  auto missing = ImageFolderDataset::Open(root, subset);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(subset + ":2: image 'missing.jpg' is not in " + root));

  auto no_file = ImageFolderDataset::Open(root, root + "/none.txt");
  ASSERT_FALSE(no_file.ok());
  EXPECT_THAT(no_file.status().message(), HasSubstr("subset file " + root + "/none.txt: no such file; expected one image file name per line"));
}

TEST(ImageFolderTest, ErrorsNameTheRootAndWhatWasExpected) {
  const std::string base = testing::FreshTempDir("folder_errors");
  auto missing = ImageFolderDataset::Open(base + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(base + "/nope does not exist"));
  EXPECT_THAT(missing.status().message(), HasSubstr("one sub-folder per class"));

  WriteFile(base + "/flat/x.jpg", "x");
  auto no_classes = ImageFolderDataset::Open(base + "/flat");
  ASSERT_FALSE(no_classes.ok());
  EXPECT_THAT(no_classes.status().message(), HasSubstr("found no class folders in " + base + "/flat"));

  WriteFile(base + "/partial/cat/c.jpg", "x");
  WriteFile(base + "/partial/dog/readme.txt", "x");
  auto empty_class = ImageFolderDataset::Open(base + "/partial");
  ASSERT_FALSE(empty_class.ok());
  EXPECT_THAT(empty_class.status().message(), HasSubstr("class folder(s) dog"));
}

TEST(ImageFolderTest, SymlinkLoopsAreSkippedAndSharedClassFoldersRefused) {
  namespace fs = std::filesystem;
  const std::string root = testing::FreshTempDir("folder_loops");
  WriteFile(root + "/cat/c1.jpg", "x");
  WriteFile(root + "/cat/sub/c2.jpg", "x");
  WriteFile(root + "/dog/d1.jpg", "x");
  fs::create_directory_symlink(".", root + "/cat/self");        // loop to its own folder
  fs::create_directory_symlink("../..", root + "/cat/sub/up");  // loop to the root (both classes)
  fs::create_directory_symlink("../dog", root + "/dog/back");     // loop to its own class folder
  // Before: the loops repeated c1/c2 (and, through the root, d1 as a cat) until ELOOP.
  auto dataset = ImageFolderDataset::Open(root);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ((*dataset)->size(), 3);
  EXPECT_EQ((*dataset)->labels(), (std::vector<int64_t>{0, 0, 1}));

  // A class folder that is (a link to) another class's folder would label its images twice.
  const std::string shared = testing::FreshTempDir("folder_shared");
  WriteFile(shared + "/cat/c1.jpg", "x");
  WriteFile(shared + "/dog/d1.jpg", "x");
  fs::create_directory_symlink("../cat", shared + "/dog/cats_too");
  auto refused = ImageFolderDataset::Open(shared);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("image folder " + shared + "/dog/cats_too of class dog is the same "
                                                    "folder"));
  EXPECT_THAT(refused.status().message(), HasSubstr("as one of class cat; its images would get two labels"));
}

TEST(ImageFolderTest, CorruptFileLoadsAsErrorNamingIt) {
  const std::string root = testing::FreshTempDir("folder_corrupt");
  WriteFile(root + "/a/bad.jpg", "\xFF\xD8\xFF garbage");
  auto dataset = ImageFolderDataset::Open(root);
  ASSERT_TRUE(dataset.ok());
  auto example = (*dataset)->Load(0);
  ASSERT_FALSE(example.ok());
  EXPECT_THAT(example.status().message(), HasSubstr(root + "/a/bad.jpg"));
}

TEST(BalancedSubsetTest, PerClassCountsAreExactAndSeeded) {
  std::vector<int64_t> labels;
  for (int i = 0; i < 300; ++i) labels.push_back(i % 3 == 0 ? 0 : (i % 3 == 1 ? 1 : 2));
  for (int i = 0; i < 20; ++i) labels.push_back(3);  // a smaller class
  auto subset = BalancedSubset(labels, 5, 0, /*seed=*/7);
  ASSERT_TRUE(subset.ok()) << subset.status();
  ASSERT_EQ(subset->size(), 20u);
  std::vector<int> per_class(4);
  for (int64_t i : *subset) ++per_class[labels[i]];
  EXPECT_THAT(per_class, ElementsAre(5, 5, 5, 5));
  EXPECT_TRUE(std::is_sorted(subset->begin(), subset->end()));
  EXPECT_EQ(*subset, *BalancedSubset(labels, 5, 0, 7));
  EXPECT_NE(*subset, *BalancedSubset(labels, 5, 0, 8));

  auto too_many = BalancedSubset(labels, 21, 0, 0);
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.status().message(), HasSubstr("class 3 has 20 images, fewer than the 21"));
}

TEST(BalancedSubsetTest, PercentPerClass) {
  std::vector<int64_t> labels(1000, 0);
  labels.resize(1100, 1);  // class 1: 100 images
  auto subset = BalancedSubset(labels, 0, 0.1, 0);
  ASSERT_TRUE(subset.ok());
  int ones = 0;
  for (int64_t i : *subset) ones += labels[i] == 1;
  EXPECT_EQ(subset->size(), 110u);
  EXPECT_EQ(ones, 10);
  EXPECT_FALSE(BalancedSubset(labels, 0, 0.0, 0).ok());
  EXPECT_FALSE(BalancedSubset(labels, 0, 1.5, 0).ok());
}

TEST(SubsetDatasetTest, MapsIndicesAndLabels) {
  const std::string root = MakeTree("folder_subset_dataset");
  auto dataset = ImageFolderDataset::Open(root);
  ASSERT_TRUE(dataset.ok());
  SubsetDataset subset(*dataset, {5, 3});
  EXPECT_EQ(subset.size(), 2);
  EXPECT_THAT(subset.labels(), ElementsAre(2, 1));
  auto example = subset.Load(1);
  ASSERT_TRUE(example.ok());
  EXPECT_EQ(example->source, root + "/mango/m_1.PNG");
  EXPECT_FALSE(subset.Load(2).ok());
}

}  // namespace
}  // namespace ijepa::data
