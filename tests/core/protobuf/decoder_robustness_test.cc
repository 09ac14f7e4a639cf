// Robustness of core/protobuf/decoder.h: every truncation and thousands of random mutations of
// real kubectl bodies must yield either JSON or a kBadRequest, never a crash (this binary also
// runs under ASan/UBSan in CI).
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/protobuf/decoder.h"
#include "tests/core/protobuf/test_encoder.h"

namespace capstan::protobuf {
namespace {

using nlohmann::json;

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::vector<std::string> Corpus() {
  std::vector<std::string> bodies;
  std::ifstream in(CAPSTAN_PROTOBUF_TESTDATA_DIR "/kubectl_bodies.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    json entry = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (entry.is_object() && entry["body_hex"].is_string()) {
      bodies.push_back(FromHex(entry["body_hex"].get<std::string>()));
    }
  }
  return bodies;
}

// The result is well-formed: an error is kBadRequest, JSON can be serialized.
void CheckOutcome(const std::string& body) {
  Result<json> out = DecodeKubernetesProtobuf(body);
  if (!out.ok()) {
    EXPECT_EQ(out.status().code(), StatusCode::kBadRequest) << out.status().ToString();
    return;
  }
  EXPECT_TRUE(out->is_object());
  EXPECT_NO_THROW((void)out->dump());
}

TEST(DecoderRobustnessTest, CorpusOfRealKubectlBodiesIsPresent) { EXPECT_GE(Corpus().size(), 20u); }

TEST(DecoderRobustnessTest, EveryTruncationOfARealBodyIsHandled) {
  size_t errors = 0;
  for (const std::string& body : Corpus()) {
    ASSERT_TRUE(DecodeKubernetesProtobuf(body).ok());
    for (size_t n = 0; n < body.size(); ++n) {
      const std::string prefix = body.substr(0, n);
      CheckOutcome(prefix);
      errors += DecodeKubernetesProtobuf(prefix).ok() ? 0 : 1;
    }
  }
  // Cutting inside the object always breaks a length, so nearly every prefix is an error.
  EXPECT_GT(errors, 1000u);
}

TEST(DecoderRobustnessTest, RandomMutationsNeverCrash) {
  std::mt19937 rng(20240601);  // fixed seed: failures reproduce
  const std::vector<std::string> corpus = Corpus();
  ASSERT_FALSE(corpus.empty());
  for (int round = 0; round < 20000; ++round) {
    std::string body = corpus[rng() % corpus.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = 4 + rng() % (body.size() - 4);  // keep the magic, to reach the decoder
      switch (rng() % 5) {
        case 0:
          body[at] = static_cast<char>(rng());
          break;
        case 1:
          body[at] ^= static_cast<char>(1 << (rng() % 8));
          break;
        case 2:
          body.insert(at, 1, static_cast<char>(rng()));
          break;
        case 3:
          if (body.size() > 5) body.erase(at, 1);
          break;
        default:
          body[at] = static_cast<char>(0xff);
          break;
      }
    }
    CheckOutcome(body);
  }
}

TEST(DecoderRobustnessTest, RandomBytesAfterTheMagicNeverCrash) {
  std::mt19937 rng(7);
  for (int round = 0; round < 5000; ++round) {
    std::string body("k8s\0", 4);
    const size_t length = rng() % 64;
    for (size_t i = 0; i < length; ++i) body.push_back(static_cast<char>(rng()));
    CheckOutcome(body);
  }
}

TEST(DecoderRobustnessTest, HugeDeclaredLengthsAreRejectedWithoutAllocating) {
  testing::ProtoWriter unknown;
  unknown.Raw(std::string("\x12\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10));
  Result<json> out = DecodeKubernetesProtobuf(std::string("k8s\0", 4) + unknown.bytes());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("past the end"), std::string::npos);
}

}  // namespace
}  // namespace capstan::protobuf
