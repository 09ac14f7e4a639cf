// Tests for plugins/controllers/resourcequota/quota_quantity: parsing upstream's quantity forms
// into thousandths and printing sums in upstream's canonical form.
#include "plugins/controllers/resourcequota/quota_quantity.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::controllers {
namespace {

TEST(MilliQuantityTest, ParsesEverySuffixIntoThousandths) {
  struct Case {
    std::string text;
    int64_t milli;
  };
  for (const Case& c : {Case{"1", 1000}, Case{"250m", 250}, Case{"1.5", 1500}, Case{"2k", 2000000},
                        Case{"1Ki", 1024000}, Case{"1.5Gi", 1610612736000}, Case{"1e3", 1000000},
                        Case{"100M", 100000000000}, Case{"500u", 1}, Case{"-2", -2000}}) {
    std::optional<MilliQuantity> q = MilliQuantity::Parse(c.text);
    ASSERT_TRUE(q.has_value()) << c.text;
    EXPECT_EQ(q->milli, c.milli) << c.text;
  }
  for (const char* bad : {"", "abc", "1Xi", "1.2.3", "m"}) {
    EXPECT_FALSE(MilliQuantity::Parse(bad).has_value()) << bad;
  }
}

TEST(MilliQuantityTest, PrintsTheCanonicalForm) {
  struct Case {
    std::string text;
    std::string canonical;
  };
  for (const Case& c :
       {Case{"1000m", "1"}, Case{"1500m", "1500m"}, Case{"1024Mi", "1Gi"}, Case{"2000", "2k"},
        Case{"0", "0"}, Case{"1536Ki", "1536Ki"}, Case{"100Mi", "100Mi"}, Case{"3", "3"}}) {
    EXPECT_EQ(MilliQuantity::Parse(c.text)->String(), c.canonical) << c.text;
  }
}

TEST(MilliQuantityTest, SumsKeepTheBinaryFormat) {
  MilliQuantity a = *MilliQuantity::Parse("512Mi");
  MilliQuantity b = *MilliQuantity::Parse("512Mi");
  EXPECT_EQ(a.Plus(b).String(), "1Gi");
}

TEST(ResourceListTest, PrettyPrintsSortedAndCommaSeparated) {
  sdk::json::Json j = {{"requests.cpu", "500m"}, {"pods", 2}, {"memory", "1Gi"}};
  ResourceList list = ParseResourceList(&j);
  EXPECT_EQ(PrettyPrint(list), "memory=1Gi,pods=2,requests.cpu=500m");
  EXPECT_EQ(ResourceListJson(list)["pods"], "2");
}

}  // namespace
}  // namespace capstan::controllers
