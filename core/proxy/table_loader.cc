// Whole-table loads of the service proxy (table_loader.h).
#include "core/proxy/table_loader.h"

#include <algorithm>
#include <future>
#include <string>
#include <string_view>

namespace capstan::proxy {
namespace {

// Elements per part below which splitting costs more (an nft start) than it saves.
constexpr size_t kMinSplitElements = 20000;

bool TableExists(const NftRunner& runner, const std::string& table) {
  Result<std::string> tables = runner.Run({"list", "tables", "ip"});
  // When nft cannot answer, assume the table exists: the atomic path is always correct.
  if (!tables.ok()) return true;
  const std::string want = "table ip " + table;
  size_t start = 0;
  while (start < tables->size()) {
    size_t end = tables->find('\n', start);
    if (end == std::string::npos) end = tables->size();
    if (std::string_view(*tables).substr(start, end - start) == want) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

Status LoadTable(const NftRunner& runner, const RulesConfig& config,
                 const std::vector<const ServicePortState*>& ports, SharedCounts* shared,
                 int parallelism, LoadStats* stats) {
  SharedCounts counts;
  TableScript table = RenderTable(config, ports, &counts);
  const size_t n = table.elements.size();
  const auto parts = static_cast<size_t>(std::max(1, parallelism));
  const bool split = parts > 1 && n >= kMinSplitElements * 2 && !TableExists(runner, config.table);
  if (stats != nullptr) stats->split = split;
  if (!split) {
    Status s = runner.Apply(table.skeleton + ElementsScript(config, table, 0, n));
    if (s.ok()) *shared = std::move(counts);
    return s;
  }
  if (Status s = runner.Apply(table.skeleton); !s.ok()) return s;
  std::vector<std::future<Status>> runs;
  const size_t per_part = (n + parts - 1) / parts;
  for (size_t begin = 0; begin < n; begin += per_part) {
    runs.push_back(std::async(std::launch::async, [&runner, &config, &table, begin, per_part] {
      return runner.Apply(ElementsScript(config, table, begin, begin + per_part));
    }));
  }
  Status result = Status::Ok();
  for (std::future<Status>& run : runs) {
    Status s = run.get();
    if (result.ok() && !s.ok()) result = s;
  }
  if (!result.ok()) {
    (void)runner.Apply(DeleteTableScript(config));
    return result;
  }
  *shared = std::move(counts);
  return Status::Ok();
}

}  // namespace capstan::proxy
