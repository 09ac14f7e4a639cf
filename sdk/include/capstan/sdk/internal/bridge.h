// Internal machinery shared by the per-kind export trampolines: the per-instance wrapper that
// the ABI's `capstan_plugin_state*` points to, per-thread output buffers (convention 5), the
// catch-all guard (convention 10), and the compile-time override/signature checks.
// Not part of the SDK's stable surface; plugin authors use capstan/sdk/plugin.h instead.
#ifndef CAPSTAN_SDK_INTERNAL_BRIDGE_H_
#define CAPSTAN_SDK_INTERNAL_BRIDGE_H_

#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "capstan/abi/common.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk::internal {

// Output slots, one per output-producing entry across all kinds, so that a class implementing
// several kinds never reuses one buffer for two entries.
enum Slot : int {
  kSlotAuthn = 0,
  kSlotAuthz = 1,
  kSlotMutate = 2,
  kSlotValidate = 3,
  kSlotPreFilter = 4,
  kSlotPostFilter = 5,
  kSlotDescribe = 6,
  kSlotMapEvent = 7,
  kSlotCniAdd = 8,
  kSlotCsiFirst = 9,       // 18 CSI RPCs: 9..26
  kSlotRuntimeFirst = 27,  // 15 runtime RPCs: 27..41
  kSlotCount = 42,
};

// Buffers returned to the host. Convention 5 keeps a returned buffer valid until the next call
// on the same instance from the same thread, so each (instance, thread) pair gets its own
// strings; a call on another thread or another instance never overwrites them. Lookup is
// lock-free after a thread's first call on the instance; the mutex guards only registration.
class OutputSlots {
 public:
  OutputSlots() : id_(NextId()) {}
  OutputSlots(const OutputSlots&) = delete;
  OutputSlots& operator=(const OutputSlots&) = delete;

  // The calling thread's buffer for `slot`, cleared. Valid until this object is destroyed.
  std::string& Take(int slot) {
    std::string& s = ForThisThread()->slots[slot];
    s.clear();
    return s;
  }

 private:
  struct PerThread {
    std::string slots[kSlotCount];
  };
  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }
  PerThread* ForThisThread() {
    // Keyed by a never-reused id, so an entry left behind by a destroyed instance is never
    // dereferenced again; it costs one map node until the thread exits.
    thread_local std::unordered_map<uint64_t, PerThread*> by_instance;
    auto it = by_instance.find(id_);
    if (it != by_instance.end()) return it->second;
    PerThread* mine;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads_.push_back(std::make_unique<PerThread>());
      mine = threads_.back().get();
    }
    by_instance.emplace(id_, mine);
    return mine;
  }

  const uint64_t id_;
  std::mutex mu_;  // guards threads_
  std::vector<std::unique_ptr<PerThread>> threads_;
};

// What `capstan_plugin_state*` points to: the host services, the output buffers, the plugin.
// Members are destroyed in reverse order: the plugin first (it may still log), the host last.
template <typename D>
struct Instance {
  explicit Instance(const capstan_host* h) : host(h) {}
  Host host;
  OutputSlots out;
  D plugin;

  static Instance* From(capstan_plugin_state* state) { return reinterpret_cast<Instance*>(state); }
  capstan_plugin_state* AsState() { return reinterpret_cast<capstan_plugin_state*>(this); }
};

// Writes `a` + `b` into the call's error buffer, truncated to the capacity at a UTF-8 boundary
// and NUL-terminated. Never allocates or throws, so it is safe inside catch handlers.
inline void WriteError(capstan_call* call, std::string_view a, std::string_view b = {}) noexcept {
  if (call == nullptr || !CAPSTAN_SDK_HAS_FIELD(call, capstan_call, error_cap) ||
      call->error_buf == nullptr || call->error_cap == 0) {
    return;
  }
  size_t room = call->error_cap - 1;
  size_t na = Utf8SafePrefix(a, room);
  std::memcpy(call->error_buf, a.data(), na);
  size_t nb = na == a.size() ? Utf8SafePrefix(b, room - na) : 0;
  if (nb > 0) std::memcpy(call->error_buf + na, b.data(), nb);
  call->error_buf[na + nb] = '\0';
}

// Maps a method's Status onto the entry's return code, error text and retry hint.
inline capstan_rc Finish(capstan_call* call, const Status& status) noexcept {
  if (status.ok()) return CAPSTAN_RC_OK;
  WriteError(call, status.message());
  if (status.retry_after_ms() != 0 && CAPSTAN_SDK_HAS_FIELD(call, capstan_call, retry_after_ms)) {
    call->retry_after_ms = status.retry_after_ms();
  }
  return status.code();
}

