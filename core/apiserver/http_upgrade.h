// Helpers for protocol upgrades on a socket taken with `HttpExchange::TakeOverSocket`
// (http_exchange.h): rebuilding the Beast request that beast::websocket's async_accept needs.
// WebSocket exec/attach/port-forward build on this; tests in http_upgrade_test.cc.
#pragma once

#include "core/apiserver/http_beast.h"
#include "core/apiserver/http_request.h"

namespace capstan::apiserver {

// The request line and headers of `request` as a Beast message (empty body), e.g. for
// `websocket::stream<TlsStream>::async_accept(UpgradeRequest(req), handler)`.
boost::beast::http::request<boost::beast::http::empty_body> UpgradeRequest(
    const HttpRequest& request);

}  // namespace capstan::apiserver
