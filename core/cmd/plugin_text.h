// Human-readable renderings of the JSON descriptions from core/plugin/describe.h, for
// `capstan plugin inspect` and `capstan plugin chains` (plugin_cmd.cc).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace capstan::cmd {

// From plugin::DescribeLibrary.
std::string RenderLibraryText(const nlohmann::json& library);
// From plugin::DescribeChains.
std::string RenderChainsText(const nlohmann::json& chains);

}  // namespace capstan::cmd