// Points `out` at `s` (or {NULL,0} when empty). `s` is an OutputSlots buffer.
inline void Emit(const std::string& s, capstan_plugin_buf* out) noexcept {
  if (out == nullptr) return;
  if (s.empty()) {
    *out = {nullptr, 0};
  } else {
    *out = {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
}

// Sets an out-buffer to {NULL,0} before the method runs, so an exception leaves no stale output.
inline void ClearOut(capstan_plugin_buf* out) noexcept {
  if (out != nullptr) *out = {nullptr, 0};
}

// Runs `fn` (returning capstan_rc) and turns any exception into CAPSTAN_RC_ERROR with its text.
template <typename Fn>
capstan_rc Guard(capstan_call* call, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const std::exception& e) {
    WriteError(call, "uncaught exception: ", e.what());
  } catch (...) {
    WriteError(call, "uncaught non-standard exception");
  }
  return CAPSTAN_RC_ERROR;
}

// For entries without a return code (Unreserve, PostBind): exceptions are logged, then dropped.
template <typename Fn>
void GuardVoid(const Host& host, const char* entry, Fn&& fn) noexcept {
  try {
    fn();
  } catch (const std::exception& e) {
    try {
      host.Error(std::string(entry) + " threw: " + e.what());
    } catch (...) {
    }
  } catch (...) {
    host.Error(entry);
  }
}

// One request/response RPC: `M` is a member of base `B` (virtual, so D's override runs).
template <typename D, typename B, int kSlot, Status (B::*M)(Call&, std::string_view, std::string*)>
capstan_rc JsonRpc(capstan_plugin_state* state, capstan_call* call, capstan_host_buf request,
                   capstan_plugin_buf* out) noexcept {
  ClearOut(out);
  return Guard(call, [&] {
    auto* inst = Instance<D>::From(state);
    Call c(call, inst->host);
    std::string& buf = inst->out.Take(kSlot);
    Status s = (static_cast<B&>(inst->plugin).*M)(c, ToView(request), &buf);
    Emit(buf, out);
    return Finish(call, s);
  });
}

// ---- Compile-time checks on the plugin class ----

template <typename F>
struct MemberFn {
  static constexpr bool kIsMember = false;
};
template <typename C, typename R, typename... A>
struct MemberFn<R (C::*)(A...)> {
  static constexpr bool kIsMember = true;
  static constexpr bool kQualified = false;
  using Class = C;
  using Sig = R(A...);
};
template <typename C, typename R, typename... A>
struct MemberFn<R (C::*)(A...) noexcept> : MemberFn<R (C::*)(A...)> {};
template <typename C, typename R, typename... A>
struct MemberFn<R (C::*)(A...) const> : MemberFn<R (C::*)(A...)> {
  static constexpr bool kQualified = true;
};
template <typename C, typename R, typename... A>
struct MemberFn<R (C::*)(A...) const noexcept> : MemberFn<R (C::*)(A...) const> {};

// True when `FD` (= decltype(&D::M)) has exactly the signature of the base's `FB`, declared in
// D or one of its bases, non-const (noexcept is allowed).
template <typename D, typename FD, typename FB>
constexpr bool SameSignature() {
  using MD = MemberFn<FD>;
  using MB = MemberFn<FB>;
  if constexpr (!MD::kIsMember || !MB::kIsMember) {
    return false;
  } else {
    return std::is_base_of_v<typename MD::Class, D> && !MD::kQualified &&
           std::is_same_v<typename MD::Sig, typename MB::Sig>;
  }
}

// True when D (or a class between D and the SDK base) declares the method itself.
template <typename FD, typename FB>
constexpr bool Overrides() {
  return !std::is_same_v<typename MemberFn<FD>::Class, typename MemberFn<FB>::Class>;
}

// `fn` when the plugin overrides the method, else NULL ("not implemented" in the vtable).
template <typename FD, typename FB, typename Fn>
constexpr Fn IfOverridden(Fn fn) {
  return Overrides<FD, FB>() ? fn : nullptr;
}

}  // namespace capstan::sdk::internal

// Fails compilation with a readable message when `D::Method` is declared with the wrong
// signature (a typo'd parameter hides the SDK's virtual instead of overriding it).
#define CAPSTAN_SDK_CHECK_SIGNATURE(D, Base, Method, expected)                                     \
  static_assert(                                                                                   \
      ::capstan::sdk::internal::SameSignature<D, decltype(&D::Method), decltype(&Base::Method)>(), \
      "capstan::sdk: `" #Method                                                                    \
      "` in your plugin class has the wrong "                                                      \
      "signature; declare it exactly as `" expected "` (non-const, with override)")

// The trampoline for an optional entry when D overrides it, else NULL.
#define CAPSTAN_SDK_OPTIONAL(D, Base, Method, trampoline) \
  ::capstan::sdk::internal::IfOverridden<decltype(&D::Method), decltype(&Base::Method)>(trampoline)

#endif  // CAPSTAN_SDK_INTERNAL_BRIDGE_H_
